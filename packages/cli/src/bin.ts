import { main } from "./main";

// A closed pipe (`sec-an plan | head`) ends the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sec-an: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
