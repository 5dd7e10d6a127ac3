import type { StoredDoc } from "@sec-an/project-analytics-platform";

/**
 * What a person reads after a local run: a terminal summary and a self-contained HTML report standing
 * in for the dashboards. Both are built from the documents in the local store, nothing else.
 */
export interface RunSummary {
  hosts: { address: string; status?: string; hostnames: string[] }[];
  openPorts: {
    address: string;
    port: number;
    protocol: string;
    service?: string;
    product?: string;
    tunnel?: string;
  }[];
  tls: {
    address: string;
    port: number;
    hostname?: string;
    findings: string[];
    facts: Record<string, unknown>;
  }[];
  deadLetters: { queue: string; reason?: string; time?: string }[];
  documents: Record<string, number>;
}

const pick = (d: Record<string, unknown>, ...names: string[]): any => {
  for (const n of names) if (d[n] !== undefined && d[n] !== null) return d[n];
  return undefined;
};

/** Documents of one logical index family, e.g. ("nmap", "ports") → `nmap_ports_snapshot.read`. */
function docs(all: Record<string, StoredDoc[]>, task: string, docType: string): Record<string, unknown>[] {
  for (const name of [`${task}_${docType}_snapshot.read`, `${task}_${docType}.read`])
    if (all[name]) return all[name].map((d) => d.source);
  return [];
}

export function summarise(all: Record<string, StoredDoc[]>): RunSummary {
  const hosts = docs(all, "nmap", "data").map((d) => ({
    address: String(pick(d, "address") ?? "?"),
    status: pick(d, "status", "state"),
    hostnames: []
      .concat(pick(d, "hostnames") ?? [])
      .map((h: any) => (typeof h === "string" ? h : h?.name))
      .filter(Boolean),
  }));
  const openPorts = docs(all, "nmap", "ports")
    .filter((d) => (pick(d, "state") ?? "open") === "open")
    .map((d) => ({
      address: String(pick(d, "address")),
      port: Number(pick(d, "port", "port_id", "portid")),
      protocol: String(pick(d, "protocol") ?? "tcp"),
      service: pick(d, "service", "service_name"),
      product: pick(d, "product", "service_product"),
      tunnel: pick(d, "tunnel", "service_tunnel"),
    }))
    .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const tls = tlsFindings(all);
  const deadLetters = (all["dead_letter_data.read"] ?? all["dead_letter_data_snapshot.read"] ?? []).map(
    (d) => ({
      queue: String(pick(d.source, "queueName", "deadletterqueuename") ?? "?"),
      reason: pick(d.source, "reason", "errormessage"),
      time: pick(d.source, "sentTime", "deadlettersenttime"),
    }),
  );
  const documents = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length]));
  return { hosts, openPorts, tls, deadLetters, documents };
}

function tlsFindings(all: Record<string, StoredDoc[]>): RunSummary["tls"] {
  // The ssl parser's summary fields ride on its documents (summary_* when posted with summaries).
  const out = new Map<string, RunSummary["tls"][number]>();
  for (const [index, list] of Object.entries(all)) {
    if (!index.startsWith("ssl_") || !index.includes("snapshot")) continue;
    for (const { source } of list) {
      const d = source as Record<string, unknown>;
      const address = String(pick(d, "address") ?? "?");
      const port = Number(pick(d, "port") ?? 0);
      const key = `${address}:${port}`;
      const entry: RunSummary["tls"][number] = out.get(key) ?? {
        address,
        port,
        hostname: pick(d, "hostname"),
        findings: [],
        facts: {},
      };
      for (const [k, v] of Object.entries(d)) {
        if (k.startsWith("summary_") && v !== undefined) entry.facts[k.slice(8)] = v;
      }
      out.set(key, entry);
    }
  }
  for (const e of out.values()) {
    const f = e.facts;
    if (f.chain_valid === false) e.findings.push("certificate chain does not verify");
    if (f.self_signed === true) e.findings.push("self-signed certificate");
    if (typeof f.days_to_expiry === "number" && f.days_to_expiry < 0)
      e.findings.push(`certificate expired ${-f.days_to_expiry} days ago`);
    else if (typeof f.days_to_expiry === "number" && f.days_to_expiry < 30)
      e.findings.push(`certificate expires in ${f.days_to_expiry} days`);
    if (typeof f.weakest_protocol === "string" && /TLSv1(\.[01])?$|SSL/.test(f.weakest_protocol))
      e.findings.push(`accepts ${f.weakest_protocol}`);
    if (typeof f.key_bits === "number" && f.key_bits < 2048) e.findings.push(`${f.key_bits}-bit key`);
    if (f.hostname_mismatch === true) e.findings.push("hostname does not match the certificate");
  }
  return [...out.values()];
}

