import {
  InvalidTargetError,
  MAX_TARGET_ADDRESSES,
  MIN_PREFIX,
  addressPurpose,
  isPlannableAddress,
  validateScanAddress,
  validateTarget,
} from "../src";

// Pure validator tests: these strings are inputs only; nothing here sends traffic anywhere.

describe("validateTarget", () => {
  it.each([
    ["192.0.2.10", "ipv4", false],
    ["127.0.0.1", "ipv4", false],
    ["2001:db8::1", "ipv6", true],
    ["::1", "ipv6", true],
    ["192.0.2.0/24", "cidr", false],
    ["127.0.0.0/28", "cidr", false],
    ["2001:db8::/120", "cidr", true],
    ["www.example.com", "hostname", false],
    ["a-b.example.co.uk", "hostname", false],
    ["1-3.example.com", "hostname", false],
    ["xn--bcher-kva.example", "hostname", false],
    ["localhost", "hostname", false],
  ])("accepts %s as %s", (target, type, ipv6) => {
    expect(validateTarget(target)).toEqual({ target, type, ipv6 });
  });

  it("strips the root dot of a fully-qualified name", () => {
    expect(validateTarget("example.com.")).toEqual({ target: "example.com", type: "hostname", ipv6: false });
  });

  // Each of these was accepted as a "hostname" before: nmap reads them as ranges of up to 2^32 hosts.
  it.each([
    ["127.0.0.1-3", /address range/],
    ["10.0-255.0-255.1-254", /address range/],
    ["0-255.0-255.0-255.0-255", /address range/],
    ["192.168.1.1-254", /address range/],
    ["10.0.0.-", /inner hyphens/],
    ["10.0.0.*", /metacharacters/],
    ["*", /metacharacters/],
    ["10.0.0.1,2", /list/],
    ["example.com,evil.example", /list/],
    ["0x7f000001", /hexadecimal/],
    ["127.0x1", /hexadecimal/],
    ["10.0.0.[1-3]", /metacharacters/],
  ])("rejects nmap range or list syntax %j", (target, reason) => {
    expect(() => validateTarget(target)).toThrow(InvalidTargetError);
    expect(() => validateTarget(target)).toThrow(reason);
  });

  const longLabel = "a".repeat(64);
  const longName = Array.from({ length: 5 }, () => "a".repeat(60)).join(".") + ".com";
  it.each([
    ["example.com; rm -rf /", /whitespace|metacharacters/],
    ["$(id).example.com", /metacharacters/],
    ["example.com\nscanme.nmap.org", /whitespace or control/],
    ["-oN/tmp/pwned", /starts with '-'/],
    ["--script=evil", /starts with '-'/],
    ["-iL/etc/passwd", /starts with '-'/],
    [`${longLabel}.example.com`, /longer than 63/],
    [longName, /longer than 253/],
    ["a..example.com", /empty DNS label/],
    ["", /empty/],
    ["bad-.example.com", /inner hyphens/],
    ["under_score.example.com", /inner hyphens/],
    ["10.0.0.300", /numeric label/],
    ["10.0.0.0/8", new RegExp(`shorter than /${MIN_PREFIX.ipv4}`)],
    ["2001:db8::/64", new RegExp(`shorter than /${MIN_PREFIX.ipv6}`)],
    ["10.0.0.0/33", /above 32/],
    ["10.0.0.0/abc", /prefix must be a number/],
    ["10.0.0.0/", /prefix must be a number/],
    ["example.com/24", /not an address/],
    ["fe80::1%eth0", /zone/],
    ["0.0.0.0", /unspecified/],
    ["0.1.2.3", /unspecified/],
    ["::", /unspecified/],
    ["::/116", /unspecified/],
    ["169.254.169.254", /link-local/],
    ["fe80::1", /link-local/],
    ["224.0.0.1", /multicast/],
    ["ff02::1", /multicast/],
    ["255.255.255.255", /broadcast/],
    ["240.0.0.1", /reserved/],
    ["::ffff:169.254.169.254", /link-local/],
    ["::ffff:0.0.0.0", /unspecified/],
    ["169.254.160.0/20", /link-local/],
    ["0.0.0.0/20", /unspecified/],
  ])("rejects %j", (target, reason) => {
    expect(() => validateTarget(target)).toThrow(InvalidTargetError);
    expect(() => validateTarget(target)).toThrow(reason);
  });

  it("applies a configured CIDR limit", () => {
    expect(() => validateTarget("127.0.0.0/24", { minPrefix: { ipv4: 28, ipv6: 124 } })).toThrow(/\/28/);
    expect(validateTarget("127.0.0.0/28", { minPrefix: { ipv4: 28, ipv6: 124 } }).type).toBe("cidr");
  });

  it("bounds every form to the /20 size", () => {
    expect(MAX_TARGET_ADDRESSES).toBe(4096);
  });

  it("rejects non-strings", () => {
    expect(() => validateTarget(42)).toThrow(/not a string/);
    expect(() => validateTarget(undefined)).toThrow(InvalidTargetError);
  });
});

describe("addressPurpose", () => {
  it.each([
    ["8.8.8.8", undefined],
    ["2606:4700::1111", undefined],
    ["127.0.0.53", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["10.1.2.3", "private-use"],
    ["172.31.255.255", "private-use"],
    ["172.32.0.1", undefined],
    ["192.168.0.1", "private-use"],
    ["100.64.0.1", "shared-address-space"],
    ["198.18.0.1", "benchmarking"],
    ["192.0.2.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["fd00::1", "unique-local"],
    ["fe80::1", "link-local"],
    ["169.254.170.2", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.251", "multicast"],
    ["ff05::2", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["2001::1", "protocol-assignments"],
    ["64:ff9b::808:808", undefined],
  ])("%s → %s", (address, purpose) => {
    expect(addressPurpose(address)).toBe(purpose);
  });

  it("throws for anything but a zone-free IP address", () => {
    expect(() => addressPurpose("example.com")).toThrow(InvalidTargetError);
    expect(() => addressPurpose("fe80::1%eth0")).toThrow(/zone/);
  });
});

describe("isPlannableAddress", () => {
  it("plans only globally reachable addresses by default", () => {
    for (const a of ["8.8.8.8", "2606:4700::1111"]) expect(isPlannableAddress(a)).toBe(true);
    for (const a of [
      "127.0.0.1",
      "::1",
      "10.0.0.1",
      "169.254.169.254",
      "0.0.0.0",
      "::",
      "224.0.0.1",
      "fe80::1",
      "192.0.2.1",
      "not-an-ip",
    ])
      expect(isPlannableAddress(a)).toBe(false);
  });

  it("plans loopback only when explicitly allowed, and nothing else special", () => {
    expect(isPlannableAddress("127.0.0.1", { allowLoopback: true })).toBe(true);
    expect(isPlannableAddress("::1", { allowLoopback: true })).toBe(true);
    expect(isPlannableAddress("169.254.169.254", { allowLoopback: true })).toBe(false);
    expect(isPlannableAddress("10.0.0.1", { allowLoopback: true })).toBe(false);
  });
});

describe("validateScanAddress", () => {
  it("accepts loopback and ordinary addresses, rejects never-scanned ones", () => {
    expect(validateScanAddress("127.0.0.1")).toBe("127.0.0.1");
    expect(validateScanAddress("::1")).toBe("::1");
    expect(validateScanAddress("203.0.113.5")).toBe("203.0.113.5");
    expect(() => validateScanAddress("0.0.0.0")).toThrow(/unspecified/);
    expect(() => validateScanAddress("fe80::1%eth0")).toThrow(/zone/);
  });
});
