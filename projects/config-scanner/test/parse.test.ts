import { ConfigDocType, ConfigFindingDoc, validate, type RawResult } from "@sec-an/contracts";
import { runScannerParser } from "@sec-an/runtime";
import { cacheFromDescribe, runPlugins, selectPlugins } from "../src/engine";
import { groupRecords, type Evaluation } from "../src/evaluate";
import { scanner } from "../src/scanner";
import { eni, group } from "./helpers";

/** The parser: finding documents with the exposure fields, and deleted groups cleared. */
const groups = [group("sg-0aaa", [22]), group("sg-0bbb", [])];
const enis = [eni("sg-0aaa", "198.51.100.20", "10.0.0.20")];
const findings = runPlugins(
  selectPlugins(["openSsh", "openRdp"]),
  cacheFromDescribe("us-east-1", { SecurityGroups: groups }, { NetworkInterfaces: enis }, "123456789012"),
  ["us-east-1"],
);
const evaluation: Evaluation = {
  kind: "event",
  trigger: "AuthorizeSecurityGroupIngress",
  relevant: true,
  reason: "ingress authorised",
  region: "us-east-1",
  account: "123456789012",
  plugins: ["openSsh", "openRdp"],
  groupIds: ["sg-0aaa", "sg-0bbb", "sg-0ccc"],
  groups: groupRecords({ groups, interfaces: enis }),
  removed: ["sg-0ccc"],
  findings,
  immediate: [],
  alerts: [],
  live: { SecurityGroups: groups, NetworkInterfaces: enis },
};
const raw = (e: Evaluation): RawResult => ({
  key: "config-scanner/2026/11/27/m-1.json",
  body: Buffer.from(JSON.stringify(e)),
  metadata: {
    scanId: "m-1",
    task: "config-scanner",
    scanStartTime: "2026-11-27T10:00:00.000Z",
    scanEndTime: "2026-11-27T10:00:01.000Z",
    request: {},
  },
});

test("one document per finding, with the group's interfaces and addresses, one collection per group", async () => {
  const { messages } = await runScannerParser(raw(evaluation), scanner);
  const docs = messages.flatMap((m) => m.message.docs[ConfigDocType.findings] ?? []).map((d) => d.data);
  expect(docs).toHaveLength(4);
  for (const d of docs) validate(ConfigFindingDoc, d);
  const ssh = docs.find((d) => d.plugin === "openSsh" && d.group_id === "sg-0aaa")!;
  expect(ssh).toMatchObject({
    status: "FAIL",
    open_to_world: true,
    ports: [22],
    in_use: true,
    public_ips: ["198.51.100.20"],
    private_ips: ["10.0.0.20"],
    eni_ids: ["eni-0aaa"],
    trigger: "AuthorizeSecurityGroupIngress",
    account: "123456789012",
  });
  expect(docs.find((d) => d.plugin === "openSsh" && d.group_id === "sg-0bbb")).toMatchObject({
    status: "OK",
    open_to_world: false,
    in_use: false,
    public_ips: [],
  });
  // Parents: (account, region, group) for the two evaluated groups and the deleted one, whose empty
  // collection clears its documents.
  const parents = new Set(messages.map((m) => m.message.parentKey));
  expect(parents.size).toBe(3);
  const empties = messages.filter((m) => Object.values(m.message.docs).every((d) => d.length === 0));
  expect(empties).toHaveLength(1);
  for (const m of empties) expect(m.message.docTypes).toEqual([ConfigDocType.findings]);
});

test("an irrelevant event posts nothing", async () => {
  const { messages } = await runScannerParser(
    raw({ ...evaluation, relevant: false, findings: [], removed: [] }),
    scanner,
  );
  expect(messages).toEqual([]);
});
