import { issue, sharedKey, type Issued } from "./pki";
import {
  closedPort,
  startPlainHttpServer,
  startSilentServer,
  startTlsServer,
  type TestServer,
} from "./servers";
import { portEvent } from "./fixtures";
import { checkTarget, scanTls } from "../src/scanner/scan";
import { isPermanentFailure } from "@sec-an/runtime";
import type { SslScanResult } from "@sec-an/contracts";

const accepted = (r: SslScanResult) => r.protocols.filter((p) => p.accepted).map((p) => p.protocol);

describe("scanTls against TLS servers on loopback", () => {
  let ca: Issued;
  const servers: TestServer[] = [];
  const start = async (o: Parameters<typeof startTlsServer>[0]) => {
    const s = await startTlsServer(o);
    servers.push(s);
    return s;
  };

  beforeAll(() => {
    ca = issue({ cn: "sec-an Test Root CA", org: "sec-an Test CA", isCa: true, notAfterDays: 3650 });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("trusts a chain from the test CA only when that CA is configured", async () => {
    const leaf = issue({
      cn: "good.test",
      dnsNames: ["good.test", "www.good.test"],
      issuer: ca,
      notAfterDays: 30,
    });
    const s = await start({ cert: leaf });
    const withCa = await scanTls(portEvent(s.port, ["good.test"]), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
    });
    const [ep] = withCa.endpoints;
    expect(ep).toMatchObject({
      hostname: "good.test",
      connected: true,
      verification: { trusted: true },
      hostnameMatch: { matches: true },
    });
    expect(ep.chain[0]).toMatchObject({
      subject: { CN: "good.test" },
      issuer: { CN: "sec-an Test Root CA" },
      keyType: "rsa",
      keyBits: 2048,
      selfSigned: false,
      isCa: false,
    });
    expect(ep.chain[0].dnsNames).toEqual(["good.test", "www.good.test"]);
    expect(ep.chain[0].daysToExpiry).toBeGreaterThanOrEqual(29);
    expect(ep.chain[0].daysToExpiry).toBeLessThanOrEqual(30);
    expect(ep.chain[0].signatureAlgorithm).toBe("sha256WithRSAEncryption");
    expect(ep.chain[0].fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    // The test CA is not served: Node adds it from the trust store, and says so.
    expect(ep.chain.map((c) => c.served)).toEqual([true, false]);
    expect(ep.servedChainLength).toBe(1);

    const systemOnly = await scanTls(portEvent(s.port, ["good.test"]), { timeoutMs: 3000 });
    expect(systemOnly.endpoints[0].verification).toEqual({
      trusted: false,
      error: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });

  it("tells a served root from one added from the trust store", async () => {
    const s = await start({
      cert: issue({ cn: "full.test", dnsNames: ["full.test"], issuer: ca }),
      chain: [ca],
    });
    const r = await scanTls(portEvent(s.port, ["full.test"]), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints[0].chain.map((c) => [c.subject.CN, c.served])).toEqual([
      ["full.test", true],
      ["sec-an Test Root CA", true],
    ]);
    expect(r.endpoints[0].servedChainLength).toBe(2);
  });

  it("reports an expired certificate with negative days to expiry at scan time", async () => {
    const s = await start({
      cert: issue({
        cn: "old.test",
        dnsNames: ["old.test"],
        issuer: ca,
        notBeforeDays: -100,
        notAfterDays: -3,
      }),
    });
    const r = await scanTls(portEvent(s.port, ["old.test"]), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints[0].verification).toEqual({ trusted: false, error: "CERT_HAS_EXPIRED" });
    expect(r.endpoints[0].chain[0]).toMatchObject({ expired: true, notYetValid: false });
    expect(r.endpoints[0].chain[0].daysToExpiry).toBeLessThanOrEqual(-3);
  });

  it("computes days to expiry against the scan time it was given", async () => {
    const s = await start({
      cert: issue({ cn: "t.test", dnsNames: ["t.test"], issuer: ca, notAfterDays: 10 }),
    });
    const later = new Date(Date.now() + 20 * 86_400_000);
    const r = await scanTls(portEvent(s.port, ["t.test"]), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
      now: () => later,
    });
    expect(r.scanTime).toBe(later.toISOString());
    expect(r.endpoints[0].chain[0]).toMatchObject({ expired: true });
    expect(r.endpoints[0].chain[0].daysToExpiry).toBeLessThan(-9);
  });

  it("reports a certificate that is not yet valid", async () => {
    const s = await start({
      cert: issue({
        cn: "future.test",
        dnsNames: ["future.test"],
        issuer: ca,
        notBeforeDays: 5,
        notAfterDays: 100,
      }),
    });
    const r = await scanTls(portEvent(s.port, ["future.test"]), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints[0].verification).toEqual({ trusted: false, error: "CERT_NOT_YET_VALID" });
    expect(r.endpoints[0].chain[0]).toMatchObject({ notYetValid: true, expired: false });
  });

  it("detects a self-signed leaf", async () => {
    const s = await start({ cert: issue({ cn: "self.test", dnsNames: ["self.test"] }) });
    const r = await scanTls(portEvent(s.port, ["self.test"]), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints[0].verification).toEqual({ trusted: false, error: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(r.endpoints[0].chain).toHaveLength(1);
    expect(r.endpoints[0].chain[0].selfSigned).toBe(true);
    expect(r.endpoints[0].hostnameMatch).toEqual({ matches: true });
  });

  it("flags a hostname the certificate does not cover, while the chain itself verifies", async () => {
    const s = await start({ cert: issue({ cn: "right.test", dnsNames: ["right.test"], issuer: ca }) });
    const r = await scanTls(portEvent(s.port, ["wrong.test", "right.test"]), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
    });
    const byName = Object.fromEntries(r.endpoints.map((e) => [e.hostname, e]));
    expect(byName["wrong.test"].verification).toEqual({ trusted: true });
    expect(byName["wrong.test"].hostnameMatch?.matches).toBe(false);
    expect(byName["wrong.test"].hostnameMatch?.reason).toMatch(/wrong\.test/);
    expect(byName["right.test"].hostnameMatch).toEqual({ matches: true });
  });

  it("sets SNI per hostname and reports the certificate each name gets", async () => {
    const a = issue({ cn: "a.test", dnsNames: ["a.test"], issuer: ca });
    const b = issue({ cn: "b.test", dnsNames: ["b.test"], issuer: ca });
    const s = await start({
      cert: issue({ cn: "default.test", dnsNames: ["default.test"], issuer: ca }),
      sni: { "a.test": a, "b.test": b },
    });
    const r = await scanTls(portEvent(s.port, ["a.test", "B.TEST."]), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
    });
    expect(r.endpoints.map((e) => [e.hostname, e.chain[0].subject.CN, e.hostnameMatch?.matches])).toEqual([
      ["a.test", "a.test", true],
      ["b.test", "b.test", true],
    ]);
  });

  it("scans the bare address without SNI when no name is known", async () => {
    const s = await start({
      cert: issue({ cn: "default.test", dnsNames: ["default.test"], ips: ["127.0.0.1"], issuer: ca }),
    });
    const r = await scanTls(portEvent(s.port, []), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints).toHaveLength(1);
    expect(r.endpoints[0]).toMatchObject({
      hostname: null,
      connected: true,
      verification: { trusted: true },
    });
    expect(r.endpoints[0].hostnameMatch).toBeUndefined();
    expect(r.endpoints[0].chain[0].ipAddresses).toEqual(["127.0.0.1"]);
  });

  it("scans an IPv6 address", async () => {
    const s = await start({
      cert: issue({ cn: "v6.test", dnsNames: ["v6.test"], ips: ["::1"], issuer: ca }),
      host: "::1",
    });
    const r = await scanTls(portEvent(s.port, ["v6.test"], { address: "::1", addressType: "ipv6" }), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
    });
    expect(r).toMatchObject({ address: "::1", addressType: "ipv6" });
    expect(r.endpoints[0]).toMatchObject({
      connected: true,
      verification: { trusted: true },
      hostnameMatch: { matches: true },
    });
    expect(r.endpoints[0].chain[0].ipAddresses).toEqual(["0:0:0:0:0:0:0:1"]);
  });

  it("reads a 1024-bit RSA key served at security level 0", async () => {
    const s = await start({
      cert: issue({ cn: "weak.test", dnsNames: ["weak.test"], issuer: ca, key: sharedKey(1024) }),
      legacy: true,
    });
    const r = await scanTls(portEvent(s.port, ["weak.test"]), { extraCAs: [ca.certPem], timeoutMs: 3000 });
    expect(r.endpoints[0].chain[0]).toMatchObject({ keyType: "rsa", keyBits: 1024 });
  });

  it("sees TLS 1.0 and 1.1 on a legacy server (client offers SECLEVEL=0)", async () => {
    const s = await start({
      cert: issue({ cn: "legacy.test", dnsNames: ["legacy.test"], issuer: ca }),
      legacy: true,
    });
    const r = await scanTls(portEvent(s.port, ["legacy.test"]), { timeoutMs: 3000 });
    expect(accepted(r)).toEqual(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
    expect(r.protocols[0].cipher?.name).toBeTruthy();
  });

  it("distinguishes a TLS 1.2-only server", async () => {
    const s = await start({
      cert: issue({ cn: "t12.test", dnsNames: ["t12.test"], issuer: ca }),
      legacy: true,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
    });
    const r = await scanTls(portEvent(s.port, ["t12.test"]), { timeoutMs: 3000 });
    expect(accepted(r)).toEqual(["TLSv1.2"]);
    expect(r.protocols.find((p) => p.protocol === "TLSv1.3")?.error).toBeTruthy();
    expect(r.endpoints[0].protocol).toBe("TLSv1.2");
  });

  it("distinguishes a TLS 1.3-only server", async () => {
    const s = await start({
      cert: issue({ cn: "t13.test", dnsNames: ["t13.test"], issuer: ca }),
      minVersion: "TLSv1.3",
    });
    const r = await scanTls(portEvent(s.port, ["t13.test"]), { timeoutMs: 3000 });
    expect(accepted(r)).toEqual(["TLSv1.3"]);
    expect(r.protocols.find((p) => p.protocol === "TLSv1.3")?.cipher?.name).toMatch(/^TLS_/);
  });

  it("reports a closed port as unreachable, not as a TLS result", async () => {
    const r = await scanTls(portEvent(await closedPort(), ["gone.test"]), { timeoutMs: 3000 });
    expect(accepted(r)).toEqual([]);
    expect(r.protocols[0].error).toMatch(/ECONNREFUSED/);
    expect(r.endpoints[0]).toMatchObject({ connected: false, chain: [] });
  });

  it("reports a plain-HTTP service as not speaking TLS", async () => {
    const s = await startPlainHttpServer();
    servers.push(s);
    const r = await scanTls(portEvent(s.port, ["plain.test"]), { timeoutMs: 3000 });
    expect(accepted(r)).toEqual([]);
    expect(r.protocols.every((p) => typeof p.error === "string" && p.error.length > 0)).toBe(true);
    expect(r.endpoints[0]).toMatchObject({ connected: false, chain: [] });
  });

  it("bounds a handshake that never completes", async () => {
    const s = await startSilentServer();
    servers.push(s);
    const t0 = Date.now();
    const r = await scanTls(portEvent(s.port, ["slow.test"]), { timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.protocols.every((p) => !p.accepted && /ETIMEDOUT/.test(p.error ?? ""))).toBe(true);
    expect(r.endpoints[0].error).toMatch(/ETIMEDOUT/);
  });

  it("merges names from the event and from DNS, validates them all, and never uses the hostile ones", async () => {
    const s = await start({ cert: issue({ cn: "ok.test", dnsNames: ["ok.test", "dns.test"], issuer: ca }) });
    const hostile = [
      "x;rm -rf /",
      "$(reboot).test",
      "a\nb.test",
      `${"a".repeat(64)}.test`,
      "-lead.test",
      "ok.test",
    ];
    const r = await scanTls(portEvent(s.port, hostile), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
      lookupHostnames: async () => ["dns.test.", "OK.test"],
    });
    expect(r.hostnames).toEqual([
      { name: "ok.test", sources: ["event", "dns"] },
      { name: "dns.test", sources: ["dns"] },
    ]);
    expect(r.rejectedHostnames).toHaveLength(5);
    expect(r.endpoints.map((e) => e.hostname)).toEqual(["ok.test", "dns.test"]);
  });

  it("refuses an event whose address is not an address of its type", async () => {
    await expect(scanTls(portEvent(443, [], { address: "example.com" }))).rejects.toThrow(
      /not a single ipv4 address/,
    );
    await expect(scanTls(portEvent(443, [], { address: "127.0.0.1", addressType: "ipv6" }))).rejects.toThrow(
      /ipv6/,
    );
    await expect(scanTls(portEvent(443, [], { protocol: "udp" }))).rejects.toThrow(/tcp/);
  });

  // Validator inputs only: each is refused before any connection is attempted.
  it.each([
    ["0.0.0.0", "ipv4", /unspecified/],
    ["::", "ipv6", /unspecified/],
    ["fe80::1%eth0", "ipv6", /zone/],
    ["fe80::1", "ipv6", /link-local/],
    ["169.254.169.254", "ipv4", /link-local/],
    ["224.0.0.1", "ipv4", /multicast/],
    ["ff02::1", "ipv6", /multicast/],
    ["255.255.255.255", "ipv4", /broadcast/],
    ["127.0.0.1-3", "ipv4", /address range/],
    ["127.0.0.0/28", "ipv4", /single ipv4 address/],
    ["-127.0.0.1", "ipv4", /starts with '-'/],
  ] as const)(
    "agrees with nmap's targets: refuses %j as a permanent failure",
    async (address, addressType, reason) => {
      let err: unknown;
      try {
        checkTarget(portEvent(443, [], { address, addressType }));
      } catch (e) {
        err = e;
      }
      expect(isPermanentFailure(err)).toBe(true);
      expect((err as Error).message).toMatch(reason);
      await expect(scanTls(portEvent(443, [], { address, addressType }))).rejects.toThrow(reason);
    },
  );
});
