import { generateKeyPairSync } from "node:crypto";
import * as forge from "node-forge";

/** Test PKI: a CA and leaf certificates made with node-forge, keys from Node's native generator. */
export interface KeyPair {
  privateKeyPem: string;
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.PrivateKey;
}

const shared = new Map<number, KeyPair>();
/** One key per size for the whole test file: certificates differ, key generation is what is slow. */
export function sharedKey(bits = 2048): KeyPair {
  let k = shared.get(bits);
  if (!k) shared.set(bits, (k = rsaKey(bits)));
  return k;
}

export function rsaKey(bits = 2048): KeyPair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKeyPem: pem, privateKey: priv, publicKey: forge.pki.rsa.setPublicKey(priv.n, priv.e) };
}

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: KeyPair;
}

let serial = 1;
const DAY = 86_400_000;

export function issue(opts: {
  cn: string;
  org?: string;
  dnsNames?: string[];
  ips?: string[];
  issuer?: Issued;
  isCa?: boolean;
  notBeforeDays?: number;
  notAfterDays?: number;
  key?: KeyPair;
}): Issued {
  const key = opts.key ?? sharedKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = (0x1000 + serial++).toString(16);
  const now = Date.now();
  cert.validity.notBefore = new Date(now + (opts.notBeforeDays ?? -1) * DAY);
  cert.validity.notAfter = new Date(now + (opts.notAfterDays ?? 90) * DAY);
  const subject = [
    { name: "commonName", value: opts.cn },
    { name: "organizationName", value: opts.org ?? "sec-an tests" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(opts.issuer ? opts.issuer.cert.subject.attributes : subject);
  const altNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(opts.ips ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: "basicConstraints", cA: !!opts.isCa, critical: true },
    {
      name: "keyUsage",
      keyCertSign: !!opts.isCa,
      cRLSign: !!opts.isCa,
      digitalSignature: true,
      keyEncipherment: !opts.isCa,
      critical: true,
    },
    ...(opts.isCa ? [] : [{ name: "extKeyUsage", serverAuth: true }]),
    ...(altNames.length ? [{ name: "subjectAltName", altNames }] : []),
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign((opts.issuer?.key ?? key).privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem: key.privateKeyPem };
}
