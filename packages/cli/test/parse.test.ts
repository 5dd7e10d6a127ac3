import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand, type TaskModule } from "../src/commands/parse";
import { taskRegistry } from "../src/tasks";

const FIXTURE = join(__dirname, "../../../projects/nmap/test/fixtures/vulners-formats.xml");
// nmap as the CLI finds it: through the registry and its project's public index.
let registry: Record<string, TaskModule>;
let nmapTask: TaskModule;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
  };
}
const lines = (out: string[]) =>
  out
    .join("")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sec-an-parse-"));
  nmapTask = (await taskRegistry()).nmap;
  registry = { nmap: nmapTask };
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sec-an parse", () => {
  it("prints every document with its snapshot index and id, then the messages, using the sidecar metadata", async () => {
    const file = join(dir, "scan-42.xml");
    await copyFile(FIXTURE, file);
    const meta = {
      scanId: "scan-42",
      task: "nmap",
      scanStartTime: "2023-11-14T22:13:20Z",
      scanEndTime: "2023-11-14T22:15:00Z",
      request: { target: "web.example.test", requestedAt: "2023-11-14T22:00:00Z" },
    };
    await writeFile(`${file}.meta.json`, JSON.stringify(meta));
    const t = io();
    expect(await parseCommand(["nmap", file], t.io, registry)).toBe(0);
    const out = lines(t.out);
    const docs = out.filter((l) => "index" in l);
    // 2 ports + 5 vulners entries + 1 host data document.
    expect(docs).toHaveLength(8);
    expect(new Set(docs.map((d) => d.index))).toEqual(
      new Set(["nmap_ports_snapshot.write", "nmap_cves_snapshot.write", "nmap_data_snapshot.write"]),
    );
    const data = docs.find((d) => d.index === "nmap_data_snapshot.write")!;
    expect(data.id).toMatch(/^[0-9a-f]{64}$/);
    expect(data.body).toMatchObject({
      address: "198.51.100.7",
      scan_id: "scan-42",
      __parser_version: nmapTask.parserVersion,
      summary_highest_cve_severity: 9.8,
      __NonTemporalKey: data.id,
    });
    const results = out.filter((l) => l.topic === "nmap-results");
    expect(results).toHaveLength(1);
    expect(results[0].attributes).toMatchObject({ Task: "nmap", ScanId: "scan-42" });
    const ports = out.filter((l) => l.topic === "ports");
    expect(ports.map((p) => p.attributes.port)).toEqual(["22", "80"]);
    expect(ports[0].message).toMatchObject({
      kind: "port-detected",
      hostnames: ["web.example.test", "web7.example.test"],
      lineage: { parentScanId: "scan-42" },
    });
    expect(t.err.join("")).toMatch(/8 documents, 1 results messages, 2 cascade messages/);
  });

  it("synthesises metadata when there is no sidecar, and says so", async () => {
    const file = join(dir, "no sidecar.xml");
    await copyFile(FIXTURE, file);
    const t = io();
    expect(await parseCommand(["nmap", file], t.io, registry)).toBe(0);
    expect(t.err.join("")).toMatch(
      /no .*no sidecar\.xml\.meta\.json; metadata synthesised: scanId=no_sidecar/,
    );
    expect(lines(t.out).find((l) => "index" in l)!.body.scan_id).toBe("no_sidecar");
  });

  it("exits 1 with the reason on a file the parser rejects, and 2 on usage errors", async () => {
    const bad = join(dir, "bad.xml");
    await writeFile(bad, "<html/>");
    const t = io();
    expect(await parseCommand(["nmap", bad], t.io, registry)).toBe(1);
    expect(t.err.join("")).toMatch(/not an nmap XML report/);
    expect(t.out).toEqual([]);

    const badMeta = join(dir, "badmeta.xml");
    await copyFile(FIXTURE, badMeta);
    await writeFile(`${badMeta}.meta.json`, JSON.stringify({ scanId: "x" }));
    const m = io();
    expect(await parseCommand(["nmap", badMeta], m.io, registry)).toBe(1);
    expect(m.err.join("")).toMatch(/task/);

    const u = io();
    expect(await parseCommand(["nmap"], u.io, registry)).toBe(2);
    expect(await parseCommand(["nope", bad], u.io, registry)).toBe(2);
    expect(u.err.join("")).toMatch(/unknown task "nope" \(known: nmap\)/);
  });
});
