/**
 * Environment save/restore for tests that set `process.env` (handlers read their settings there).
 *
 * Restoring happens in place on the real `process.env`: replacing it with a plain object copy would drop
 * Node's string coercion of assigned values, so a later `process.env.X = 1` would read back as a number.
 */

/** A snapshot of `keys` (or of the whole environment when no keys are given), restorable in place. */
export interface EnvSnapshot {
  /** Put the environment back as it was when the snapshot was taken: set, overwrite or delete. */
  restore(): void;
}

export function snapshotEnv(keys?: readonly string[]): EnvSnapshot {
  const saved: Record<string, string | undefined> = keys
    ? Object.fromEntries(keys.map((k) => [k, process.env[k]]))
    : { ...process.env };
  return {
    restore() {
      // Without a key list, anything set since the snapshot goes too.
      if (!keys) for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/**
 * Restore the environment as it is now after each test of the enclosing block (or file).
 * Call it at the top level or in a `describe`, where jest hooks may be registered.
 */
export function restoreEnvAfterEach(keys?: readonly string[]): void {
  const s = snapshotEnv(keys);
  afterEach(() => s.restore());
}

/** Restore the environment as it is now once the enclosing block (or file) has run. */
export function restoreEnvAfterAll(keys?: readonly string[]): void {
  const s = snapshotEnv(keys);
  afterAll(() => s.restore());
}
