/**
 * A certificate authority made in a test (never shipped): a self-signed root and leaf certificates it signs,
 * as PEM, so TLS tests use real certificates that curl, Node's clients and Chromium are told to trust.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A leaf certificate and its key as PEM; `chain` is the leaf followed by the CA, as a server sends it. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  readonly chain: string;
}

/** What a leaf is made for. */
export interface LeafOptions {
  /** DNS names (and IP addresses, written as such) in subjectAltName. */
  names: readonly string[];
  /** Validity window in days from now; negative `notAfterDays` makes an expired certificate. Default -1, 30. */
  notBeforeDays?: number;
  notAfterDays?: number;
}

/** A test CA: its root as PEM and a way to issue leaves. */
export interface TestCa {
  /** The root certificate, PEM: what a client is told to trust. */
  readonly cert: string;
  issue(options: LeafOptions): Promise<TestCertificate>;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Makes a new CA (a fresh key each time). */
export async function createTestCa(name = 'Tandem Test CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  let serial = 1;
  return {
    cert: root.toString('pem'),
    async issue({ names, notBeforeDays = -1, notAfterDays = 30 }) {
      const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
      serial++;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial.toString(16).padStart(2, '0'),
        subject: `CN=${names[0]}`,
        issuer: root.subject,
        notBefore: new Date(Date.now() + notBeforeDays * DAY),
        notAfter: new Date(Date.now() + notAfterDays * DAY),
        signingKey: keys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension(
            names.map((n) => ({ type: /^[\d.]+$|:/.test(n) ? ('ip' as const) : ('dns' as const), value: n })),
          ),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      const cert = leaf.toString('pem');
      return { cert, key: await exportKey(leafKeys.privateKey), chain: `${cert}\n${root.toString('pem')}\n` };
    },
  };
}

/** Writes `files` (name → content) into a new temporary folder and returns each one's path by name. */
export function writeTempFiles(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-tls-'));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], content, { mode: 0o600 });
  }
  return paths;
}
