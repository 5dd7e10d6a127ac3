import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { REMOVED } from "@sec-an/contracts";
import { FindingsState, PENDING_LEASE_MS, type StateEntry } from "../src/state/store";
import { transition } from "../src/state/transitions";
import { createStateTable, emulatorClients } from "./helpers";

/** The findings state on dynalite: transitions, and alerts that survive a handler dying mid-way. */
const c = emulatorClients();
const doc = DynamoDBDocumentClient.from(c.dynamo);
let state: FindingsState;
beforeAll(async () => {
  state = new FindingsState(() => doc, await createStateTable(c.dynamo));
});

const entry = (resource: string, status: StateEntry["status"]): StateEntry => ({
  plugin: "openSsh",
  resource,
  status,
  severity: "high",
  region: "us-east-1",
  account: "123456789012",
});

test("which changes alert", () => {
  expect(transition(undefined, "FAIL")).toBe("opened");
  expect(transition("OK", "FAIL")).toBe("opened");
  expect(transition("WARN", "FAIL")).toBe("opened");
  expect(transition("FAIL", "FAIL")).toBeUndefined();
  expect(transition("FAIL", "OK")).toBe("resolved");
  expect(transition("FAIL", REMOVED)).toBe("resolved");
  expect(transition("FAIL", "WARN")).toBe("changed");
  expect(transition("FAIL", "UNKNOWN")).toBe("changed");
  expect(transition(undefined, "OK")).toBeUndefined();
  expect(transition("OK", "WARN")).toBeUndefined();
});

test("an alert stored by an attempt that died is published by exactly one later attempt, after the lease", async () => {
  const r = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0dead";
  const t0 = new Date("2026-11-27T10:00:00Z");
  const first = await state.record(entry(r, "FAIL"), t0);
  expect(first).toMatchObject({ transition: "opened", before: undefined });
  // The writer "died" before publishing. A concurrent attempt within the lease stays silent...
  expect(await state.record(entry(r, "FAIL"), new Date(t0.getTime() + 5_000))).toBeUndefined();
  // ...a redelivery after it takes the alert over, once.
  const later = new Date(t0.getTime() + PENDING_LEASE_MS + 1);
  const [a, b] = await Promise.all([
    state.record(entry(r, "FAIL"), later),
    state.record(entry(r, "FAIL"), later),
  ]);
  expect([a, b].filter(Boolean)).toHaveLength(1);
  const taken = (a ?? b)!;
  expect(taken).toMatchObject({ transition: "opened" });
  expect(taken.token).not.toBe(first!.token);
  await state.published(taken);
  expect(
    await state.record(entry(r, "FAIL"), new Date(later.getTime() + 10 * PENDING_LEASE_MS)),
  ).toBeUndefined();
});

test("a group deleted before it was ever seen writes nothing", async () => {
  const r = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0never";
  expect(await state.record(entry(r, REMOVED), new Date())).toBeUndefined();
  expect(await state.get("openSsh", r)).toBeUndefined();
});

test("resources lists a region and account's live entries, not removed ones", async () => {
  const live = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0live";
  const gone = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0gone";
  const now = new Date();
  await state.record({ ...entry(live, "OK"), region: "eu-west-1" }, now);
  await state.record({ ...entry(gone, "OK"), region: "eu-west-1" }, now);
  await state.record({ ...entry(gone, REMOVED), region: "eu-west-1" }, now);
  expect((await state.resources("openSsh", "eu-west-1", "123456789012")).map((e) => e.resource)).toEqual([
    live,
  ]);
});
