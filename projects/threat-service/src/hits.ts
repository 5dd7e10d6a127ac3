import { isIP } from "node:net";
import {
  CtsLimits,
  canonicalJson,
  type ArtifactHit,
  type HitProp,
  type HitPropType,
} from "@sec-an/contracts";

/** One prop as a searcher states it; null and undefined values are dropped. */
export type PropInput = readonly [
  name: string,
  type: HitPropType,
  value: string | number | boolean | null | undefined,
];

function typed(type: HitPropType, value: string): HitPropType {
  // A value that is not what its type says is still shown, as a string, rather than lost.
  if (type === "ip" && isIP(value) === 0) return "string";
  if (type === "uri" && !URL.canParse(value)) return "string";
  if (type === "number" && !Number.isFinite(Number(value))) return "string";
  return type;
}

/**
 * An ArtifactHitDTO from props: nulls dropped, numbers and booleans stringified, each value cut to the
 * limit, and names made unique (a repeated name gets " (2)", " (3)"…, so no fact is silently lost).
 */
export function buildHit(props: readonly PropInput[]): ArtifactHit {
  const out: HitProp[] = [];
  const used = new Set<string>();
  for (const [rawName, type, raw] of props) {
    if (raw === null || raw === undefined) continue;
    const value = String(raw).slice(0, CtsLimits.maxPropValueChars);
    let name = rawName;
    for (let n = 2; used.has(name); n++) name = `${rawName} (${n})`;
    used.add(name);
    out.push({ type: typed(type, value), name, value });
    if (out.length === CtsLimits.maxPropsPerHit) break;
  }
  return { props: out };
}

/** Hits with at least one prop, at most the answer's limit. */
export function keepHits(hits: readonly ArtifactHit[]): ArtifactHit[] {
  return hits.filter((h) => h.props.length > 0).slice(0, CtsLimits.maxHits);
}

/** Hits once each, first seen kept: two lookups that reach one document (by address, by name) give one hit. */
export function uniqueHits(hits: readonly ArtifactHit[]): ArtifactHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const key = canonicalJson(h.props);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
