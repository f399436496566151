import { errors } from '../errors/catalogue.js';
import {
  downloadDestination,
  formatEntry,
  ftpGet,
  ftpList,
  ftpPut,
  parseFtpUrl,
  uploadPath,
} from '../ftp/ftp-client.js';
import { ProgressBar } from '../ftp/progress-bar.js';
import { parseCommandLine } from './parse-flags.js';

/** Help text of `tandem ftp`. */
export const FTP_USAGE = `Usage: tandem ftp ls URL
       tandem ftp get URL [DEST] [--overwrite]
       tandem ftp put FILE URL

An FTP client. URL is ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH (percent-encoded; port 21 by default;
PATH is absolute on the server). Without USER it logs in as anonymous; a USER without a PASSWORD in the
URL takes it from the TANDEM_FTP_PASSWORD environment variable.

  ls URL           one line per entry: type (d - l), size, date (UTC), name
  get URL [DEST]   download to DEST (default: the file's name in the current directory; a directory
                   DEST gets the file's name inside it). A shorter DEST is resumed (REST); one that
                   already has the remote size is left alone.
  put FILE URL     upload FILE; a URL ending in / keeps FILE's name

  --overwrite      get: download from the start even if DEST exists

A progress bar is shown when stdout is a terminal. Errors print one line and exit with status 1.`;

/** `tandem ftp ls|get|put`: the FTP client. */
export async function ftpCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(
    'ftp',
    argv,
    { overwrite: { type: 'boolean', default: false } },
    'any',
  );
  const [verb, ...args] = positionals;
  switch (verb) {
    case 'ls':
      expectArgs('ls URL', args, 1, 1);
      return list(args[0]!);
    case 'get':
      expectArgs('get URL [DEST]', args, 1, 2);
      return get(args[0]!, args[1], values.overwrite);
    case 'put':
      expectArgs('put FILE URL', args, 2, 2);
      return put(args[0]!, args[1]!);
    default:
      throw errors.CLI_USAGE(
        verb === undefined
          ? 'ftp: expected ls, get or put'
          : `ftp: unknown subcommand ${JSON.stringify(verb)}; expected ls, get or put`,
      );
  }
}

/** Checks the count of a subcommand's arguments; the message names what is missing or extra. */
function expectArgs(form: string, args: string[], min: number, max: number): void {
  const names = form.replace(/[[\]]/g, '').split(' ').slice(1);
  if (args.length < min) {
    throw errors.CLI_USAGE(
      `ftp ${form}: missing ${names.slice(args.length, min).join(' and ')}; tandem ftp --help shows the usage`,
    );
  }
  if (args.length > max) {
    throw errors.CLI_USAGE(
      `ftp ${form}: unexpected argument ${JSON.stringify(args[max])}; tandem ftp --help shows the usage`,
    );
  }
}

async function list(url: string): Promise<void> {
  const entries = await ftpList(parseFtpUrl(url));
  const width = Math.max(0, ...entries.map((entry) => String(entry.size).length));
  for (const entry of entries) process.stdout.write(`${formatEntry(entry, width)}\n`);
}

/** A bar on stdout when it is a terminal, else nothing. */
function progressFor(label: string, total: number | undefined, offset = 0): ProgressBar | undefined {
  return process.stdout.isTTY ? new ProgressBar(process.stdout, label, total, offset) : undefined;
}

async function get(url: string, destArg: string | undefined, overwrite: boolean): Promise<void> {
  const target = parseFtpUrl(url);
  const dest = await downloadDestination(target.path, destArg, process.cwd());
  let bar: ProgressBar | undefined;
  const result = await ftpGet(target, dest, {
    overwrite,
    onStart: (plan, size) => {
      if (plan.kind === 'complete') return;
      const offset = plan.kind === 'resume' ? plan.startAt : 0;
      if (plan.kind === 'resume') {
        process.stdout.write(
          `resuming ${dest} at byte ${offset}${size === undefined ? '' : ` of ${size}`}\n`,
        );
      }
      bar = progressFor(dest, size, offset);
    },
    onProgress: (bytes) => bar?.update(bytes),
  });
  bar?.finish();
  if (result.plan.kind === 'complete') {
    process.stdout.write(`${dest} is already complete (${result.remoteSize} bytes); nothing to do\n`);
    return;
  }
  process.stdout.write(`saved ${dest} (${result.received} bytes received)\n`);
}

async function put(file: string, url: string): Promise<void> {
  const parsed = parseFtpUrl(url);
  const target = { ...parsed, path: uploadPath(file, parsed.path) };
  let bar: ProgressBar | undefined;
  const sent = await ftpPut(file, target, {
    onStart: (size) => {
      bar = progressFor(file, size);
    },
    onProgress: (bytes) => bar?.update(bytes),
  });
  bar?.finish();
  process.stdout.write(`stored ${target.path} (${sent} bytes sent)\n`);
}
