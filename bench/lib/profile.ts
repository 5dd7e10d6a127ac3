import type { Profiler } from "node:inspector";
import { Session } from "node:inspector/promises";
import { relative } from "node:path";

/**
 * Run `fn` under the V8 CPU profiler and summarise where the time went: self time per function (with
 * its file and line), largest first, as indented lines for a bench's output.
 */
export async function profileSummary(fn: () => Promise<unknown>, top = 10): Promise<string> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  let stopped: Profiler.StopReturnType;
  try {
    await fn();
  } finally {
    stopped = await session.post("Profiler.stop");
    session.disconnect();
  }
  const { profile } = stopped;
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const n = byNode.get(id)!;
    const f = n.callFrame;
    // The profiler's own stop call (native "dispatch") is not the work measured.
    if (f.functionName === "dispatch" && !f.url) return;
    const where = f.url
      ? `${relative(process.cwd(), f.url.replace(/^file:\/\//, ""))}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    const dt = deltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) =>
        `    ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    )
    .join("\n");
}
