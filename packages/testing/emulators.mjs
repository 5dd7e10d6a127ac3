// Starts the real local AWS counterparts the handler tests talk to: fauxqs (SQS/SNS/S3 over the AWS
// wire protocol) and dynalite (DynamoDB). fauxqs is ESM-only, so it is started here (jest's global
// setup runs in the parent process, where ESM loads natively) and workers reach it through env vars.
// The local runner (`npm start`) uses the same function.
import { startFauxqs } from "fauxqs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** @returns {Promise<{ awsEndpoint: string, dynamoEndpoint: string, stop: () => Promise<void> }>} */
export async function startEmulators({ host = "127.0.0.1" } = {}) {
  const fauxqs = await startFauxqs({ port: 0, host, logger: false });
  const dynalite = require("dynalite")({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => dynalite.listen(0, host, (err) => (err ? reject(err) : resolve())));
  const dynamoEndpoint = `http://${host}:${dynalite.address().port}`;
  return {
    awsEndpoint: fauxqs.address,
    dynamoEndpoint,
    fauxqs,
    async stop() {
      await fauxqs.stop();
      await new Promise((resolve) => dynalite.close(() => resolve()));
    },
  };
}
