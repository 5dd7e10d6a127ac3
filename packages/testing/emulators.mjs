// Starts the real local AWS counterparts the handler tests talk to: fauxqs (SQS/SNS/S3 over the AWS
// wire protocol) and dynalite (DynamoDB). fauxqs is ESM-only, so it is started here (jest's global
// setup runs in the parent process, where ESM loads natively) and workers reach it through env vars.
// The local runner (`npm start`) uses the same function.
//
// Both listen on loopback only: anyone who can reach them can inject scan requests and read raw
// results. fauxqs' startFauxqs listens on 0.0.0.0 whatever host it is given, so its app is built with
// buildApp and bound here; every socket's address is checked after it starts.
import { buildApp } from "fauxqs";
import { BlockList, isIP } from "node:net";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses. */
export function isLoopbackAddress(address) {
  const a = address.replace(/^::ffff:(?=\d+\.)/i, "");
  const v = isIP(a);
  return v !== 0 && loopback.check(a, v === 4 ? "ipv4" : "ipv6");
}

/** The address a server's socket really has; throws when it is not loopback. */
export function assertLoopbackBound(server, what) {
  const bound = server.address();
  if (!bound || typeof bound !== "object" || !isLoopbackAddress(bound.address))
    throw new Error(`${what} is listening on ${JSON.stringify(bound)}, not on loopback: refusing to run`);
  return { address: bound.address, port: bound.port };
}

const closeServer = (server) => new Promise((resolve) => server.close(() => resolve()));

/** @returns {Promise<{ awsEndpoint: string, dynamoEndpoint: string, bound: { aws: { address: string, port: number }, dynamo: { address: string, port: number } }, stop: () => Promise<void> }>} */
export async function startEmulators({ host = "127.0.0.1" } = {}) {
  if (!isLoopbackAddress(host)) throw new Error(`emulators bind loopback only, not ${JSON.stringify(host)}`);
  const app = buildApp({ logger: false, host });
  await app.listen({ port: 0, host });
  const dynalite = require("dynalite")({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await new Promise((resolve, reject) => {
      dynalite.once("error", reject);
      dynalite.listen(0, host, () => resolve());
    });
    const bound = {
      aws: assertLoopbackBound(app.server, "the SQS/SNS/S3 emulator (fauxqs)"),
      dynamo: assertLoopbackBound(dynalite, "the DynamoDB emulator (dynalite)"),
    };
    const url = ({ address, port }) => `http://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
    return {
      awsEndpoint: url(bound.aws),
      dynamoEndpoint: url(bound.dynamo),
      bound,
      async stop() {
        await app.close();
        await closeServer(dynalite);
      },
    };
  } catch (e) {
    await app.close();
    if (dynalite.listening) await closeServer(dynalite);
    throw e;
  }
}
