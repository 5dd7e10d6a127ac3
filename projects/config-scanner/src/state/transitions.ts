import { REMOVED, type AlertTransition, type StateStatus } from "@sec-an/contracts";

/**
 * Which status changes alert. Only FAIL matters to a reader: entering it opens an alert, leaving it
 * for OK (or the group's deletion) resolves it, leaving it for WARN or UNKNOWN changes it (the
 * group was detached, or its rules can no longer be judged). Every other change is recorded silently.
 */
export function transition(before: StateStatus | undefined, after: StateStatus): AlertTransition | undefined {
  if (before === after) return undefined;
  if (after === "FAIL") return "opened";
  if (before !== "FAIL") return undefined;
  return after === "OK" || after === REMOVED ? "resolved" : "changed";
}
