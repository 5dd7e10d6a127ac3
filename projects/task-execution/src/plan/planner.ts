/**
 * The scan planner: spreads a period (default one day) of scans evenly over its buckets (default 96 of
 * 15 minutes), so the scanners see a steady load and each address is scanned once per period.
 * Successive addresses go round-robin over the buckets and land at a uniformly random second inside
 * their bucket, so bucket sizes never differ by more than one.
 *
 * When Fargate tasks scan several targets (`targetsPerTask` k), the unit is a task batch instead of an
 * address: k successive addresses share one bucket and one planned second, so their requests reach the
 * task queue together and the launcher starts one task for them. Buckets then differ by at most k, and
 * a day of N addresses costs ⌈N / k⌉ tasks.
 */
export interface PlannerConfig {
  /** Epoch seconds the period starts (the DNS ingest's start time). */
  readonly start: number;
  /** Period length in seconds. */
  readonly period: number;
  /** Number of buckets per period. */
  readonly buckets: number;
  /** Addresses planned together as one task batch (default 1). */
  readonly targetsPerTask?: number;
  /** Uniform random number in [0, 1); injectable so tests are reproducible. */
  readonly random?: () => number;
}

export interface PlannedScan {
  readonly address: string;
  /** Integer epoch seconds within [start, start + period). */
  readonly plannedScanTime: number;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

export function checkPlannerConfig(c: PlannerConfig): void {
  if (!Number.isSafeInteger(c.start) || c.start < 0)
    throw new RangeError(`start must be epoch seconds, got ${c.start}`);
  positiveInt("period", c.period);
  positiveInt("buckets", c.buckets);
  if (c.targetsPerTask !== undefined) positiveInt("targetsPerTask", c.targetsPerTask);
  if (c.buckets > c.period)
    throw new RangeError(`buckets (${c.buckets}) must not exceed period (${c.period}) seconds`);
}

/** Start offset of bucket `b`; integer arithmetic keeps buckets contiguous when period/buckets is not whole. */
const bucketOffset = (b: number, period: number, buckets: number) => Math.floor((b * period) / buckets);

/** Length in seconds of one bucket (the shortest, when period/buckets is not whole). */
export function bucketLength(period: number, buckets: number): number {
  return Math.floor(period / buckets);
}

/** A planner that can be fed addresses one at a time (the ingestor streams them). */
export class Planner {
  private next = 0;
  private readonly random: () => number;
  /** The current task batch's planned second, and how many more addresses share it. */
  private batchTime = 0;
  private batchLeft = 0;

  constructor(private readonly config: PlannerConfig) {
    checkPlannerConfig(config);
    this.random = config.random ?? Math.random;
  }

  /** Planned epoch second for the next address. */
  nextTime(): number {
    if (this.batchLeft > 0) {
      this.batchLeft -= 1;
      return this.batchTime;
    }
    this.batchTime = this.nextBatchTime();
    this.batchLeft = (this.config.targetsPerTask ?? 1) - 1;
    return this.batchTime;
  }

  private nextBatchTime(): number {
    const { start, period, buckets } = this.config;
    const b = this.next;
    this.next = (this.next + 1) % buckets;
    const from = bucketOffset(b, period, buckets);
    const len = bucketOffset(b + 1, period, buckets) - from;
    // min() guards a random source that returns exactly 1.
    return start + from + Math.min(len - 1, Math.floor(this.random() * len));
  }
}

/** Plan every address once within [start, start + period). */
export function planScans(addresses: Iterable<string>, config: PlannerConfig): PlannedScan[] {
  const planner = new Planner(config);
  const out: PlannedScan[] = [];
  for (const address of addresses) out.push({ address, plannedScanTime: planner.nextTime() });
  return out;
}

/** Bucket index of a planned time (for balance checks and the benchmark). */
export function bucketOf(time: number, config: Pick<PlannerConfig, "start" | "period" | "buckets">): number {
  const offset = time - config.start;
  // Largest b with bucketOffset(b) <= offset.
  let b = Math.floor((offset * config.buckets) / config.period);
  while (b + 1 < config.buckets && bucketOffset(b + 1, config.period, config.buckets) <= offset) b += 1;
  while (b > 0 && bucketOffset(b, config.period, config.buckets) > offset) b -= 1;
  return b;
}
