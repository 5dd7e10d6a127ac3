import type { ScannerParseFn } from "@sec-an/contracts";
import type { HeadersResult } from "./scan";

/** Bump when documents change, so a re-ingest shows which parser produced what. */
export const PARSER_VERSION = "1.0.0";

/** One `response` per endpoint scanned; one `finding` per missing or weak header. */
export const DocType = { response: "response", finding: "finding" } as const;

/** Half a year: a shorter HSTS lapses between visits (the preload list asks for a year). */
const HSTS_MIN = 180 * 86400;
const maxAge = (hsts: string) => Number(/max-age="?(\d+)/i.exec(hsts)?.[1] ?? 0);

type Values = Record<"hsts" | "csp" | "xfo" | "nosniff" | "referrer" | "server" | "poweredBy", string>;
type Check = [id: string, severity: "low" | "medium", problem: (v: Values, tls: boolean) => string | false];

/** Each check names what is wrong with a response's headers, or returns false (one per line: a table). */
// prettier-ignore
export const CHECKS: Check[] = [
  ["hsts-missing", "medium", (v, tls) => tls && !v.hsts && "no Strict-Transport-Security over TLS"],
  ["hsts-short", "low", (v, tls) => tls && !!v.hsts && maxAge(v.hsts) < HSTS_MIN && `HSTS max-age < ${HSTS_MIN}`],
  ["hsts-no-subdomains", "low", (v, tls) => tls && !!v.hsts && !/includesubdomains/i.test(v.hsts) && "HSTS lacks includeSubDomains"],
  ["csp-missing", "medium", (v) => !v.csp && "no Content-Security-Policy"],
  ["csp-unsafe-inline", "medium", (v) => v.csp.includes("'unsafe-inline'") && "CSP allows 'unsafe-inline'"],
  ["csp-unsafe-eval", "medium", (v) => v.csp.includes("'unsafe-eval'") && "CSP allows 'unsafe-eval'"],
  ["csp-no-frame-ancestors", "low", (v) => !!v.csp && !/frame-ancestors/.test(v.csp) && "CSP lacks frame-ancestors"],
  ["framing", "medium", (v) => !/frame-ancestors/.test(v.csp) && !/^(deny|sameorigin)$/i.test(v.xfo) && "can be framed"],
  ["nosniff-missing", "low", (v) => v.nosniff.toLowerCase() !== "nosniff" && "no X-Content-Type-Options: nosniff"],
  ["referrer-policy", "low", (v) => /^$|unsafe-url|no-referrer-when-downgrade/.test(v.referrer) && "Referrer-Policy leaks URLs"],
  ["server-version", "low", (v) => /\d/.test(v.server) && `Server: ${v.server}`],
  ["powered-by-version", "low", (v) => /\d/.test(v.poweredBy) && `X-Powered-By: ${v.poweredBy}`],
];

export function findings({ headers: h, tls }: HeadersResult) {
  const v: Values = {
    hsts: h["strict-transport-security"] ?? "",
    csp: h["content-security-policy"] ?? "",
    xfo: h["x-frame-options"] ?? "",
    nosniff: h["x-content-type-options"] ?? "",
    referrer: h["referrer-policy"] ?? "",
    server: h.server ?? "",
    poweredBy: h["x-powered-by"] ?? "",
  };
  return CHECKS.flatMap(([check, severity, problem]) => {
    const detail = problem(v, tls);
    return detail ? [{ check, severity, detail }] : [];
  });
}

export const parse: ScannerParseFn = (raw, tools) => {
  const r = JSON.parse(raw.body.toString("utf8")) as HeadersResult;
  const { address, port } = raw.metadata.request as { address: string; port: number };
  const ctx = tools.results({ address, port });
  const found = r.error ? [] : findings(r);
  const { url, tls, status, error } = r;
  ctx.postResults(DocType.response, {
    url,
    tls,
    status,
    error,
    server: r.headers.server,
    findings: found.length,
  });
  for (const { check, severity, detail } of found) {
    ctx.pushContext({ check });
    ctx.postResults(DocType.finding, { url, severity, detail });
    ctx.popContext();
  }
};
