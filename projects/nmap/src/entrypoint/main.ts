// Bundled by esbuild into the container image as /app/entrypoint.js.
import { main } from "./index";

main(process.env, {}, { handleSignals: true }).then((code) => {
  process.exitCode = code;
});
