import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanSchema, configObject, millisSchema, portSchema } from '../config/config-schemas.js';
import type { FlagRule } from '../config/layered-config.js';
import { errors } from '../errors/catalogue.js';
import type { CertificateFiles } from '../tls/certificate-store.js';

/** HTTPS on the httpserver's listener. */
export interface TlsConfig {
  /** Certificate chains and keys (PEM files), chosen per handshake by SNI; the first is the default. */
  certificates: readonly CertificateFiles[];
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

const HSTS_ERROR = 'expected true or a Strict-Transport-Security value such as "max-age=31536000"';

/** The zod schema of the `tls` section, paths resolved against `base`; what it leaves out gets defaults. */
export function tlsSchema(base: string) {
  const certificate = z.strictObject(
    { cert: fileSchema(base), key: fileSchema(base) },
    { error: 'expected an object such as { "cert": "fullchain.pem", "key": "privkey.pem" }' },
  );
  return configObject({
    certificates: z.array(certificate, { error: 'expected an array of { "cert", "key" } objects' }),
    http2: booleanSchema,
    redirectPort: portSchema,
    hsts: z.union([z.literal(true), z.string().regex(/^max-age=\d+(?:;[\x20-\x7e]*)?$/)], {
      error: HSTS_ERROR,
    }),
    handshakeTimeout: millisSchema(1),
  })
    .check((ctx) => {
      if ((ctx.value.certificates?.length ?? 0) === 0) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected "certificates": a TLS listener needs at least one',
          input: ctx.value,
        });
      }
    })
    .transform(
      (tls): TlsConfig => ({
        certificates: tls.certificates ?? [],
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
