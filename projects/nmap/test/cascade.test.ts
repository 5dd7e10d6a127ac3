import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { Attr, MAX_CASCADE_DEPTH, PortDetected, validate } from "@sec-an/contracts";
import { runParser, runScannerParser } from "@sec-an/runtime";
import { awsClientConfig, subscribedQueue, uniqueName } from "@sec-an/testing";
import {
  CASCADE_RULE,
  portEventAttributes,
  portEvents,
  publishPortEvents,
  tlsPortsFilterPolicy,
} from "../src/cascade";
import { readNmapXml } from "../src/parser";
import { nmapTask } from "../src/task";
import { fixture, rawResult } from "./helpers";

const sns = new SNSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());
afterAll(() => {
  sns.destroy();
  sqs.destroy();
});

const queueSubscribedTo = async (topicArn: string, filterPolicy?: Record<string, unknown>) =>
  (await subscribedQueue({ sqs, sns }, topicArn, { filterPolicy, queuePrefix: "ports" })).url;

/** Everything delivered to a queue, read until it has been empty for a moment (bounded). */
async function drain(QueueUrl: string, expectAtLeast: number): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    got.push(...(r.Messages ?? []));
    if (!r.Messages?.length && got.length >= expectAtLeast) break;
  }
  return got;
}

const portsOf = (ms: Message[]) =>
  ms.map((m) => (JSON.parse(m.Body!) as PortDetected).port).sort((a, b) => a - b);

describe("port-detected events", () => {
  it("are made for open ports only, with lineage and the requested host name", () => {
    const raw = rawResult(fixture("os-down-unknown.xml"), {
      request: { target: "old.example.test", requestedAt: "2026-11-23T09:00:00Z" },
    });
    const events = portEvents(readNmapXml(raw.body), raw);
    // 161/udp is open|filtered: not open, so no event; the down host has no ports.
    expect(events.map((e) => `${e.address}:${e.port}/${e.protocol}`)).toEqual([
      "203.0.113.1:443/tcp",
      "2001:db8::5:8443/tcp",
    ]);
    for (const e of events) validate(PortDetected, e);
    expect(events[0]).toMatchObject({
      addressType: "ipv4",
      service: "https",
      tunnel: "ssl",
      product: "nginx",
      hostnames: ["old.example.test"],
      detectedAt: "2023-11-14T22:16:40.000Z",
      lineage: {
        rootScanId: "scan-1",
        parentScanId: "scan-1",
        rule: CASCADE_RULE,
        rawKey: raw.key,
        depth: 1,
      },
    });
    expect(events[1].addressType).toBe("ipv6");
  });

  it("carry the cascade's root and add one to the depth, and stop at the limit", () => {
    const xml = readNmapXml(fixture("os-down-unknown.xml"));
    const at = (depth: number) =>
      portEvents(
        xml,
        rawResult(fixture("os-down-unknown.xml"), {
          scanId: "child",
          request: {
            target: "203.0.113.1",
            requestedAt: "2026-11-23T09:00:00Z",
            lineage: { rootScanId: "root-0", parentScanId: "p", depth },
          },
        }),
      );
    expect(at(1)[0].lineage).toMatchObject({ rootScanId: "root-0", parentScanId: "child", depth: 2 });
    expect(at(MAX_CASCADE_DEPTH - 1)[0].lineage.depth).toBe(MAX_CASCADE_DEPTH);
    expect(at(MAX_CASCADE_DEPTH)).toEqual([]);
    expect(at(MAX_CASCADE_DEPTH + 5)).toEqual([]);
  });

  it("keep a port whose host claims an overlong name: the name is dropped, not the event", () => {
    const long = `${"a".repeat(300)}.example.test`;
    const xml = `<nmaprun><host><status state="up"/><address addr="127.0.0.7" addrtype="ipv4"/><hostnames><hostname name="${long}"/><hostname name="ok.example.test"/></hostnames><ports><port protocol="tcp" portid="443"><state state="open"/><service name="https" product="${"p".repeat(5000)}"/></port></ports></host></nmaprun>`;
    const events = portEvents(
      readNmapXml(xml),
      rawResult(xml, { request: { target: "127.0.0.7", requestedAt: "2026-11-23T09:59:00.000Z" } }),
    );
    expect(events).toHaveLength(1);
    expect(events[0].hostnames).toEqual(["ok.example.test"]);
    expect(events[0].product).toHaveLength(128);
  });

  it("have typed, filterable attributes and omit empty ones", () => {
    const raw = rawResult(fixture("vulners-formats.xml"));
    const [ssh] = portEvents(readNmapXml(raw.body), raw);
    const a = portEventAttributes(ssh);
    expect(a[Attr.port]).toEqual({ DataType: "Number", StringValue: "22" });
    expect(a[Attr.depth]).toEqual({ DataType: "Number", StringValue: "1" });
    expect(a[Attr.service]).toEqual({ DataType: "String", StringValue: "ssh" });
    expect(a[Attr.product]).toEqual({ DataType: "String", StringValue: "OpenSSH" });
    expect(a).not.toHaveProperty(Attr.tunnel);
  });
});

