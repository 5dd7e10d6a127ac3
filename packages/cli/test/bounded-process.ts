import { spawn } from "node:child_process";

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command to completion, killing it after `timeoutMs` so a test can never hang on it. With
 * `stdin`, that text is piped in and the input closed.
 */
export function runBounded(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
  stdin?: string,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin.end(stdin);
  });
}

/** The result when the command succeeded; otherwise an error carrying the tail of its output. */
export function succeeded(r: ProcessResult, what: string): ProcessResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r;
}
