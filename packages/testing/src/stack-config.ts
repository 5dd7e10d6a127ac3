/**
 * A stack's configuration as the programs' parsers read it (`pulumi.Config`'s `get`), from plain values:
 * tests exercise the parsing and defaults without a Pulumi engine or stack file.
 */
export interface ConfigReader {
  get(key: string): string | undefined;
}

export function stackConfig(values: Record<string, string> = {}): ConfigReader {
  return { get: (key) => values[key] };
}