describe("cascade through SNS filter policies (fauxqs)", () => {
  it("delivers the TLS port's event to a TLS-filtered subscriber and not the plain HTTP port's", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("ports-topic") }));
    const tlsQueue = await queueSubscribedTo(TopicArn!, tlsPortsFilterPolicy());
    const allQueue = await queueSubscribedTo(TopicArn!);

    const raw = rawResult(fixture("loopback-http-tls.xml"), {
      request: { target: "127.0.0.1", requestedAt: "2026-11-23T09:00:00Z" },
    });
    const events = portEvents(readNmapXml(raw.body), raw);
    expect(events.map((e) => e.port)).toEqual([18080, 18443]);
    await publishPortEvents(sns, TopicArn!, events);

    const all = await drain(allQueue, 2);
    expect(portsOf(all)).toEqual([18080, 18443]);
    const tls = await drain(tlsQueue, 1);
    expect(portsOf(tls)).toEqual([18443]);
    expect(tls[0].MessageAttributes?.[Attr.tunnel]?.StringValue).toBe("ssl");
  });

  it("matches well-known TLS ports, https* services and TLS service names; drops deeper cascades", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("ports-topic") }));
    const tlsQueue = await queueSubscribedTo(TopicArn!, tlsPortsFilterPolicy());
    const base = validate(PortDetected, {
      kind: "port-detected",
      address: "192.0.2.1",
      addressType: "ipv4",
      port: 1,
      protocol: "tcp",
      hostnames: [],
      detectedAt: "2026-11-23T10:00:00.000Z",
      lineage: { rootScanId: "r", parentScanId: "r", rule: CASCADE_RULE, rawKey: "nmap/x.xml", depth: 1 },
    });
    const ev = (port: number, extra: Partial<PortDetected> = {}): PortDetected => ({
      ...base,
      port,
      ...extra,
    });
    await publishPortEvents(sns, TopicArn!, [
      ev(443), // well-known TLS port
      ev(8443, { service: "http" }), // well-known, even when nmap called it http
      ev(9000, { service: "https-alt" }), // https* prefix
      ev(9001, { service: "imaps" }),
      ev(9002, { service: "http", tunnel: "ssl" }),
      ev(80, { service: "http" }), // plain: no
      ev(22, { service: "ssh" }), // plain: no
      ev(443, { protocol: "udp", service: "https" }), // QUIC is not for a TLS-over-TCP scanner
      ev(995, { lineage: { ...base.lineage, depth: MAX_CASCADE_DEPTH + 1 } }), // too deep: no
    ]);
    const got = await drain(tlsQueue, 5);
    expect(portsOf(got)).toEqual([443, 8443, 9000, 9001, 9002]);
  });
});

describe("one parse for documents and port events", () => {
  it("the scanner module's parse emits the events portEvents gives, from the same XML parse", async () => {
    const raw = rawResult(fixture("loopback-http-tls.xml"), {
      request: { target: "127.0.0.1", requestedAt: "2026-11-23T09:00:00Z" },
    });
    const parsed = await runScannerParser(raw, nmapTask);
    expect(parsed.cascades.map((c) => c.event)).toEqual(portEvents(readNmapXml(raw.body), raw));
    expect(parsed.cascades[0].attributes[Attr.port]).toEqual({ type: "Number", value: "18080" });
    expect(parsed.messages.length).toBeGreaterThan(0);
  });

  it("re-ingestion gets the documents only: emitted events are dropped, not an error", async () => {
    const raw = rawResult(fixture("loopback-http-tls.xml"));
    const messages = await runParser(raw, {
      task: "nmap",
      parserVersion: nmapTask.parserVersion,
      parse: nmapTask.parse,
    });
    expect(messages.map((m) => m.message.task)).toEqual(messages.map(() => "nmap"));
    expect(messages.length).toBeGreaterThan(0);
  });
});
