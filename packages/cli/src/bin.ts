import { main } from "./main";

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sec-an: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
