/**
 * Pure pieces of the Fargate side of an EcsTask: size checks, the container definition and the ECR
 * lifecycle policy, kept apart from the component so they are tested without Pulumi.
 */

/** Memory (MiB) Fargate accepts for each CPU size (CPU units): [min, max, step]. */
const FARGATE_SIZES: Record<number, [number, number, number]> = {
  256: [512, 2048, 512], // 512, 1024, 2048 (1536 is not offered, checked below)
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

/** Throws unless (cpu, memory) is a task size Fargate offers. */
export function checkFargateSize(what: string, cpu: number, memory: number): void {
  const range = FARGATE_SIZES[cpu];
  if (!range)
    throw new Error(`${what}: cpu ${cpu} is not a Fargate size (${Object.keys(FARGATE_SIZES).join(", ")})`);
  const [min, max, step] = range;
  const ok =
    cpu === 256
      ? [512, 1024, 2048].includes(memory)
      : memory >= min && memory <= max && (memory - min) % step === 0;
  if (!ok)
    throw new Error(
      `${what}: memory ${memory} MiB is not offered with cpu ${cpu} (${min}..${max} in steps of ${step})`,
    );
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly environment: Record<string, string>;
  /** `uid:gid` the process runs as (never root). */
  readonly user: string;
  /** Writable paths on an otherwise read-only root filesystem (Fargate ephemeral storage). */
  readonly scratchPaths: readonly string[];
  readonly logGroup: string;
  readonly region: string;
  readonly streamPrefix: string;
}

/** Name of the task-definition volume backing scratch path `i`. */
export const scratchVolume = (i: number) => `scratch-${i}`;

/** Throws when `user` would run the container as root. */
export function checkNonRoot(container: string, user: string): string {
  if (/^(0|root)(:|$)/.test(user.trim()))
    throw new Error(`container ${container} must not run as root (user ${JSON.stringify(user)})`);
  return user;
}

/** One hardened container: non-root, read-only root, no Linux capabilities, logs to its group. */
export function containerDefinition(c: ContainerSpec): Record<string, unknown> {
  checkNonRoot(c.name, c.user);
  return {
    name: c.name,
    image: c.image,
    essential: true,
    ...(c.command ? { command: [...c.command] } : {}),
    user: c.user,
    privileged: false,
    readonlyRootFilesystem: true,
    // Reaps zombie children (scanners fork); drops every capability (nmap -sT needs none).
    linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
    environment: Object.entries(c.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    mountPoints: c.scratchPaths.map((containerPath, i) => ({
      sourceVolume: scratchVolume(i),
      containerPath,
      readOnly: false,
    })),
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": c.logGroup,
        "awslogs-region": c.region,
        "awslogs-stream-prefix": c.streamPrefix,
      },
    },
  };
}

/** ECR lifecycle: keep the newest `keep` images, expire older ones (the original kept every build). */
export function ecrLifecyclePolicy(keep: number): string {
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`keepImages must be a positive whole number, got ${keep}`);
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${keep} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  });
}

/** Trust policy for ECS tasks, limited to tasks of this account (confused-deputy guard). */
export function ecsTasksTrustPolicy(account: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  });
}
