import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { CtsTables as T, type ArtifactHit } from "@sec-an/contracts";

export interface ActiveSearch {
  readonly startedAt: number;
  readonly expiresAt: number;
  /** Hits found so far (a search waiting for a scan keeps what it already knows). */
  readonly hits: ArtifactHit[];
  /** A look of this search has asked for a scan. */
  readonly scanRequested: boolean;
}

export interface StoredResult {
  readonly hits: ArtifactHit[];
  readonly completedAt: number;
}

export interface Artifact {
  readonly type: string;
  readonly value: string;
}

/**
 * The service's state, in two DynamoDB tables so nothing lives only in a process: active searches
 * (one item per search id, claimed with a conditional put) and results (hits kept for the hit TTL).
 * Both tables carry `ExpiresAt` as their TTL attribute; since DynamoDB deletes expired items lazily
 * (within days), every read also checks `ExpiresAt` against the clock.
 */
export class SearchState {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: { readonly active: string; readonly results: string },
  ) {}

  async result(id: string, now: number): Promise<StoredResult | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.tables.results, Key: { [T.id]: id }, ConsistentRead: true }),
    );
    const item = r.Item;
    if (!item || Number(item[T.expiresAt]) <= now) return undefined;
    return { hits: parseHits(item[T.hits]), completedAt: Number(item[T.completedAt]) };
  }

  /** The active search of `id`, expired or not (the caller decides what an expired one means). */
  async active(id: string): Promise<ActiveSearch | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.tables.active, Key: { [T.id]: id }, ConsistentRead: true }),
    );
    const item = r.Item;
    if (!item) return undefined;
    return {
      startedAt: Number(item[T.startedAt]),
      expiresAt: Number(item[T.expiresAt]),
      hits: parseHits(item[T.hits]),
      scanRequested: item[T.scanRequested] === true,
    };
  }

  /**
   * Starts the search of `id` unless one is running: true for exactly one of any number of concurrent
   * callers (a conditional put), and again once a previous search has expired.
   */
  async claim(id: string, artifact: Artifact, now: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.active,
          Item: {
            [T.id]: id,
            [T.artifactType]: artifact.type,
            [T.artifactValue]: artifact.value,
            [T.startedAt]: now,
            [T.expiresAt]: expiresAt,
            [T.hits]: "[]",
          },
          ConditionExpression: "attribute_not_exists(#id) OR #exp <= :now",
          ExpressionAttributeNames: { "#id": T.id, "#exp": T.expiresAt },
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return true;
    } catch (e) {
      if (
        e instanceof ConditionalCheckFailedException ||
        (e as Error).name === "ConditionalCheckFailedException"
      )
        return false;
      throw e;
    }
  }

  /** Gives a claim back (the search could not be queued), so the next request starts it again. */
  async release(id: string, startedAt: number): Promise<void> {
    await this.ifStillClaimed(
      new DeleteCommand({ TableName: this.tables.active, Key: { [T.id]: id }, ...sameClaim(startedAt) }),
    );
  }

  /**
   * Keeps the hits found so far on a search that is still waiting (for a scan), and that a scan was
   * asked for; a claim that has been replaced since (a newer search) is left alone.
   */
  async savePartial(
    id: string,
    startedAt: number,
    hits: readonly ArtifactHit[],
    scanRequested: boolean,
  ): Promise<void> {
    const claim = sameClaim(startedAt);
    await this.ifStillClaimed(
      new UpdateCommand({
        TableName: this.tables.active,
        Key: { [T.id]: id },
        UpdateExpression: scanRequested ? "SET #h = :h, #r = :r" : "SET #h = :h",
        ...claim,
        ExpressionAttributeNames: {
          ...claim.ExpressionAttributeNames,
          "#h": T.hits,
          ...(scanRequested ? { "#r": T.scanRequested } : {}),
        },
        ExpressionAttributeValues: {
          ...claim.ExpressionAttributeValues,
          ":h": JSON.stringify(hits),
          ...(scanRequested ? { ":r": true } : {}),
        },
      }),
    );
  }

  /**
   * Stores the answer (kept `ttlSecs`), then ends the active search that started at `startedAt`: a
   * worker finishing late must not end a newer search of the same artifact.
   */
  async complete(
    id: string,
    artifact: Artifact,
    hits: readonly ArtifactHit[],
    now: number,
    ttlSecs: number,
    startedAt: number,
  ): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tables.results,
        Item: {
          [T.id]: id,
          [T.artifactType]: artifact.type,
          [T.artifactValue]: artifact.value,
          [T.hits]: JSON.stringify(hits),
          [T.completedAt]: now,
          [T.expiresAt]: now + ttlSecs,
        },
      }),
    );
    await this.ifStillClaimed(
      new DeleteCommand({ TableName: this.tables.active, Key: { [T.id]: id }, ...sameClaim(startedAt) }),
    );
  }

  /** Sends a write conditioned on the claim; a claim gone or replaced meanwhile is not an error. */
  private async ifStillClaimed(command: DeleteCommand | UpdateCommand): Promise<void> {
    await this.doc.send(command as DeleteCommand).catch((e: Error) => {
      if (e.name !== "ConditionalCheckFailedException") throw e;
    });
  }
}

/** The condition that the active item is still the claim that started at `startedAt`. */
function sameClaim(startedAt: number) {
  return {
    ConditionExpression: "#s = :s",
    ExpressionAttributeNames: { "#s": T.startedAt } as Record<string, string>,
    ExpressionAttributeValues: { ":s": startedAt } as Record<string, unknown>,
  };
}

function parseHits(v: unknown): ArtifactHit[] {
  if (typeof v !== "string") return [];
  try {
    const hits = JSON.parse(v) as unknown;
    return Array.isArray(hits) ? (hits as ArtifactHit[]) : [];
  } catch {
    return [];
  }
}
