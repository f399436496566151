// The certificates of the bench's HTTPS scenarios: a CA made for the run and an ECDSA P-256 leaf it signs for
// 127.0.0.1 and localhost (what most sites serve now), written as PEM files that both contenders load. Made
// with @peculiar/x509 so that no `openssl` command is needed.
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

/**
 * Makes a CA and a leaf for 127.0.0.1 and localhost in a new temporary folder; resolves with the paths of
 * `fullchain` (leaf then CA, as a server sends it), `key` (the leaf's, PKCS#8) and `ca` (what a client trusts),
 * and `remove()`, which deletes the folder.
 */
export async function makeBenchCertificates() {
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Tandem Bench CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=localhost',
    issuer: root.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const key = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey),
    'PRIVATE KEY',
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  const paths = { fullchain: join(dir, 'fullchain.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'ca.pem') };
  writeFileSync(paths.fullchain, `${leaf.toString('pem')}\n${root.toString('pem')}\n`);
  writeFileSync(paths.key, `${key}\n`, { mode: 0o644 }); // nginx's master reads it as root, wrk/h2load never
  writeFileSync(paths.ca, `${root.toString('pem')}\n`);
  return { ...paths, remove: () => rmSync(dir, { recursive: true }) };
}
