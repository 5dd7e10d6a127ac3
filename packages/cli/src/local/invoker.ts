import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { LocalFunction } from "./topology";
import type { Translation } from "./provision";

/**
 * Runs the real Lambda handlers in this process, from their TypeScript entries, the way AWS invokes
 * them: one invocation at a time with the function's own environment. Invocations are serialised
 * because environment variables are process-wide; the local pipeline is small, and the long-running
 * part (nmap) is a separate process.
 */
export interface InvokeResult {
  ok: boolean;
  result?: unknown;
  error?: Error;
  ms: number;
}

export class LocalInvoker {
  private readonly byRef = new Map<string, LocalFunction>();
  private readonly handlers = new Map<string, (event: unknown, context: unknown) => Promise<unknown>>();
  private queue: Promise<unknown> = Promise.resolve();
  readonly counts = new Map<string, { invocations: number; errors: number; ms: number }>();
  /** Called after every invocation: what a handler wrote may be work for a bridge that polls. */
  onInvoked?: () => void;

  constructor(
    functions: readonly LocalFunction[],
    private readonly repoRoot: string,
    private readonly translation: Translation,
    private readonly baseEnv: Record<string, string>,
  ) {
    for (const f of functions) {
      this.byRef.set(f.name, f);
      this.byRef.set(f.mockArn, f);
    }
  }

  /** The function an ARN or name refers to (mock or local form). */
  find(ref: string): LocalFunction | undefined {
    return (
      this.byRef.get(ref) ??
      [...this.byRef.values()].find((f) => ref.endsWith(`:function:${f.name}`) || ref === f.name)
    );
  }

  private load(fn: LocalFunction) {
    let h = this.handlers.get(fn.name);
    if (!h) {
      if (!fn.entry) throw new Error(`function ${fn.name} has no sec-an:entry tag: cannot run it locally`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(resolve(this.repoRoot, fn.entry));
      if (typeof mod.handler !== "function") throw new Error(`${fn.entry} exports no handler`);
      h = mod.handler as (event: unknown, context: unknown) => Promise<unknown>;
      this.handlers.set(fn.name, h);
    }
    return h;
  }

  invoke(ref: string, event: unknown): Promise<InvokeResult> {
    const fn = this.find(ref);
    if (!fn) return Promise.resolve({ ok: false, error: new Error(`no local function ${ref}`), ms: 0 });
    const run = async (): Promise<InvokeResult> => {
      const started = Date.now();
      const env = {
        ...this.baseEnv,
        ...this.translation.applyAll(fn.env),
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
      };
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      const c = this.counts.get(fn.name) ?? { invocations: 0, errors: 0, ms: 0 };
      c.invocations += 1;
      this.counts.set(fn.name, c);
      const deadline = started + fn.timeout * 1000;
      const context = {
        awsRequestId: randomUUID(),
        functionName: fn.name,
        functionVersion: "$LATEST",
        invokedFunctionArn: fn.mockArn,
        memoryLimitInMB: "512",
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: "local",
        callbackWaitsForEmptyEventLoop: false,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      try {
        const result = await this.load(fn)(event, context);
        c.ms += Date.now() - started;
        return { ok: true, result, ms: Date.now() - started };
      } catch (e) {
        c.errors += 1;
        c.ms += Date.now() - started;
        return { ok: false, error: e as Error, ms: Date.now() - started };
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        this.onInvoked?.();
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
