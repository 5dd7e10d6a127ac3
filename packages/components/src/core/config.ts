import type { ConfigLike } from "./ssm";

/**
 * Stack configuration, checked before a program creates anything: a bad value fails naming the key in
 * full (`config sec-an-nmap:cpu: …`), so `pulumi preview` stops at the first mistake.
 */
export class ConfigError extends Error {
  constructor(namespace: string, key: string, reason: string) {
    super(`config ${namespace}:${key}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Typed readers over one project's config namespace; each throws a ConfigError naming the key. */
export function configReader(cfg: ConfigLike, namespace: string) {
  const fail = (key: string, reason: string): never => {
    throw new ConfigError(namespace, key, reason);
  };
  return {
    fail,
    int(key: string, def: number, min: number, max: number): number {
      const raw = cfg.get(key);
      if (raw === undefined) return def;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max)
        fail(key, `must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
      return n;
    },
    bool(key: string, def: boolean): boolean {
      const raw = cfg.get(key);
      if (raw === undefined) return def;
      if (raw !== "true" && raw !== "false") fail(key, `must be true or false, got ${JSON.stringify(raw)}`);
      return raw === "true";
    },
    oneOf<T extends string>(key: string, def: T, allowed: readonly T[]): T {
      const raw = cfg.get(key);
      if (raw === undefined) return def;
      if (!(allowed as readonly string[]).includes(raw))
        fail(key, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
      return raw as T;
    },
  };
}
