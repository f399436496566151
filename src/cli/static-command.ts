import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { errors } from '../errors/catalogue.js';
import { MODEL_NAMES } from '../net/models.js';
import { NetServer } from '../net/net-server.js';
import type { ModelSpec } from '../net/types.js';
import { parseCount, parseModel, parsePort } from './parse-flags.js';
import { announceListening, stopOnSignal } from './signals.js';

/** Help text of `tandem static`. */
export const STATIC_USAGE = `Usage: tandem static [DIR] [--host H] [--port P] [--model M] [--workers N]

Serves the files under DIR (default: the current directory) over HTTP/1.1, with a listing for
directories that have no index.html: Tandem's \`python -m http.server\`. One access line per
request on stdout.

  --host H      address to listen on (default 127.0.0.1)
  --port P      port, 0 for any free one (default 8000)
  --model M     concurrency model: ${MODEL_NAMES.join(', ')} (default event)
  --workers N   workers for prefork and thread, most children at once for fork`;

/** `tandem static`: serves a directory, as `python -m http.server` does. */
export async function staticCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
      model: { type: 'string', default: 'event' },
      workers: { type: 'string' },
    },
  });
  if (positionals.length > 1) {
    throw errors.CLI_USAGE(
      `static: expected at most one DIR, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const dir = positionals[0] ?? '.';
  const root = resolve(dir);
  checkDirectory(dir, root);
  const host = values.host;
  if (host === '') throw errors.CLI_USAGE('--host: expected an address, got ""');
  const port = parsePort(values.port, '--port');
  const model = modelSpec(values.model, values.workers);

  const server = new NetServer({
    transport: { kind: 'tcp', host, port },
    model,
    handler: {
      module: staticSiteModule(),
      options: { root, listing: true, keepAlive: model.kind !== 'loop' },
    },
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

/** The model spec the flags ask for, or a usage error naming the flag. */
function modelSpec(name: string, workersText: string | undefined): ModelSpec {
  const kind = parseModel(name);
  if (workersText === undefined) return { kind } as ModelSpec;
  const workers = parseCount(workersText, '--workers');
  switch (kind) {
    case 'prefork':
    case 'thread':
      return { kind, workers };
    case 'fork':
      return { kind, maxChildren: workers };
    default:
      throw errors.CLI_USAGE(`--workers: the ${kind} model has no workers; use prefork, thread or fork`);
  }
}

function checkDirectory(dir: string, root: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch (err) {
    throw errors.STATIC_ROOT_INVALID(dir, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  if (!isDirectory) throw errors.STATIC_ROOT_INVALID(dir, 'not a directory');
}

/** The static-site handler module next to this one: `.ts` run from source (tsx), else the built `.js`. */
function staticSiteModule(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../httpserver/static-site${extension}`, import.meta.url));
}
