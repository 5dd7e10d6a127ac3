import { Planner, bucketLength, bucketOf, planScans } from "../src/plan/planner";

/** Deterministic uniform source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const addresses = (n: number) =>
  Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

describe("scan planner", () => {
  const start = 1_795_000_000;

  it.each([
    [86_400, 96, 10_007],
    [86_400, 96, 5],
    [1_000, 7, 333], // period not a multiple of buckets
    [3_600, 3_600, 7_201], // one-second buckets
  ])(
    "balances buckets and stays in [start, start+period) (period %i, %i buckets, %i addresses)",
    (period, buckets, n) => {
      const cfg = { start, period, buckets, random: seeded(period + n) };
      const plan = planScans(addresses(n), cfg);
      expect(plan).toHaveLength(n);
      const sizes = new Array<number>(buckets).fill(0);
      const times = plan.map((p) => p.plannedScanTime);
      expect(times.every(Number.isInteger)).toBe(true);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(start);
      expect(Math.max(...times)).toBeLessThan(start + period);
      for (const t of times) sizes[bucketOf(t, cfg)] += 1;
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    },
  );

  it("round-robins successive addresses over consecutive buckets", () => {
    const cfg = { start, period: 86_400, buckets: 96, random: () => 0 };
    const plan = planScans(addresses(98), cfg);
    expect(plan[0].plannedScanTime).toBe(start);
    expect(plan[1].plannedScanTime).toBe(start + 900);
    expect(plan[95].plannedScanTime).toBe(start + 95 * 900);
    expect(plan[96].plannedScanTime).toBe(start); // wraps at the period end
    expect(bucketLength(86_400, 96)).toBe(900);
  });

  it("places a time uniformly inside its bucket, never past it even when random() returns 1", () => {
    const high = planScans(["a", "b"], { start, period: 86_400, buckets: 96, random: () => 1 });
    expect(high.map((p) => p.plannedScanTime)).toEqual([start + 899, start + 1799]);
    const mid = new Planner({ start, period: 86_400, buckets: 96, random: () => 0.5 });
    expect(mid.nextTime()).toBe(start + 450);
  });

  it("uses the whole bucket: offsets spread across it", () => {
    const cfg = { start, period: 900 * 4, buckets: 4, random: seeded(7) };
    const offsets = planScans(addresses(4000), cfg).map((p) => (p.plannedScanTime - start) % 900);
    expect(Math.min(...offsets)).toBeLessThan(20);
    expect(Math.max(...offsets)).toBeGreaterThan(880);
  });

  it.each([
    [{ period: 0, buckets: 1 }, /period must be a positive integer/],
    [{ period: 86_400, buckets: 1.5 }, /buckets must be a positive integer/],
    [{ period: 10, buckets: 11 }, /must not exceed period/],
  ])("rejects bad config %j", (bad, message) => {
    expect(() => planScans([], { start, ...bad })).toThrow(message);
  });

  describe("task batches (targetsPerTask)", () => {
    it("gives k successive addresses one bucket and one second: ⌈N/k⌉ batches, buckets within k", () => {
      const cfg = { start, period: 86_400, buckets: 96, targetsPerTask: 8, random: seeded(8) };
      const plan = planScans(addresses(1_000), cfg);
      const times = plan.map((p) => p.plannedScanTime);
      for (let b = 0; b < times.length; b += 8) expect(new Set(times.slice(b, b + 8)).size).toBe(1);
      // Successive batches go to successive buckets, so a batch ends exactly where the time changes.
      const batches = times.filter((t, i) => i === 0 || t !== times[i - 1]).length;
      expect(batches).toBe(Math.ceil(1_000 / 8));
      const sizes = new Array<number>(96).fill(0);
      for (const t of times) sizes[bucketOf(t, cfg)] += 1;
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(8);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(start);
      expect(Math.max(...times)).toBeLessThan(start + 86_400);
    });

    it("with 1 plans exactly as without batching", () => {
      const a = planScans(addresses(500), { start, period: 86_400, buckets: 96, random: seeded(1) });
      const b = planScans(addresses(500), {
        start,
        period: 86_400,
        buckets: 96,
        targetsPerTask: 1,
        random: seeded(1),
      });
      expect(b).toEqual(a);
    });

    it("refuses a batch size that is not a positive whole number", () => {
      expect(() => new Planner({ start, period: 100, buckets: 10, targetsPerTask: 0 })).toThrow(
        /targetsPerTask must be a positive integer/,
      );
    });
  });
});
