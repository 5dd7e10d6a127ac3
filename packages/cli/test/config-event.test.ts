import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logger, resetClients } from "@sec-an/runtime";
import { captureIo, emulatorEndpoints } from "@sec-an/testing";
import { configEventReport, run, runConfigEvent } from "../src/local/config-event";

/**
 * `sec-an local --event --resources`: the config-scanner's real handler on one event, on emulators it
 * starts on loopback and stops, with EC2 answered from the file.
 */
logger.setLogLevel("SILENT");
const dir = mkdtempSync(join(tmpdir(), "config-event-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => resetClients());
/** The emulators jest's global setup started (the command starts its own when run from a shell). */
const emulators = () => {
  const e = emulatorEndpoints();
  return { awsEndpoint: e.aws, dynamoEndpoint: e.dynamo };
};
const file = (name: string, v: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof v === "string" ? v : JSON.stringify(v));
  return p;
};

const GROUP = "sg-0123456789abcdef0";
const event = {
  version: "0",
  id: "e-1",
  "detail-type": "AWS API Call via CloudTrail",
  source: "aws.ec2",
  account: "123456789012",
  time: "2026-11-27T10:00:00Z",
  region: "eu-west-2",
  resources: [],
  detail: {
    eventVersion: "1.10",
    eventTime: "2026-11-27T10:00:00Z",
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    awsRegion: "eu-west-2",
    recipientAccountId: "123456789012",
    userIdentity: { type: "IAMUser", accountId: "123456789012" },
    requestParameters: {
      groupId: GROUP,
      ipPermissions: {
        items: [
          { ipProtocol: "tcp", fromPort: 3389, toPort: 3389, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } },
        ],
      },
    },
  },
};
const resources = {
  SecurityGroups: [
    {
      GroupId: GROUP,
      GroupName: "rdp",
      OwnerId: "123456789012",
      VpcId: "vpc-1",
      IpPermissions: [
        { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
      ],
      IpPermissionsEgress: [],
    },
  ],
  NetworkInterfaces: [
    {
      NetworkInterfaceId: "eni-1",
      Groups: [{ GroupId: GROUP }],
      PrivateIpAddress: "10.1.0.4",
      Association: { PublicIp: "198.51.100.44" },
    },
  ],
};

test("the real handler on an event, EC2 from the file: findings, the alert as mailed, the documents", async () => {
  const r = await runConfigEvent({
    event: file("event.json", event),
    resources: file("sgs.json", resources),
    emulators: emulators(),
  });
  expect(r).toMatchObject({ relevant: true, trigger: "AuthorizeSecurityGroupIngress", deadLetters: [] });
  expect(r.findings.filter((f) => f.status === "FAIL").map((f) => f.plugin)).toEqual(["openRdp"]);
  expect(r.alerts).toHaveLength(1);
  expect(r.alerts[0].attributes).toMatchObject({
    plugin: '["openRdp"]',
    status: "FAIL",
    region: "eu-west-2",
  });
  expect(r.alerts[0].text).toContain("public 198.51.100.44");
  expect(r.documents).toBe(r.findings.length);
  const report = configEventReport(r);
  expect(report).toContain(`FAIL    openRdp`);
  expect(report).toContain("alert: [sec-an] FAIL openRdp");
}, 60_000);

test("a resources file without NetworkInterfaces: groups are assumed attached, so FAIL and one alert", async () => {
  const r = await runConfigEvent({
    event: file("event3.json", event),
    resources: file("sgs-only.json", { SecurityGroups: resources.SecurityGroups }),
    emulators: emulators(),
  });
  expect(r.assumedAttached).toBe(true);
  expect(r.findings.filter((f) => f.status === "FAIL").map((f) => f.plugin)).toEqual(["openRdp"]);
  expect(r.findings.filter((f) => f.status === "WARN")).toEqual([]);
  expect(r.alerts).toHaveLength(1);
  expect(configEventReport(r)).toContain("assumed attached");
}, 60_000);

test("a group the file does not hold is resolved as deleted, not an error", async () => {
  const r = await runConfigEvent({
    event: file("event2.json", event),
    resources: file("empty.json", { SecurityGroups: [] }),
    emulators: emulators(),
  });
  expect(r).toMatchObject({ relevant: true, removed: [GROUP], findings: [], alerts: [], deadLetters: [] });
}, 60_000);

test("bad input: a clear error and exit code 2", async () => {
  const a = captureIo();
  expect(await run(["--event", file("e.json", event)], a.io)).toBe(2);
  expect(a.out.stderr).toContain("--resources");
  const b = captureIo();
  expect(await run(["--event", file("e.json", event), "--resources", file("bad.json", "{nope")], b.io)).toBe(
    2,
  );
  expect(b.out.stderr).toContain("is not JSON");
  const c = captureIo();
  expect(
    await run(["--event", file("e.json", event), "--resources", file("wrong.json", { Groups: [] })], c.io),
  ).toBe(2);
  expect(c.out.stderr).toContain("describe-security-groups");
});
