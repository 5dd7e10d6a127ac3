import { parseArgs } from "node:util";
import type { Io } from "../main";

/** `sec-an local`: run the whole scanning pipeline on this machine (see docs/local-run.md). */
export async function run(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: "string", multiple: true },
        "allow-remote": { type: "boolean", default: false },
        scanners: { type: "string" },
        "data-dir": { type: "string" },
        "keep-running": { type: "boolean", default: false },
        full: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        timeout: { type: "string" },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`sec-an local: ${(e as Error).message}\n`);
    return 2;
  }
  const scanners = values.scanners
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // Scanners are the registered task projects (a generated one included), not a fixed list.
  const { registeredTasks, repoRoot } = await import("@sec-an/contracts/registry");
  const known = registeredTasks(repoRoot());
  const unknown = scanners?.filter((s) => !known.includes(s)) ?? [];
  if (unknown.length) {
    io.stderr.write(`sec-an local: unknown scanner(s) ${unknown.join(", ")} (known: ${known.join(", ")})\n`);
    return 2;
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout <= 0)) {
    io.stderr.write("sec-an local: --timeout takes a positive number of seconds\n");
    return 2;
  }
  const { runLocal, terminalSummary } = await import("../local/run");
  const { TargetError } = await import("../local/targets");
  // The handlers log to stdout as they would in Lambda; here stdout carries only the result.
  const stdoutWrite = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    const result = await runLocal({
      targets: values.target,
      allowRemote: values["allow-remote"],
      scanners,
      dataDir: values["data-dir"],
      keepRunning: values["keep-running"],
      full: values.full,
      timeoutSeconds: timeout,
      log: (l) => io.stderr.write(`${l}\n`),
    });
    process.stdout.write = stdoutWrite;
    if (values.json)
      io.stdout.write(
        JSON.stringify(
          {
            ...result.summary,
            report: result.reportPath,
            targets: result.targets,
            demo: result.demo,
            timings: result.timings,
          },
          null,
          2,
        ) + "\n",
      );
    else io.stdout.write(`\n${terminalSummary(result.summary)}\nReport: ${result.reportPath}\n`);
    return 0;
  } catch (e) {
    process.stdout.write = stdoutWrite;
    if (e instanceof TargetError) {
      io.stderr.write(`sec-an local: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
