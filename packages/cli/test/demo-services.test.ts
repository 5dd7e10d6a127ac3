import { connect } from "node:net";
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
