/** Minimal logger the logic needs (Powertools' Logger satisfies it). */
export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

export { mapLimit } from "@sec-an/runtime/map-limit";

/** The physical table names the scheduler reads and writes (from SSM at run time). */
export interface SchedulerTables {
  readonly scanPlan: string;
  readonly resolvedHosts: string;
  readonly resolvedAddresses: string;
  readonly addressInfo: string;
}
