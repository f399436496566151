import { STATUS_CODES } from 'node:http';

/**
 * The one catalogue of Tandem's errors: each entry has a stable code, a message that names what was wrong
 * and, for errors that reach an HTTP client, a status.
 */
export class TandemError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** HTTP status for errors that become a response (for FTP_* errors, the FTP reply code); undefined for the others. */
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TandemError';
    this.code = code;
    this.status = status;
  }
}

/** Options of an HttpError. */
export interface HttpErrorInit {
  /** Header fields sent with the error answer, e.g. `www-authenticate` with a 401, `retry-after` with a 503. */
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** The error that led to this one, kept for the log. */
  readonly cause?: unknown;
}

/**
 * An error a view or a Handler throws to answer with `status` (400 to 599) and `message` (default: the
 * status's reason phrase, `Not Found`), code `HTTP_ERROR`. It is answered as every error Tandem answers, by
 * the one error renderer: a short HTML page for a browser, the message as one line of text otherwise, with
 * `headers` added; a 5xx is also logged. A status outside 400 to 599 is a programming error (RangeError).
 */
export class HttpError extends TandemError {
  declare readonly status: number;
  /** The header fields sent with the answer, by lower-case name; empty when none were given. */
  readonly headers: Readonly<Record<string, string | string[]>>;

  constructor(status: number, message?: string, init: HttpErrorInit = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError: status must be an integer from 400 to 599, got ${status}`);
    }
    const options = init.cause === undefined ? undefined : { cause: init.cause };
    super('HTTP_ERROR', message ?? STATUS_CODES[status] ?? `Error ${status}`, status, options);
    this.name = 'HttpError';
    this.headers = Object.freeze(
      Object.fromEntries(
        Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      ),
    );
  }
}

type Factory<A extends unknown[]> = ((...args: A) => TandemError) & {
  code: string;
  status: number | undefined;
};

function define<A extends unknown[]>(
  code: string,
  status: number | undefined,
  message: (...args: A) => string,
) {
  const factory = ((...args: A) => new TandemError(code, message(...args), status)) as Factory<A>;
  factory.code = code;
  factory.status = status;
  return factory;
}

/** Every error Tandem raises, by code. Call an entry to make the error: `throw errors.HTTP_NOT_FOUND('/x')`. */
export const errors = {
  CONFIG_UNREADABLE: define(
    'CONFIG_UNREADABLE',
    undefined,
    (file: string, reason: string) => `${file}: cannot read config: ${reason}`,
  ),
  CONFIG_INVALID: define(
    'CONFIG_INVALID',
    undefined,
    (file: string, key: string, expected: string) => `${file}: key "${key}": ${expected}`,
  ),
  CLI_USAGE: define('CLI_USAGE', undefined, (message: string) => message),
  CLI_LISTEN_FAILED: define(
    'CLI_LISTEN_FAILED',
    undefined,
    (address: string, reason: string) => `cannot listen on ${address}: ${reason}`,
  ),
  APP_LOAD_FAILED: define(
    'APP_LOAD_FAILED',
    undefined,
    (dir: string, reason: string) => `cannot load app ${dir}: ${reason}`,
  ),
  APP_INVALID: define('APP_INVALID', undefined, (file: string, reason: string) => `${file}: ${reason}`),
  TLS_CERTIFICATE_UNREADABLE: define(
    'TLS_CERTIFICATE_UNREADABLE',
    undefined,
    (file: string, reason: string) => `${file}: cannot read TLS certificate or key: ${reason}`,
  ),
  TLS_CERTIFICATE_INVALID: define(
    'TLS_CERTIFICATE_INVALID',
    undefined,
    (file: string, reason: string) => `${file}: ${reason}`,
  ),
  TLS_KEY_MISMATCH: define(
    'TLS_KEY_MISMATCH',
    undefined,
    (key: string, cert: string) => `${key}: this private key does not belong to the certificate in ${cert}`,
  ),
  TLS_CERTIFICATE_EXPIRED: define(
    'TLS_CERTIFICATE_EXPIRED',
    undefined,
    (file: string, validTo: string) => `${file}: the certificate expired on ${validTo}`,
  ),

  HTTP_BAD_REQUEST: define('HTTP_BAD_REQUEST', 400, (reason: string) => `Bad request: ${reason}`),
  HTTP_FORBIDDEN: define('HTTP_FORBIDDEN', 403, (path: string) => `Forbidden: ${path}`),
  HTTP_NOT_FOUND: define('HTTP_NOT_FOUND', 404, (path: string) => `Not found: ${path}`),
  HTTP_METHOD_NOT_ALLOWED: define(
    'HTTP_METHOD_NOT_ALLOWED',
    405,
    (method: string, path: string) => `Method ${method} not allowed for ${path}`,
  ),
  HTTP_METHOD_UNKNOWN: define(
    'HTTP_METHOD_UNKNOWN',
    501,
    (known: readonly string[]) =>
      `Not implemented: this server's HTTP parser knows only the methods ${known.join(', ')}`,
  ),
  HTTP_REQUEST_TIMEOUT: define(
    'HTTP_REQUEST_TIMEOUT',
    408,
    (ms: number) => `Request not received within ${ms} ms`,
  ),
  HTTP_PAYLOAD_TOO_LARGE: define(
    'HTTP_PAYLOAD_TOO_LARGE',
    413,
    (limit: number) => `Request body larger than the limit of ${limit} bytes`,
  ),
  HTTP_HEADERS_TOO_LARGE: define('HTTP_HEADERS_TOO_LARGE', 431, () => 'Request header fields too large'),
  HTTP_EXPECTATION_FAILED: define(
    'HTTP_EXPECTATION_FAILED',
    417,
    (expect: string) => `Expectation failed: this server can meet only Expect: 100-continue, not ${expect}`,
  ),
  // nginx's 499: no response is sent, the status only names the outcome (the access log writes 499 too).
  HTTP_CLIENT_CLOSED: define(
    'HTTP_CLIENT_CLOSED',
    499,
    () => 'Client closed the connection before the answer',
  ),
  HTTP_VIEW_FAILED: define('HTTP_VIEW_FAILED', 500, (reason: string) => `View failed: ${reason}`),
  HTTP_INTERNAL_ERROR: define(
    'HTTP_INTERNAL_ERROR',
    500,
    (reason: string) => `Internal server error: ${reason}`,
  ),
  HTTP_NOT_IMPLEMENTED: define(
    'HTTP_NOT_IMPLEMENTED',
    501,
    (method: string) => `Method ${method} is not implemented by this server`,
  ),
  HTTP_BAD_GATEWAY: define('HTTP_BAD_GATEWAY', 502, (reason: string) => `Bad gateway: ${reason}`),
  HTTP_GATEWAY_TIMEOUT: define(
    'HTTP_GATEWAY_TIMEOUT',
    504,
    (ms: number) => `Gateway timeout: no response head from webframe within ${ms} ms`,
  ),

