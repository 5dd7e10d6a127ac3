import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real Debian `redis-server` on 127.0.0.1, one per test file: a free port, no persistence (nothing is
 * written outside a temporary directory), stopped by `stop()`. Tests of the Redis error bridge run
 * against it instead of a fake, so AUTH, PUBLISH and an outage behave as on a real server.
 */
export interface LocalRedis {
  host: string;
  port: number;
  /** Set when started with `password` (the server then runs with `requirepass`). */
  password?: string;
  /** Stop the server and wait for it to exit (SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Run with `requirepass`: clients must AUTH with it. */
  password?: string;
  /** Milliseconds to wait for the first answer to PING (default 10 s). */
  readyTimeoutMs?: number;
}

const HOST = "127.0.0.1";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true once the server answers (+PONG, or -NOAUTH when it wants a password). */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: HOST, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.once("data", (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Start `redis-server` on a free loopback port and wait until it answers PING. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sec-an-redis-"));
  const args = ["--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir];
  if (opts.password !== undefined) args.push("--requirepass", opts.password);
  const child = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const gone = exited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  for (;;) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
    ]);
    if (failed) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        (failed as NodeJS.ErrnoException).code === "ENOENT"
          ? "redis-server is not installed: install Debian's redis-server (`sudo apt-get install redis-server`; .ci/run does)"
          : `redis-server could not start: ${failed.message}`,
      );
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server exited with code ${child.exitCode}: ${stderr.trim()}`);
    }
    if (await pingOnce(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on ${HOST}:${port} did not answer PING in time: ${stderr.trim()}`);
    }
  }
  return { host: HOST, port, password: opts.password, stop };
}
