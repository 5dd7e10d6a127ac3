import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { X509Certificate } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import {
  DEMO_HOST,
  canBind,
  demoHost,
  startDemoServices,
  weakCertificate,
  type DemoServices,
} from "../src/local/demo-services";

/** Whether something accepts a TCP connection on host:port (bounded). */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });

/** What a client that connects and says `say` (or nothing) reads until the service closes (bounded). */
const reply = (host: string, port: number, say?: string) =>
  new Promise<string>((resolve, reject) => {
    const s = connect({ host, port, timeout: 3000 });
    let got = "";
    s.on("data", (b) => (got += b.toString("latin1")));
    s.once("connect", () => say && s.write(say));
    s.once("close", () => resolve(got));
    s.once("error", reject);
    s.once(
      "timeout",
      () => (s.destroy(), reject(new Error(`no answer within 3 s; read ${JSON.stringify(got)}`))),
    );
  });

describe("demo services", () => {
  let demo: DemoServices;
  beforeAll(async () => {
    demo = await startDemoServices();
  });
  afterAll(() => demo?.close());

  it("listen on a loopback address of their own, not on the emulators' 127.0.0.1", async () => {
    // Linux routes all of 127.0.0.0/8 to loopback, so the run's own address is bindable here.
    expect(await canBind(DEMO_HOST)).toBe(true);
    expect(demo.host).toBe("127.0.0.2");
    expect(await accepts(demo.host, demo.httpPort)).toBe(true);
    expect(await accepts(demo.host, demo.tlsPort)).toBe(true);
    expect(await accepts("127.0.0.1", demo.httpPort)).toBe(false);
    expect(await accepts("127.0.0.1", demo.tlsPort)).toBe(false);
  });

  it("serve the weak certificate, naming the address they listen on", async () => {
    const pem = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        { host: demo.host, port: demo.tlsPort, rejectUnauthorized: false, servername: "localhost" },
        () => {
          resolve(s.getPeerX509Certificate()!.toString());
          s.destroy();
        },
      );
      s.once("error", reject);
    });
    expect(new X509Certificate(pem).subjectAltName).toContain("IP Address:127.0.0.2");
    expect(new X509Certificate(weakCertificate(new Date(), "127.0.0.9").cert).subjectAltName).toContain(
      "IP Address:127.0.0.9",
    );
  });

  it("answer a client that says nothing, and bytes that are not their protocol, like nginx", async () => {
    // nmap's version detection listens first: a service that never speaks costs it 6 s a port.
    expect(await reply(demo.host, demo.httpPort)).toMatch(
      /^HTTP\/1\.1 400 Bad Request\r\nServer: nginx\/1\.18\.0\r\n/,
    );
    expect(await reply(demo.host, demo.httpPort, "\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 .*nginx/s);
    expect(await reply(demo.host, demo.tlsPort)).toContain(
      "400 The plain HTTP request was sent to HTTPS port",
    );
    expect(await reply(demo.host, demo.tlsPort, "GET / HTTP/1.0\r\n\r\n")).toContain(
      "The plain HTTP request was sent to HTTPS port",
    );
    // A real request still reaches the HTTP server.
    expect(await reply(demo.host, demo.httpPort, "GET / HTTP/1.0\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 OK\r\n.*sec-an local demo/s,
    );
  });

  it("are named by nmap's version detection, with the TLS scripts' findings", async () => {
    const { stdout } = await promisify(execFile)(
      "nmap",
      [
        ...["-sT", "--unprivileged", "-sV", "--script", "ssl-cert,ssl-enum-ciphers,http-server-header"],
        ...["-p", `${demo.httpPort},${demo.tlsPort}`, "-n", "-Pn", "-oX", "-", demo.host],
      ],
      { timeout: 60_000 },
    );
    const service = (port: number) =>
      stdout.match(new RegExp(`portid="${port}".*?<service ([^>]*)>`, "s"))?.[1];
    expect(service(demo.httpPort)).toMatch(/name="http" product="nginx" version="1\.18\.0"/);
    expect(service(demo.tlsPort)).toMatch(/name="http" product="nginx" version="1\.18\.0".*tunnel="ssl"/);
    expect(stdout).toContain('<elem key="bits">1024</elem>');
    expect(stdout).toContain('<table key="TLSv1.0">');
  }, 90_000);

  it("fall back to 127.0.0.1 where their own address cannot be bound, and say so", async () => {
    const lines: string[] = [];
    expect(
      await demoHost(
        DEMO_HOST,
        (l) => lines.push(l),
        async () => false,
      ),
    ).toBe("127.0.0.1");
    expect(lines).toEqual([
      "127.0.0.2 cannot be bound here; the demo services share 127.0.0.1 with the emulators",
    ]);
    expect(
      await demoHost(
        DEMO_HOST,
        (l) => lines.push(l),
        async () => true,
      ),
    ).toBe("127.0.0.2");
    expect(lines).toHaveLength(1);
  });
});