  RESPONSE_INVALID: define('RESPONSE_INVALID', 500, (reason: string) => `Invalid response: ${reason}`),
  RESPONSE_LENGTH_MISMATCH: define(
    'RESPONSE_LENGTH_MISMATCH',
    500,
    (declared: number, actual: string) =>
      `response body ${actual} does not match its content-length ${declared}`,
  ),

  PROTOCOL_STREAM_ABORTED: define(
    'PROTOCOL_STREAM_ABORTED',
    undefined,
    (reason: string) => `stream aborted: ${reason}`,
  ),
  PROTOCOL_CONNECTION_CLOSED: define(
    'PROTOCOL_CONNECTION_CLOSED',
    undefined,
    (reason: string) => `connection closed: ${reason}`,
  ),
  HTTP_PRECONDITION_FAILED: define(
    'HTTP_PRECONDITION_FAILED',
    412,
    (path: string) => `Precondition failed: ${path}`,
  ),
  HTTP_RANGE_NOT_SATISFIABLE: define(
    'HTTP_RANGE_NOT_SATISFIABLE',
    416,
    (range: string, size: number) => `Range not satisfiable: ${range} (size ${size})`,
  ),
  STATIC_ROOT_INVALID: define(
    'STATIC_ROOT_INVALID',
    undefined,
    (root: string, reason: string) => `static root ${root}: ${reason}`,
  ),
  NET_HANDLER_MODULE_REQUIRED: define(
    'NET_HANDLER_MODULE_REQUIRED',
    undefined,
    (model: string) =>
      `the ${model} model serves in other processes or threads, so it needs a handler module (handlerModule(url).with(options)), not a handler object`,
  ),
  NET_CONNECTIONS_REFUSED: define(
    'NET_CONNECTIONS_REFUSED',
    undefined,
    (count: number, capacity: number, limit: number) =>
      `refused ${count} connection(s): ${capacity} are open, the most one process holds with ${limit} open files (ulimit -n); raise the limit to serve more`,
  ),
  // FTP path errors carry the FTP reply code (RFC 959) as status, not an HTTP one.
  FTP_PATH_INVALID: define('FTP_PATH_INVALID', 553, (reason: string) => `File name not allowed: ${reason}`),
  FTP_PATH_OUTSIDE: define('FTP_PATH_OUTSIDE', 550, (path: string) => `Permission denied: ${path}`),
  FTP_PATH_NOT_FOUND: define(
    'FTP_PATH_NOT_FOUND',
    550,
    (path: string) => `No such file or directory: ${path}`,
  ),
  // FTP client (`tandem ftp`): one-line messages the CLI prints before exiting with 1.
  FTP_CONNECT_FAILED: define(
    'FTP_CONNECT_FAILED',
    undefined,
    (target: string, reason: string) => `cannot connect to ${target}: ${reason}`,
  ),
  FTP_LOGIN_FAILED: define(
    'FTP_LOGIN_FAILED',
    undefined,
    (user: string, reply: string) => `login failed for user ${JSON.stringify(user)}: ${reply}`,
  ),
  FTP_LOGIN_NO_PASSWORD: define(
    'FTP_LOGIN_NO_PASSWORD',
    undefined,
    (user: string, reply: string) =>
      `login failed for user ${JSON.stringify(user)}: ${reply}; no password was given: ` +
      `put it in the URL (ftp://${encodeURIComponent(user)}:PASSWORD@host/…) or in $TANDEM_FTP_PASSWORD`,
  ),
  FTP_REMOTE_FAILED: define(
    'FTP_REMOTE_FAILED',
    undefined,
    (action: string, reason: string) => `${action} failed: ${reason}`,
  ),
  FTP_LOCAL_FILE: define(
    'FTP_LOCAL_FILE',
    undefined,
    (action: string, file: string, reason: string) => `cannot ${action} ${file}: ${reason}`,
  ),
  // FTP data connections (src/ftp/data-channel.ts); status is the FTP reply code (RFC 959, RFC 2428).
  FTP_PORT_SYNTAX: define(
    'FTP_PORT_SYNTAX',
    501,
    (arg: string) => `Syntax error in PORT/EPRT argument: ${arg}`,
  ),
  FTP_PORT_REFUSED: define(
    'FTP_PORT_REFUSED',
    500,
    (host: string, port: number, reason: string) => `Illegal PORT command: ${host} port ${port}: ${reason}`,
  ),
  FTP_NETWORK_PROTOCOL: define(
    'FTP_NETWORK_PROTOCOL',
    522,
    (what: string) => `Network protocol not supported for ${what}, use (1,2)`,
  ),
  FTP_PASSIVE_UNAVAILABLE: define(
    'FTP_PASSIVE_UNAVAILABLE',
    425,
    (reason: string) => `Cannot enter passive mode: ${reason}`,
  ),
  FTP_NO_DATA_CONNECTION: define(
    'FTP_NO_DATA_CONNECTION',
    425,
    (reason: string) => `Can't open data connection: ${reason}`,
  ),
  FTP_TRANSFER_STALLED: define(
    'FTP_TRANSFER_STALLED',
    426,
    (ms: number) => `Connection closed; transfer stalled for ${ms} ms`,
  ),
  FTP_TRANSFER_FAILED: define(
    'FTP_TRANSFER_FAILED',
    426,
    (reason: string) => `Connection closed; transfer failed: ${reason}`,
  ),
  FTP_TRANSFER_ABORTED: define('FTP_TRANSFER_ABORTED', 426, () => 'Connection closed; transfer aborted'),
  FTP_PASSWORD_CHECK: define(
    'FTP_PASSWORD_CHECK',
    421,
    (reason: string) =>
      `Service not available, closing control connection: cannot check passwords: ${reason}`,
  ),
} as const;

/** True when `err` is a TandemError made by the catalogue entry `entry`. */
export function isError(err: unknown, entry: { code: string }): err is TandemError {
  return err instanceof TandemError && err.code === entry.code;
}
