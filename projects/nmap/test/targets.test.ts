import { InvalidTargetError, MIN_PREFIX, validateTarget } from "../src/targets";
import { literalTargets, nmapArgs } from "../src/entrypoint/args";

const literal = (t: string) => literalTargets(validateTarget(t));

describe("validateTarget", () => {
  it.each([
    ["192.0.2.10", "ipv4", false],
    ["2001:db8::1", "ipv6", true],
    ["::1", "ipv6", true],
    ["192.0.2.0/24", "cidr", false],
    ["2001:db8::/120", "cidr", true],
    ["www.example.com", "hostname", false],
    ["a-b.example.co.uk", "hostname", false],
    ["localhost", "hostname", false],
  ])("accepts %s as %s", (target, type, ipv6) => {
    expect(validateTarget(target)).toEqual({ target, type, ipv6 });
  });

  it("strips the root dot of a fully-qualified name", () => {
    expect(validateTarget("example.com.")).toEqual({ target: "example.com", type: "hostname", ipv6: false });
  });

  const longLabel = "a".repeat(64);
  const longName = Array.from({ length: 5 }, () => "a".repeat(60)).join(".") + ".com"; // 308 chars
  it.each([
    ["example.com; rm -rf /", /whitespace|metacharacters/],
    ["example.com;id", /metacharacters/],
    ["$(id).example.com", /metacharacters/],
    ["`id`.example.com", /metacharacters/],
    ["example.com\nscanme.nmap.org", /whitespace or control/],
    ["example.com\t", /whitespace/],
    ["-oN/tmp/pwned", /starts with '-'/],
    ["--script=evil", /starts with '-'/],
    ["-iL/etc/passwd", /starts with '-'/],
    [`${longLabel}.example.com`, /longer than 63/],
    [longName, /longer than 253/],
    ["a..example.com", /empty DNS label/],
    [".example.com", /empty DNS label/],
    ["", /empty/],
    ["-example.com", /starts with '-'/],
    ["bad-.example.com", /inner hyphens/],
    ["under_score.example.com", /inner hyphens/],
    ["10.0.0.300", /numeric label/],
    ["10.0.0.0/8", new RegExp(`shorter than /${MIN_PREFIX.ipv4}`)],
    ["2001:db8::/64", new RegExp(`shorter than /${MIN_PREFIX.ipv6}`)],
    ["10.0.0.0/33", /above 32/],
    ["10.0.0.0/abc", /prefix must be a number/],
    ["fe80::1%eth0", /metacharacters|zone/],
    ["example.com/24", /not an address/],
    ["a*.example.com", /metacharacters/],
    // nmap octet ranges: each would scan many hosts and bypass the CIDR limit.
    ["127.0.0.1-3", /address range/],
    ["10.0-255.0-255.1-254", /address range/],
    ["0-255.0-255.0-255.0-255", /address range/],
    ["10.0.0.1,2", /list/],
  ])("rejects %j", (target, reason) => {
    expect(() => validateTarget(target)).toThrow(InvalidTargetError);
    expect(() => validateTarget(target)).toThrow(reason);
  });

  it("rejects non-strings", () => {
    expect(() => validateTarget(42)).toThrow(/not a string/);
    expect(() => validateTarget(undefined)).toThrow(InvalidTargetError);
  });
});

describe("nmapArgs", () => {
  const base = { xmlOut: "/tmp/x/result.xml", hostTimeoutSeconds: 600 };

  it("builds an unprivileged connect scan with the parser's scripts, target last", () => {
    const args = nmapArgs(literal("192.0.2.10"), { ...base, ports: "22,443" });
    expect(args).toEqual([
      "-sT",
      "--unprivileged",
      "-sV",
      "--script",
      "ssl-enum-ciphers,ssl-cert,vulners,http-server-header",
      "-T4",
      "-p",
      "22,443",
      "--host-timeout",
      "600s",
      "--noninteractive",
      "-oX",
      "/tmp/x/result.xml",
      "-n",
      "-Pn",
      "192.0.2.10",
    ]);
  });

  it("scans every TCP port by default, adds -6 for IPv6 and keeps discovery for CIDR blocks", () => {
    const v6 = nmapArgs(literal("2001:db8::/120"), base);
    expect(v6.slice(v6.indexOf("-p"), v6.indexOf("-p") + 2)).toEqual(["-p", "1-65535"]);
    expect(v6).toContain("-6");
    expect(v6).not.toContain("-Pn");
    expect(v6[v6.length - 1]).toBe("2001:db8::/120");
  });

  it("passes a host name's resolved addresses, never the name, and tells nmap not to resolve", () => {
    const args = nmapArgs(
      { targets: ["192.0.2.1", "192.0.2.2"], ipv6: false, cidr: false, hostname: "www.example.com" },
      base,
    );
    expect(args.slice(-4)).toEqual(["-n", "-Pn", "192.0.2.1", "192.0.2.2"]);
    expect(args).not.toContain("www.example.com");
    expect(() => literalTargets(validateTarget("www.example.com"))).toThrow(/resolved/);
  });

  it("refuses an empty target list or one that would read as an option", () => {
    expect(() => nmapArgs({ targets: [], ipv6: false, cidr: false }, base)).toThrow(/nothing/);
    expect(() => nmapArgs({ targets: ["-iL/etc/passwd"], ipv6: false, cidr: false }, base)).toThrow(/option/);
  });

  it("refuses a port list or timing that is not what the schema allows", () => {
    expect(() => nmapArgs(literal("192.0.2.1"), { ...base, ports: "-1" })).toThrow(/invalid port list/);
    expect(() => nmapArgs(literal("192.0.2.1"), { ...base, ports: "80 --script=x" })).toThrow(
      /invalid port list/,
    );
    expect(() => nmapArgs(literal("192.0.2.1"), { ...base, timing: 7 })).toThrow(/timing/);
  });
});
