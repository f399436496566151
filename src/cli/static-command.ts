import {
  directorySchema,
  hostSchema,
  modelNameSchema,
  portSchema,
  workersIgnoredBy,
  workersSchema,
} from '../config/config-schemas.js';
import { validateFlag } from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';
import { HTTP_ENGINES } from '../http/http-engine.js';
import { engineNameSchema } from '../httpserver/config.js';
import { handlerModule } from '../net/handler-module.js';
import { MODEL_NAMES } from '../net/models.js';
import { NetServer } from '../net/net-server.js';
import type { ModelSpec } from '../net/types.js';
import { parseCommandLine } from './parse-flags.js';
import { announceListening, stopOnSignal } from './signals.js';
import { warn } from './warn.js';

/** The handler module of `tandem static`: the static site, run by every worker. */
const STATIC_SITE = handlerModule<typeof import('./static-site.js')>(
  new URL('./static-site.js', import.meta.url),
);

/** Help text of `tandem static`. */
export const STATIC_USAGE = `Usage: tandem static [DIR] [PORT] [--host H] [--port P] [--model M] [--workers N]
                     [--engine E]

Serves the files under DIR (default: the current directory) over HTTP/1.1, with a listing for
directories that have no index.html: Tandem's \`python -m http.server\`. One access line per
request on stdout. A number is the port (tandem static 8123, as python -m http.server 8123);
write a folder whose name is a number as ./8123.

  --host H      address to listen on (default 127.0.0.1)
  --port P      port, 0 for any free one (default 8000)
  --model M     concurrency model: ${MODEL_NAMES.join(', ')} (default event)
  --workers N   workers for prefork and thread, most children at once for fork
                (ignored, with a warning, by loop and event)
  --engine E    HTTP/1.1 engine: ${HTTP_ENGINES.join(', ')} (default llhttp, Tandem's own;
                node is node:http)`;

/** `tandem static`: serves a directory, as `python -m http.server` does. */
export async function staticCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(
    'static',
    argv,
    {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      model: { type: 'string', default: 'event' },
      workers: { type: 'string' },
      engine: { type: 'string' },
    },
    ['DIR', 'PORT'],
  );
  const { dir, portText } = dirAndPort(positionals, values.port);
  // A DIR that is no directory is named as ftpd names its ROOT: a usage error.
  const root = validateFlag(directorySchema(process.cwd()), dir, 'DIR');
  const host = validateFlag(hostSchema, values.host, '--host');
  const port = validateFlag(portSchema, portText, portText === values.port ? '--port' : 'PORT');
  const model = modelFlags(values.model, values.workers);
  const engine =
    values.engine === undefined ? undefined : validateFlag(engineNameSchema, values.engine, '--engine');

  const server = new NetServer({
    transport: { kind: 'tcp', host, port },
    model,
    handler: STATIC_SITE.with({ root, listing: true, keepAlive: model.kind !== 'loop', engine }),
  });
  const address = await server.listen();
  const shownHost = address.host.includes(':') ? `[${address.host}]` : address.host;
  process.stderr.write(`Serving ${dir} at http://${shownHost}:${address.port}/ (model ${model.kind})\n`);
  announceListening('static', address.host, address.port);
  stopOnSignal(async () => {
    process.stderr.write('Stopping: finishing open requests\n');
    await server.close();
  });
}

/**
 * DIR and the port's text from the positional arguments: a number is the port, as in
 * `python -m http.server 8123`; the other one is DIR (default `.`). A port both ways is a usage error.
 */
function dirAndPort(positionals: string[], portFlag: string | undefined): { dir: string; portText: string } {
  const ports = positionals.filter((text) => /^\d+$/.test(text));
  const dirs = positionals.filter((text) => !/^\d+$/.test(text));
  if (ports.length > 1 || dirs.length > 1) {
    throw errors.CLI_USAGE(
      `static: expected [DIR] [PORT], got ${positionals.join(' ')}; write a folder named by a number as ./${ports[0] ?? dirs[0]}`,
    );
  }
  if (ports[0] !== undefined && portFlag !== undefined) {
    throw errors.CLI_USAGE(`static: the port is given twice: ${ports[0]} and --port ${portFlag}`);
  }
  return { dir: dirs[0] ?? '.', portText: ports[0] ?? portFlag ?? '8000' };
}

/** The model spec `--model` and `--workers` ask for (the model's own default without --workers), or a usage error. */
function modelFlags(name: string, workersText: string | undefined): ModelSpec {
  const kind = validateFlag(modelNameSchema, name, '--model');
  if (workersText === undefined) return { kind };
  const workers = validateFlag(workersSchema, workersText, '--workers');
  const ignored = workersIgnoredBy(kind);
  if (ignored !== undefined) warn(`--workers is ignored ${ignored}`);
  return { kind, workers };
}
