import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanSchema, configObject, millisSchema, portSchema } from '../config/config-schemas.js';
import type { FlagRule } from '../config/layered-config.js';
import { errors } from '../errors/catalogue.js';
import type { CertificateFiles } from '../tls/certificate-store.js';

/** Let's Encrypt's production directory: ACME's default (RFC 8555 §7.1.1). */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** Certificates that manage themselves (ACME, RFC 8555): asked for, kept and renewed by the httpserver. */
export interface AcmeConfig {
  /** The names the certificate is for; every one must resolve to this server (HTTP-01 validation). */
  domains: readonly string[];
  /** Contact address given to the CA (expiry notices). */
  email?: string | undefined;
  /** The CA's directory URL (a staging or private CA); Let's Encrypt's production one by default. */
  directory: string;
  /** Folder for the account key, certificates and pending challenges (made with mode 0700). */
  state: string;
  /** A PEM file of CA certificates to trust for the directory's own HTTPS (a private CA); Node's list when unset. */
  caBundle?: string | undefined;
  /** Renew when the certificate has fewer days left than this. */
  renewBeforeDays: number;
}

/** HTTPS on the httpserver's listener. */
export interface TlsConfig {
  /** Certificate chains and keys (PEM files), chosen per handshake by SNI; the first is the default. */
  certificates: readonly CertificateFiles[];
  /** Certificates from an ACME CA, served beside (before) `certificates`. */
  acme?: AcmeConfig | undefined;
  /** Offer HTTP/2 by ALPN (default true). */
  http2: boolean;
  /**
   * A plain-HTTP port on the same host that answers every request with a 308 to the same URL over https,
   * except ACME HTTP-01 challenges, which it answers itself.
   */
  redirectPort?: number | undefined;
  /** The Strict-Transport-Security value sent over https, e.g. `max-age=31536000`; none when unset. */
  hsts?: string | undefined;
  /** Time a client has to finish its TLS handshake. */
  handshakeTimeout: number;
}

const fileSchema = (base: string) =>
  z
    .string({ error: 'expected the path of a PEM file' })
    .min(1, { error: 'expected the path of a PEM file' })
    .transform((value) => resolve(base, value));

const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const HSTS_ERROR = 'expected true or a Strict-Transport-Security value such as "max-age=31536000"';

/** The zod schema of the `tls` section, paths resolved against `base`; what it leaves out gets defaults. */
export function tlsSchema(base: string) {
  const certificate = z.strictObject(
    { cert: fileSchema(base), key: fileSchema(base) },
    { error: 'expected an object such as { "cert": "fullchain.pem", "key": "privkey.pem" }' },
  );
  const acme = z.strictObject(
    {
      domains: z
        .array(z.string().regex(DNS_NAME, { error: 'expected a DNS name such as "example.com"' }), {
          error: 'expected an array of DNS names',
        })
        .min(1, { error: 'expected at least one DNS name' }),
      email: z.email({ error: 'expected an email address' }).optional(),
      directory: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
      state: fileSchema(base),
      caBundle: fileSchema(base).optional(),
      renewBeforeDays: z.number().int().min(1).max(89).optional(),
    },
    { error: 'expected an object such as { "domains": ["example.com"], "state": "./acme" }' },
  );
  return configObject({
    certificates: z.array(certificate, { error: 'expected an array of { "cert", "key" } objects' }),
    acme,
    http2: booleanSchema,
    redirectPort: portSchema,
    hsts: z.union([z.literal(true), z.string().regex(/^max-age=\d+(?:;[\x20-\x7e]*)?$/)], {
      error: HSTS_ERROR,
    }),
    handshakeTimeout: millisSchema(1),
  })
    .check((ctx) => {
      if ((ctx.value.certificates?.length ?? 0) === 0 && ctx.value.acme === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected "certificates" or "acme": a TLS listener needs a certificate',
          input: ctx.value,
        });
      }
    })
    .transform(
      (tls): TlsConfig => ({
        certificates: tls.certificates ?? [],
        acme:
          tls.acme === undefined
            ? undefined
            : {
                ...tls.acme,
                directory: tls.acme.directory ?? LETS_ENCRYPT_DIRECTORY,
                renewBeforeDays: tls.acme.renewBeforeDays ?? 30,
              },
        http2: tls.http2 ?? true,
        redirectPort: tls.redirectPort,
        hsts: tls.hsts === true ? 'max-age=31536000' : tls.hsts,
        handshakeTimeout: tls.handshakeTimeout ?? 10_000,
      }),
    );
}

/** The rule of `--tls-cert FILE --tls-key FILE` (given together as `[cert, key]`): one certificate. */
export const tlsFlagRule: FlagRule<TlsConfig> = {
  name: '--tls-cert',
  read(value) {
    const [cert, key] = Array.isArray(value) ? value : [];
    if (typeof cert !== 'string' || typeof key !== 'string' || cert === '' || key === '') {
      throw errors.CLI_USAGE('--tls-cert and --tls-key: expected both, each the path of a PEM file');
    }
    return {
      certificates: [{ cert: resolve(cert), key: resolve(key) }],
      http2: true,
      handshakeTimeout: 10_000,
    };
  },
};

/** The flags' certificate replaces the file's list; the rest of the file's `tls` section stays. */
export function mergeTls(file: TlsConfig | undefined, flags: TlsConfig): TlsConfig {
  return file === undefined ? flags : { ...file, certificates: flags.certificates };
}
