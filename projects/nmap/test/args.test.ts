import { execFile, execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCAN_MODE_ENV, literalTargets, nmapArgs, scanModeFromEnv } from "../src/entrypoint/args";

const target = literalTargets({ type: "address", target: "127.0.0.1", ipv6: false } as never);
const base = { xmlOut: "/tmp/out.xml", hostTimeoutSeconds: 60 };

describe("nmap scan modes", () => {
  it("privileged: SYN scan and OS detection through nmap's file capabilities", () => {
    const args = nmapArgs(target, { ...base, mode: "privileged" });
    expect(args.slice(0, 4)).toEqual(["--privileged", "-sS", "-O", "--osscan-limit"]);
    expect(args).not.toContain("-sT");
    expect(args).not.toContain("--unprivileged");
    expect(args.at(-1)).toBe("127.0.0.1");
  });

  it("unprivileged: a connect scan, no raw sockets and no OS detection", () => {
    const args = nmapArgs(target, { ...base, mode: "unprivileged" });
    expect(args.slice(0, 2)).toEqual(["-sT", "--unprivileged"]);
    expect(args).not.toContain("-O");
    expect(args).not.toContain("--privileged");
    expect(args).not.toContain("-sS");
  });

  it("takes the mode from the container's environment; unset is unprivileged; anything else is refused", () => {
    expect(scanModeFromEnv({})).toBe("unprivileged");
    expect(scanModeFromEnv({ [SCAN_MODE_ENV]: "privileged" })).toBe("privileged");
    expect(() => scanModeFromEnv({ [SCAN_MODE_ENV]: "root" })).toThrow(/privileged, unprivileged/);
    expect(() => nmapArgs(target, { ...base, mode: "--script=x" as never })).toThrow(/invalid scan mode/);
  });
});

/**
 * What the image does, on this machine: a copy of nmap with the image's file capabilities, run as a
 * non-root user, SYN-scans and fingerprints a loopback listener; the same copy without them cannot.
 * Needs root (to set capabilities and switch user) and setcap/setpriv; otherwise it says why and skips.
 */
const NOBODY = "65534";
function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: cannot set file capabilities or run as another user";
  for (const tool of ["setcap", "getcap", "setpriv", "nmap"])
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (setcap/getcap: Debian's libcap2-bin; setpriv: util-linux)`;
    }
  return undefined;
}
const reason = whyNot();
if (reason) console.log(`skipping the capability run: ${reason}`);
const capable = reason ? describe.skip : describe;

capable("nmap with file capabilities, as a non-root user", () => {
  let dir: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nmap-caps-"));
    chmodSync(dir, 0o755);
    const nmap = execFileSync("sh", ["-c", "command -v nmap"]).toString().trim();
    copyFileSync(nmap, join(dir, "nmap"));
    copyFileSync(nmap, join(dir, "nmap-plain"));
    chmodSync(join(dir, "nmap"), 0o755);
    chmodSync(join(dir, "nmap-plain"), 0o755);
    execFileSync("setcap", ["cap_net_raw,cap_net_admin,cap_net_bind_service+eip", join(dir, "nmap")]);
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const runAsNobody = (binary: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "setpriv",
        ["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--", join(dir, binary), ...args],
        { timeout: 90_000 },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
      );
    });
  // The image's argument vector, minus the NSE scripts and version probes (slow, and not what is tested).
  const args = () => {
    const a = nmapArgs(target, {
      mode: "privileged",
      // Port 1 has no listener: a closed port beside the open one, which --osscan-limit asks for.
      ports: `1,${port}`,
      xmlOut: "-",
      hostTimeoutSeconds: 60,
    });
    const i = a.indexOf("-sV");
    a.splice(i, 3); // -sV --script <list>
    return a;
  };

  it("has the capabilities set", () => {
    expect(execFileSync("getcap", [join(dir, "nmap")]).toString()).toMatch(
      /cap_net_bind_service,cap_net_admin,cap_net_raw[=+]eip/,
    );
  });

  it("runs a SYN scan with OS detection and finds the open port", async () => {
    const r = await runAsNobody("nmap", args());
    expect(r.stderr).not.toMatch(/requires root|raw socket/i);
    expect(r.stdout).toContain('<scaninfo type="syn"');
    expect(r.stdout).toMatch(new RegExp(`portid="${port}"><state state="open"`));
    // OS detection ran: a fingerprint or matches are reported for the host.
    expect(r.stdout).toMatch(/<os>[\s\S]*<(osmatch|osfingerprint|portused)/);
  }, 120_000);

  it("cannot without them (the capabilities are what make it work)", async () => {
    const r = await runAsNobody("nmap-plain", args());
    expect(`${r.stdout}${r.stderr}`).toMatch(/raw socket|requires root|Operation not permitted/i);
    expect(r.stdout).not.toMatch(new RegExp(`portid="${port}"><state state="open"`));
  }, 120_000);
});
