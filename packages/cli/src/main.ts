/** The `sec-an` command: one entry point for scanner authors and operators. */
export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

type Command = { summary: string; run: (args: string[], io: Io) => Promise<number> };

// Commands load lazily so `sec-an plan` does not pay for the local runner's emulators, and so on.
const commands: Record<string, Command> = {
  parse: {
    summary:
      "parse <task> <file>   run a task's real parser on a raw result file; print documents and messages",
    run: async (args, io) => (await import("./commands/parse-entry")).run(args, io),
  },
  reingest: {
    summary: "reingest --task <t> [--since YYYY-MM-DD] [--bucket b]   replay raw results through the parser",
    run: async (args, io) => (await import("./commands/reingest-entry")).run(args, io),
  },
  plan: {
    summary:
      "plan [--mermaid|--json|--order]   print the deployment order derived from SSM dependencies, each parameter marked [deploy] or [run] (--order: the order alone, one line of JSON)",
    run: async (args, io) => (await import("./commands/plan")).run(args, io),
  },
  new: {
    summary:
      "new scanner <name> [--container] [--from <topic> --filter <json>]   generate a scanner project and its stacks; new searcher <artifact-type>   a threat-service searcher and its test",
    run: async (args, io) => (await import("./new/command")).run(args, io, Object.keys(commands)),
  },
  cost: {
    summary:
      "cost --stack <stack> [--addresses N,N,...] [--json]   price the stack: idle per month, scanning per day, batching",
    run: async (args, io) => (await import("./commands/cost")).run(args, io),
  },
  scan: {
    summary:
      "scan <target>... --stack <s> [--scanner s]... [--ports p] [--token t | --user email]   ask the platform to scan targets now (POST /scans)",
    run: async (args, io) => (await import("./commands/scan")).run(args, io),
  },
  dashboards: {
    summary:
      "dashboards --stack <s> [--local-port p]   tunnel to OpenSearch Dashboards through Session Manager; prints the URL",
    run: async (args, io) => (await import("./commands/dashboards")).run(args, io),
  },
  "aws-scan": {
    summary:
      "aws-scan [--plugins p,...] --region r --input-stdin [--fail-on FAIL] | --event <file|-> | --list   run the config-scanner plugins on describe-security-groups output, or map a CloudTrail event",
    run: async (args, io) => (await import("./commands/aws-scan")).run(args, io),
  },
  local: {
    summary:
      "local [--target addr|cidr ...] [--allow-remote] [--scanners ...] [--data-dir d] [--keep-running] [--full] [--timeout s] [--json]   run the pipeline on this machine; local --event <cloudtrail.json> --resources <describe-security-groups.json> [--json]   the config-scanner handler on one event",
    run: async (args, io) =>
      args.includes("--event")
        ? (await import("./local/config-event")).run(args, io)
        : (await import("./commands/local-entry")).run(args, io),
  },
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr.write(`sec-an: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  return cmd.run(rest, io);
}

function usage(): string {
  return `usage: sec-an <command> [options]\n\n${Object.values(commands)
    .map((c) => `  ${c.summary}`)
    .join("\n")}\n`;
}
