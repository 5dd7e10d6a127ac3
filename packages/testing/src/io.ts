/**
 * An output sink for commands that write through an injected `{ stdout, stderr }` (the CLI's `Io`), kept
 * as text for assertions instead of reaching the test runner's console.
 */
export interface CapturedIo {
  /** Everything written so far, per stream. */
  out: { stdout: string; stderr: string };
  /** Pass this to the command. */
  io: { stdout: { write(s: string): void }; stderr: { write(s: string): void } };
}

export function captureIo(): CapturedIo {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: { write: (s: string) => void (out.stdout += s) },
      stderr: { write: (s: string) => void (out.stderr += s) },
    },
  };
}
