import { isIPv4, isIPv6 } from 'node:net';
import { errors } from '../errors/catalogue.js';

/** A host and TCP port named by a PORT or EPRT argument. */
export interface DataTarget {
  host: string;
  port: number;
}

/**
 * The canonical text of an IP address, so two spellings of one address compare equal: IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`) becomes plain IPv4, IPv6 is compressed and lower-cased, a zone id (`%eth0`) is dropped.
 * Anything that is not an IP address is returned unchanged.
 */
export function canonicalAddress(address: string): string {
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0] ?? address;
  if (!isIPv6(bare)) return address;
  const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? '0', 16);
    const low = Number.parseInt(mapped[2] ?? '0', 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return compressed;
}

/** Parses a PORT argument `h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2); throws FTP_PORT_SYNTAX on anything else. */
export function parsePortArg(arg: string): DataTarget {
  const parts = arg.trim().split(',');
  if (parts.length !== 6 || !parts.every((p) => /^\d{1,3}$/.test(p.trim()) && Number(p) <= 255)) {
    throw errors.FTP_PORT_SYNTAX(arg);
  }
  const n = parts.map((p) => Number(p));
  return { host: n.slice(0, 4).join('.'), port: (n[4] ?? 0) * 256 + (n[5] ?? 0) };
}

/**
 * Parses an EPRT argument `<d>proto<d>address<d>port<d>` (RFC 2428 §2), proto 1 = IPv4, 2 = IPv6, any printable
 * delimiter; throws FTP_PORT_SYNTAX on bad syntax and FTP_NETWORK_PROTOCOL for another protocol number.
 */
export function parseEprtArg(arg: string): DataTarget {
  const text = arg.trim();
  const d = text[0];
  if (d === undefined || d.charCodeAt(0) < 33 || d.charCodeAt(0) > 126 || /[0-9a-fA-F.:]/.test(d)) {
    throw errors.FTP_PORT_SYNTAX(arg);
  }
  const fields = text.split(d);
  // '' proto address port '' — exactly four delimiters.
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '') throw errors.FTP_PORT_SYNTAX(arg);
  const [, proto, host = '', portText = ''] = fields;
  if (proto !== '1' && proto !== '2') {
    if (proto !== undefined && /^\d+$/.test(proto)) throw errors.FTP_NETWORK_PROTOCOL(`EPRT ${proto}`);
    throw errors.FTP_PORT_SYNTAX(arg);
  }
  if (proto === '1' ? !isIPv4(host) : !isIPv6(host)) throw errors.FTP_PORT_SYNTAX(arg);
  if (!/^\d{1,5}$/.test(portText)) throw errors.FTP_PORT_SYNTAX(arg);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw errors.FTP_PORT_SYNTAX(arg);
  return { host, port };
}