export function terminalSummary(s: RunSummary): string {
  const lines = [
    `Hosts: ${s.hosts.length}`,
    ...s.hosts.map(
      (h) =>
        `  ${h.address}${h.status ? ` (${h.status})` : ""}${h.hostnames.length ? ` ${h.hostnames.join(", ")}` : ""}`,
    ),
    `Open ports: ${s.openPorts.length}`,
    ...s.openPorts.map(
      (p) =>
        `  ${p.address}:${p.port}/${p.protocol} ${[p.tunnel === "ssl" ? "ssl/" : "", p.service ?? "", p.product ? ` (${p.product})` : ""].join("")}`,
    ),
    `TLS endpoints: ${s.tls.length}`,
    ...s.tls.map(
      (t) => `  ${t.address}:${t.port}: ${t.findings.length ? t.findings.join("; ") : "no findings"}`,
    ),
    `Dead letters: ${s.deadLetters.length}`,
    ...s.deadLetters.slice(0, 10).map((d) => `  ${d.queue}: ${d.reason ?? ""}`),
  ];
  return lines.join("\n") + "\n";
}

const esc = (v: unknown) =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

function table(headers: string[], rows: unknown[][], id: string): string {
  if (!rows.length) return `<p class="empty" id="${id}">None.</p>`;
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function htmlReport(
  s: RunSummary,
  meta: { startedAt: Date; finishedAt: Date; targets: string[] },
): string {
  const findings = s.tls.reduce((n, t) => n + t.findings.length, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sec-an local run</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430;background:#f7f8fa}
h1{margin:0 0 .25rem}h2{margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.25rem}
.meta{color:#5b6576}.cards{display:flex;gap:1rem;margin:1rem 0}.card{background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:.75rem 1.25rem;min-width:8rem}
.card b{display:block;font-size:1.8rem}.bad b{color:#b3261e}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d8dde6;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f6}.finding{color:#b3261e;font-weight:600}.empty{color:#5b6576}
</style></head><body>
<h1>sec-an local run</h1>
<p class="meta">Targets: ${esc(meta.targets.join(", "))} · ${esc(meta.startedAt.toISOString())} → ${esc(meta.finishedAt.toISOString())}</p>
<div class="cards">
<div class="card"><b id="n-hosts">${s.hosts.length}</b>hosts</div>
<div class="card"><b id="n-ports">${s.openPorts.length}</b>open ports</div>
<div class="card ${findings ? "bad" : ""}"><b id="n-findings">${findings}</b>TLS findings</div>
<div class="card ${s.deadLetters.length ? "bad" : ""}"><b id="n-dead">${s.deadLetters.length}</b>dead letters</div>
</div>
<h2>TLS findings</h2>
${table(
  ["endpoint", "findings", "facts"],
  s.tls.map((t) => [
    `${t.address}:${t.port}`,
    t.findings.join("; ") || "none",
    Object.entries(t.facts)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(", "),
  ]),
  "tls",
)}
<h2>Open ports</h2>
${table(
  ["address", "port", "protocol", "service", "product", "tunnel"],
  s.openPorts.map((p) => [p.address, p.port, p.protocol, p.service, p.product, p.tunnel]),
  "ports",
)}
<h2>Hosts</h2>
${table(
  ["address", "status", "hostnames"],
  s.hosts.map((h) => [h.address, h.status, h.hostnames.join(", ")]),
  "hosts",
)}
<h2>Dead letters</h2>
${table(
  ["queue", "reason", "time"],
  s.deadLetters.map((d) => [d.queue, d.reason, d.time]),
  "dead-letters",
)}
<h2>Documents by index</h2>
${table(["index", "documents"], Object.entries(s.documents).sort(), "indices")}
</body></html>
`;
}
