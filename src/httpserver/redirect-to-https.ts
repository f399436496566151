import { errors } from '../errors/catalogue.js';
import type { Handler } from '../http/handler.js';
import { splitTarget } from '../http/target.js';

/** A Host field's host part: a DNS name or IPv4 address, or an IPv6 address in brackets (RFC 9110 §7.2). */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * A Handler that answers every request with a 308 to the same URL over https on `httpsPort` (the port left
 * out when it is 443), as a plain listener in front of an HTTPS one does; 308 keeps the method and body
 * (RFC 9110 §15.4.9). A request without a usable Host gets 400: there is no name to send it to.
 */
export function redirectToHttps(httpsPort: number): Handler {
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return (req) => {
    const host = req.headers.host;
    if (typeof host !== 'string' || !HOST.test(host)) {
      throw errors.HTTP_BAD_REQUEST('a redirect to https needs a Host field');
    }
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
    const { path, query } = splitTarget(req.target);
    const location = `https://${name}${port}${path.startsWith('/') ? path : '/'}${query === '' ? '' : `?${query}`}`;
    return {
      status: 308,
      headers: { location, 'content-type': 'text/plain; charset=utf-8' },
      body: `Moved to ${location}\n`,
    };
  };
}
