import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { errors } from '../errors/catalogue.js';

/** One certificate as configured: the PEM files of its chain (leaf first) and of its private key. */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

/** A loaded certificate: the names it serves, its expiry, and the context handshakes use. */
interface LoadedCertificate {
  readonly names: readonly string[];
  readonly validTo: Date;
  readonly context: SecureContext;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw errors.TLS_CERTIFICATE_UNREADABLE(file, (error as NodeJS.ErrnoException).code ?? String(error));
  }
}

/** The DNS names a certificate serves: its subjectAltName DNS entries, or its CN when it has none. */
function servedNames(leaf: X509Certificate): string[] {
  const names = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  if (names.length > 0) return names;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return cn === undefined ? [] : [cn.toLowerCase()];
}

/**
 * Reads and checks one certificate: the chain parses, the key parses and belongs to the leaf, and the leaf
 * has not expired. Every failure is a TandemError naming the file at fault.
 */
export function loadCertificate(files: CertificateFiles, now = new Date()): LoadedCertificate {
  const certPem = readPem(files.cert);
  const keyPem = readPem(files.key);
  const blocks = certPem.match(PEM_CERTIFICATE);
  if (blocks === null) throw errors.TLS_CERTIFICATE_INVALID(files.cert, 'no PEM certificate in the file');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
    for (const block of blocks.slice(1)) new X509Certificate(block);
  } catch (error) {
    throw errors.TLS_CERTIFICATE_INVALID(files.cert, `not a valid certificate: ${(error as Error).message}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw errors.TLS_CERTIFICATE_INVALID(files.key, `not a valid private key: ${(error as Error).message}`);
  }
  if (!leaf.checkPrivateKey(key)) throw errors.TLS_KEY_MISMATCH(files.key, files.cert);
  const validTo = new Date(leaf.validTo);
  if (validTo.getTime() <= now.getTime()) throw errors.TLS_CERTIFICATE_EXPIRED(files.cert, leaf.validTo);
  // TLS 1.2 and 1.3 only, with Node's default ciphers and curves (RFC 8996 deprecates 1.0 and 1.1).
  const context = createSecureContext({ cert: certPem, key: keyPem, minVersion: 'TLSv1.2' });
  return { names: servedNames(leaf), validTo, context };
}

/**
 * The certificates a TLS listener serves, chosen per handshake by SNI: an exact name first, then a wildcard
 * (`*.example.com` covers one label), else the first certificate. `reload()` reads the files again; a
 * certificate that fails to load then keeps serving its last good version, and the failure is returned.
 */
export class CertificateStore {
  readonly #files: readonly CertificateFiles[];
  #loaded: LoadedCertificate[];
  #byName = new Map<string, SecureContext>();

  /** Loads every certificate; throws the first failure (a clear error at start). */
  constructor(files: readonly CertificateFiles[]) {
    if (files.length === 0) throw errors.TLS_CERTIFICATE_INVALID('tls.certificates', 'no certificate given');
    this.#files = files;
    this.#loaded = files.map((entry) => loadCertificate(entry));
    this.#index();
  }

  /** The context a handshake with no (or an unknown) server name gets: the first certificate's. */
  get defaultContext(): SecureContext {
    return this.#loaded[0]!.context;
  }

  /** The context for `servername` (SNI); the default one when no certificate names it. */
  contextFor(servername: string | undefined): SecureContext {
    if (servername === undefined || servername === '') return this.defaultContext;
    const name = servername.toLowerCase();
    const exact = this.#byName.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    return (dot > 0 ? this.#byName.get(`*${name.slice(dot)}`) : undefined) ?? this.defaultContext;
  }

  /** Reads every file again; returns the failures (each certificate that failed keeps its last good version). */
  reload(): Error[] {
    const failures: Error[] = [];
    this.#loaded = this.#files.map((entry, i) => {
      try {
        return loadCertificate(entry);
      } catch (error) {
        failures.push(error as Error);
        return this.#loaded[i]!;
      }
    });
    this.#index();
    return failures;
  }

  #index(): void {
    const byName = new Map<string, SecureContext>();
    for (const certificate of this.#loaded) {
      for (const name of certificate.names) if (!byName.has(name)) byName.set(name, certificate.context);
    }
    this.#byName = byName;
  }
}
