import {
  MAX_LOCAL_ADDRESSES,
  TargetError,
  expandTarget,
  expandTargets,
  isLoopbackTarget,
  loopbackGuard,
  scanTargetOf,
} from "../src/local/targets";

/** `--target` for the local run: CIDRs are expanded (bounded), and every address must be loopback. */
describe("expandTargets", () => {
  it("expands a loopback CIDR into every address nmap would scan", () => {
    const a = expandTargets(["127.0.0.0/28"], false);
    expect(a).toHaveLength(16);
    expect(a[0]).toBe("127.0.0.0");
    expect(a[15]).toBe("127.0.0.15");
    expect(expandTargets(["127.0.0.9/30"], false)).toEqual([
      "127.0.0.8",
      "127.0.0.9",
      "127.0.0.10",
      "127.0.0.11",
    ]);
    expect(expandTargets(["::1/128", "::1"], false)).toEqual(["::1"]);
  });

  it("refuses a network that is not wholly loopback, naming the address", () => {
    expect(() => expandTargets(["126.255.255.254/28"], false)).toThrow(
      /includes 126\.255\.255\.240, which is not loopback/,
    );
    expect(() => expandTargets(["::/127"], false)).toThrow(/includes ::, which is not loopback/);
    expect(() => expandTargets(["10.0.0.1"], false)).toThrow(
      /10\.0\.0\.1 is not a loopback address.*--allow-remote/,
    );
    expect(expandTargets(["10.0.0.0/30"], true)).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  it("bounds the number of addresses, per target and in total", () => {
    expect(() => expandTarget("127.0.0.0/24")).toThrow(/holds 256 addresses; a local run scans at most 16/);
    expect(() => expandTargets(["127.0.0.0/28", "127.0.1.0/28"], false)).toThrow(/32 addresses/);
    expect(expandTarget("fd00::10/124")).toHaveLength(MAX_LOCAL_ADDRESSES);
    expect(expandTarget("fd00::10/124")[15]).toBe("fd00::1f");
  });

  it("rejects what is not an address or CIDR", () => {
    for (const t of ["localhost", "127.0.0.1-3", "127.0.0.1/33", "127.0.0.1/2/3", "127.0.0.1/x", ""])
      expect(() => expandTargets([t], false)).toThrow(TargetError);
  });
});

describe("the loopback guard where scans start", () => {
  it("knows a loopback target, wide CIDRs included, and nothing else", () => {
    for (const t of ["127.0.0.1", "127.0.0.0/8", "127.1.0.0/16", "::1", "127.0.0.4/30"])
      expect(isLoopbackTarget(t)).toBe(true);
    for (const t of ["0.0.0.0", "::", "127.0.0.0/4", "127.0.0.1/99", "localhost", "fe80::1%eth0", "10.0.0.1"])
      expect(isLoopbackTarget(t)).toBe(false);
  });

  it("reads the target of a scan request and of a port-detected event, raw or in an SNS envelope", () => {
    const event = JSON.stringify({ kind: "port-detected", address: "10.1.2.3", port: 443 });
    expect(scanTargetOf(JSON.stringify({ target: "10.9.9.9", requestedAt: "x" }))).toBe("10.9.9.9");
    expect(scanTargetOf(event)).toBe("10.1.2.3");
    expect(scanTargetOf(JSON.stringify({ Type: "Notification", Message: event }))).toBe("10.1.2.3");
    expect(scanTargetOf("not json")).toBeUndefined();
    expect(scanTargetOf(JSON.stringify({ kind: "collection" }))).toBeUndefined();
  });

  it("refuses with a code and reason unless remote targets are allowed", () => {
    const body = JSON.stringify({ kind: "port-detected", address: "192.168.1.1", port: 443 });
    expect(loopbackGuard(false)(body)).toEqual({
      code: "remote-target",
      message: expect.stringMatching(/--allow-remote/),
    });
    expect(loopbackGuard(true)(body)).toBeUndefined();
    expect(
      loopbackGuard(false)(JSON.stringify({ kind: "port-detected", address: "127.0.0.1" })),
    ).toBeUndefined();
  });
});
