import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { Env, SslScanResult, parseJson } from "@sec-an/contracts";
import { clearParamCache, resetClients, setClients, setParamOverrides } from "@sec-an/runtime";
import { dnsTableInput, dynamoClientConfig, restoreEnvAfterAll, uniqueName } from "@sec-an/testing";
import { createScan, resolvedHostnames } from "../src/scanner";
import { issue } from "./pki";
import { startTlsServer, type TestServer } from "./servers";
import { portEvent } from "./fixtures";

const PARAM = "/sec-an/ssltest/scheduler/dynamodb/resolved_addresses/id";

describe("the ssl ScanFn with names from resolved-addresses", () => {
  const table = uniqueName("ssl-scanfn");
  const raw = new DynamoDBClient(dynamoClientConfig());
  const doc = DynamoDBDocumentClient.from(raw);
  const ssm = mockClient(SSMClient);
  let server: TestServer;
  restoreEnvAfterAll([Env.stage]);

  beforeAll(async () => {
    process.env[Env.stage] = "ssltest";
    await raw.send(new CreateTableCommand(dnsTableInput("resolvedAddresses", table)));
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: { Address: "127.0.0.1", DnsIngestTime: 10, Hosts: new Set(["dns.test.", "bad name.test"]) },
      }),
    );
    server = await startTlsServer({ cert: issue({ cn: "dns.test", dnsNames: ["dns.test"] }) });
  });
  afterAll(async () => {
    await server.close();
    await raw.send(new DeleteTableCommand({ TableName: table }));
    raw.destroy();
    setParamOverrides(undefined);
    resetClients();
    ssm.restore();
  });

  it("scans the event's names and the latest DNS names of the address, and writes schema-valid JSON", async () => {
    setClients({ dynamoDoc: doc });
    setParamOverrides({ [PARAM]: table });
    const out = await createScan({ lookupHostnames: resolvedHostnames, timeoutMs: 3000 })(
      portEvent(server.port, ["event.test"]),
      { scanId: "s-1", task: "ssl" },
    );
    expect(out.extension).toBe("json");
    expect(out.endTime.getTime()).toBeGreaterThanOrEqual(out.startTime.getTime());
    const result = parseJson(SslScanResult, String(out.body));
    expect(result.scanTime).toBe(out.startTime.toISOString());
    expect(result.hostnames).toEqual([
      { name: "event.test", sources: ["event"] },
      { name: "dns.test", sources: ["dns"] },
    ]);
    expect(result.rejectedHostnames).toEqual([{ name: '"bad name.test"', reason: expect.any(String) }]);
    expect(result.endpoints.map((e) => [e.hostname, e.hostnameMatch?.matches])).toEqual([
      ["event.test", false],
      ["dns.test", true],
    ]);
  });

  it("goes on with the event's names when task-execution has not published the table", async () => {
    setParamOverrides(undefined);
    clearParamCache();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    setClients({
      dynamoDoc: doc,
      ssm: new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
    });
    expect(await resolvedHostnames("127.0.0.1")).toEqual([]);
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input.Name).toBe(PARAM);
  });
});
