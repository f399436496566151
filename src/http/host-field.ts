import { errors, type TandemError } from '../errors/catalogue.js';

/**
 * Why a request is refused for its Host fields, if it is (RFC 9112 §3.2): an HTTP/1.1 request has exactly
 * one Host; a second one is as bad as none. Both engines ask it, so both answer the same 400.
 */
export function hostFieldRefusal(hosts: number, version: string): TandemError | undefined {
  if (hosts > 1) return errors.HTTP_BAD_REQUEST('more than one Host header field');
  if (hosts === 0 && version === '1.1') return errors.HTTP_BAD_REQUEST('no Host header field');
  return undefined;
}

/** How many Host fields a raw header list (name, value, name, value, …) holds. */
export function countHostFields(raw: readonly string[]): number {
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  return hosts;
}
