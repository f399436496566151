import { METHODS } from 'node:http';
import { errors, type TandemError } from '../errors/catalogue.js';

/** `TOKEN SP target SP HTTP/x.y` at the start of a request (RFC 9112 §3; token of RFC 9110 §5.6.2). */
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^\s]+ HTTP\/\d\.\d\r?\n/;

/** What llhttp reports of a request it refused: its error code (`HPE_…`) and reason. */
export interface ParseFailure {
  readonly code?: string | undefined;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

/**
 * The catalogue error a request llhttp refused is answered with, the same on every engine: 431 for a head
 * over the size limit, 501 for a method it does not know in a well-formed request line (RFC 9110 §9.1: llhttp
 * refuses any method not in http.METHODS and cannot be told others), else 400 naming llhttp's reason.
 * `received` is the start of what the client sent, to tell an unknown method from a garbled line.
 */
export function parseError(failure: ParseFailure, received: Buffer | undefined): TandemError {
  switch (failure.code) {
    case 'HPE_HEADER_OVERFLOW':
      return errors.HTTP_HEADERS_TOO_LARGE();
    case 'HPE_INVALID_METHOD':
      if (REQUEST_LINE.test(received?.toString('latin1', 0, 8192) ?? '')) {
        return errors.HTTP_METHOD_UNKNOWN(METHODS);
      }
      return errors.HTTP_BAD_REQUEST('invalid method');
    default: {
      const reason = failure.reason ?? failure.message ?? 'malformed request';
      return errors.HTTP_BAD_REQUEST(reason.charAt(0).toLowerCase() + reason.slice(1));
    }
  }
}
