import { validateTarget } from "@sec-an/contracts";
import { allowListed, ownershipOf, parseAllowList, policyFromEnv, publishEntries } from "../src/scans/logic";

const list = parseAllowList(["127.0.0.0/24", "::1/128", "127.0.2.7"]);
const within = (t: string) => allowListed(validateTarget(t), list)?.cidr;

describe("the allow-list", () => {
  test("an address or a network inside an entry is listed; one reaching outside it is not", () => {
    expect(within("127.0.0.200")).toBe("127.0.0.0/24");
    expect(within("127.0.0.128/25")).toBe("127.0.0.0/24");
    expect(within("127.0.0.0/23")).toBeUndefined();
    expect(within("127.0.1.1")).toBeUndefined();
    expect(within("127.0.2.7")).toBe("127.0.2.7");
    expect(within("127.0.2.8")).toBeUndefined();
    expect(within("::1")).toBe("::1/128");
    // An IPv4-mapped IPv6 form is not matched against IPv4 entries: refused, never widened.
    expect(allowListed(validateTarget("::ffff:127.0.0.200"), list)).toBeUndefined();
    expect(within("app.example.com")).toBeUndefined();
  });

  test("entries are normalised to their network, and bad entries are named", () => {
    expect(parseAllowList(["127.0.0.77/24"])[0].base).toBe(parseAllowList(["127.0.0.0/24"])[0].base);
    expect(() => parseAllowList(["10.0.0.0/40"])).toThrow(/10\.0\.0\.0\/40.*bad prefix/);
    expect(() => parseAllowList(["10.0.0.0/x"])).toThrow(/bad prefix/);
    expect(() => parseAllowList(["169.254.0.0/16"])).toThrow(/link-local/);
    expect(() => parseAllowList(["example.com"])).toThrow(/not an address or CIDR/);
  });

  test("policy from the environment: empty items ignored", () => {
    expect(
      policyFromEnv({ SEC_AN_SCAN_ALLOW_LIST: " 127.0.0.0/24,, ", SEC_AN_SCAN_SCANNERS: "nmap, ssl" }),
    ).toMatchObject({ scanners: ["nmap", "ssl"], allowList: [{ cidr: "127.0.0.0/24" }] });
  });
});

describe("ownership decisions", () => {
  const owned = {
    ownsAddress: async (a: string) => a === "127.0.1.1",
    ownsHost: async (h: string) => h === "a.example.com",
  };
  const policy = { allowList: list, scanners: ["nmap"] };
  test.each([
    ["127.0.1.1", { allowed: true, via: "dns" }],
    ["127.0.0.9", { allowed: true, via: "allow-list 127.0.0.0/24" }],
    ["A.Example.com", { allowed: true, via: "dns" }],
    ["127.0.1.2", { allowed: false, reason: expect.stringMatching(/no DNS record/) }],
    ["127.0.1.0/30", { allowed: false, reason: expect.stringMatching(/network is accepted only/) }],
    ["b.example.com", { allowed: false, reason: "not a host name in our DNS zones" }],
  ])("%s", async (target, expected) => {
    expect(await ownershipOf(validateTarget(target), policy, owned)).toEqual(expected);
  });
});

test("publish entries: one per target, planner-shaped, with its own scan id and the scanners asked for", () => {
  let n = 0;
  const { entries, scans } = publishEntries(
    {
      targets: [validateTarget("127.0.0.9"), validateTarget("::1")],
      scanners: ["nmap"],
      ports: "443",
    },
    { now: new Date("2026-01-02T03:04:05Z"), newId: () => `id-${++n}`, requestedBy: "sub-1" },
  );
  expect(scans).toEqual([
    { target: "127.0.0.9", scanId: "id-1" },
    { target: "::1", scanId: "id-2" },
  ]);
  expect(JSON.parse(entries[1].Message)).toEqual({
    target: "::1",
    targetType: "ipv6",
    requestedAt: "2026-01-02T03:04:05.000Z",
    ports: "443",
    lineage: { rootScanId: "id-2", depth: 0, rule: "on-demand" },
    scanId: "id-2",
    requestedBy: "sub-1",
  });
  expect(entries[1].MessageAttributes).toEqual({
    address_type: { DataType: "String", StringValue: "ipv6" },
    Depth: { DataType: "Number", StringValue: "0" },
    Task: { DataType: "String.Array", StringValue: '["nmap"]' },
    ScanId: { DataType: "String", StringValue: "id-2" },
  });
});
