import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConfigStateTable as T, REMOVED, type AlertTransition, type StateStatus } from "@sec-an/contracts";
import { randomUUID } from "node:crypto";
import { transition } from "./transitions";

/**
 * The findings state: the current status of each (plugin, resource). A status is written only when it
 * changes, with a condition on the stored one, so of two events racing over the same change exactly
 * one sees the transition and alerts. The transition's alert is stored with the status and cleared
 * once published: a handler that dies in between leaves it pending, and its redelivery publishes it.
 */

/**
 * How long a stored alert belongs to the attempt that wrote it. Publishing takes well under a second;
 * a redelivery after a crash comes after the queue's visibility timeout, minutes later.
 */
// Loaded on first use, with the client itself: a cold start pays only for what an invocation touches.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ddb = () => require("@aws-sdk/lib-dynamodb") as typeof import("@aws-sdk/lib-dynamodb");

export const PENDING_LEASE_MS = 60_000;

export interface StateEntry {
  readonly plugin: string;
  readonly resource: string;
  readonly status: StateStatus;
  readonly severity: string;
  readonly region: string;
  readonly account: string;
}

/** An entry as stored: with whether an alert of its status still waits to be published. */
export interface StoredEntry extends StateEntry {
  readonly pending: boolean;
}

/** An alert to publish for one state change; `token` clears it once sent. */
export interface PendingAlert {
  readonly entry: StateEntry;
  readonly before: StateStatus | undefined;
  readonly transition: AlertTransition;
  readonly token: string;
}

interface Item {
  plugin: string;
  resource: string;
  status: StateStatus;
  severity?: string;
  region?: string;
  account?: string;
  alert_pending?: { token: string; transition: AlertTransition; since: string; before?: StateStatus };
}

export class FindingsState {
  constructor(
    private readonly doc: () => DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Records the entry's status; returns the alert its change needs, if any (also a pending alert an
   * earlier attempt stored and did not clear). Read, then write on the condition that the status read
   * is still the stored one; a lost race reads again.
   */
  async record(entry: StateEntry, now: Date): Promise<PendingAlert | undefined> {
    const key = { [T.partitionKey]: entry.plugin, [T.sortKey]: entry.resource };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const cur = await this.item(entry.plugin, entry.resource);
      if (cur?.status === entry.status) return this.takeOver(entry, cur, now);
      // A group deleted before it was ever seen has nothing to resolve.
      if (!cur && entry.status === REMOVED) return undefined;
      const kind = transition(cur?.status, entry.status);
      const alert = kind
        ? {
            token: randomUUID(),
            transition: kind,
            since: now.toISOString(),
            ...(cur?.status ? { before: cur.status } : {}),
          }
        : undefined;
      try {
        await this.doc().send(
          new (ddb().PutCommand)({
            TableName: this.table,
            // The alert is stored with the status it belongs to, in one write.
            Item: { ...key, ...this.fields(entry, now), ...(alert ? { [T.alertPending]: alert } : {}) },
            ConditionExpression: cur ? "#s = :before" : "attribute_not_exists(#pk)",
            ExpressionAttributeNames: cur ? { "#s": T.status } : { "#pk": T.partitionKey },
            ...(cur ? { ExpressionAttributeValues: { ":before": cur.status } } : {}),
          }),
        );
      } catch (e) {
        if ((e as Error).name === "ConditionalCheckFailedException") continue;
        throw e;
      }
      return alert && { entry, before: cur?.status, transition: alert.transition, token: alert.token };
    }
    throw new Error(`state of ${entry.plugin} ${entry.resource} kept changing under concurrent writes`);
  }

  /** Marks an alert published; a no-op when another attempt already did. */
  async published(a: PendingAlert): Promise<void> {
    await this.doc()
      .send(
        new (ddb().UpdateCommand)({
          TableName: this.table,
          Key: { [T.partitionKey]: a.entry.plugin, [T.sortKey]: a.entry.resource },
          UpdateExpression: "REMOVE #p",
          ConditionExpression: "#p.#t = :t",
          ExpressionAttributeNames: { "#p": T.alertPending, "#t": "token" },
          ExpressionAttributeValues: { ":t": a.token },
        }),
      )
      .catch((e: Error) => {
        if (e.name !== "ConditionalCheckFailedException") throw e;
      });
  }

  /** The resources of a plugin in a region and account that are not removed: what a sweep compares against. */
  async resources(plugin: string, region: string, account: string): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const r = await this.doc().send(
        new (ddb().QueryCommand)({
          TableName: this.table,
          KeyConditionExpression: "#pk = :pk",
          FilterExpression: "#r = :r AND #a = :a AND #s <> :removed",
          ExpressionAttributeNames: {
            "#pk": T.partitionKey,
            "#r": T.region,
            "#a": T.account,
            "#s": T.status,
          },
          ExpressionAttributeValues: { ":pk": plugin, ":r": region, ":a": account, ":removed": REMOVED },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const i of (r.Items ?? []) as Item[]) out.push(entryOf(i));
      ExclusiveStartKey = r.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  /** The stored entry of a (plugin, resource), if any. */
  async get(plugin: string, resource: string): Promise<StoredEntry | undefined> {
    const i = await this.item(plugin, resource);
    return i && entryOf(i);
  }

  /**
   * The alert an earlier attempt stored with this very status and did not clear, once it is older
   * than the lease: younger, its writer may still be publishing it (a concurrent event); older, the
   * writer died, and exactly one redelivery claims it (a conditional swap of its token).
   */
  private async takeOver(entry: StateEntry, cur: Item, now: Date): Promise<PendingAlert | undefined> {
    const p = cur.alert_pending;
    if (!p || now.getTime() - Date.parse(p.since) < PENDING_LEASE_MS) return undefined;
    const token = randomUUID();
    try {
      await this.doc().send(
        new (ddb().UpdateCommand)({
          TableName: this.table,
          Key: { [T.partitionKey]: entry.plugin, [T.sortKey]: entry.resource },
          UpdateExpression: "SET #p.#t = :new, #p.#since = :now",
          ConditionExpression: "#p.#t = :old",
          ExpressionAttributeNames: { "#p": T.alertPending, "#t": "token", "#since": "since" },
          ExpressionAttributeValues: { ":new": token, ":old": p.token, ":now": now.toISOString() },
        }),
      );
    } catch (e) {
      if ((e as Error).name === "ConditionalCheckFailedException") return undefined;
      throw e;
    }
    return { entry, before: p.before, transition: p.transition, token };
  }

  private async item(plugin: string, resource: string): Promise<Item | undefined> {
    const r = await this.doc().send(
      new (ddb().GetCommand)({
        TableName: this.table,
        Key: { [T.partitionKey]: plugin, [T.sortKey]: resource },
        ConsistentRead: true,
      }),
    );
    return r.Item as Item | undefined;
  }

  private fields(e: StateEntry, now: Date) {
    return {
      [T.status]: e.status,
      [T.severity]: e.severity,
      [T.region]: e.region,
      [T.account]: e.account,
      [T.updatedAt]: now.toISOString(),
    };
  }
}

const entryOf = (i: Item): StoredEntry => ({
  plugin: i.plugin,
  resource: i.resource,
  status: i.status,
  severity: i.severity ?? "",
  region: i.region ?? "",
  account: i.account ?? "",
  pending: i.alert_pending !== undefined,
});
