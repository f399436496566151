#!/usr/bin/env node
import { TandemError } from '../errors/catalogue.js';
import { FTP_USAGE, ftpCommand } from './ftp-command.js';
import { FTPD_USAGE, ftpdCommand } from './ftpd-command.js';
import { HTTPSERVER_USAGE, httpserverCommand } from './httpserver-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';
import { STATIC_USAGE, staticCommand } from './static-command.js';
import { WEBFRAME_USAGE, webframeCommand } from './webframe-command.js';

const USAGE = `Usage: tandem <command> [options]

Commands:
  serve [APP_DIR]      webframe + httpserver for an app (npm start: the demo site)
  webframe [APP_DIR]   serve an app over the frame protocol
  httpserver           the HTTP front server
  static [DIR]         serve a folder over HTTP (like python -m http.server)
  ftp ls|get|put URL   an FTP client: list, download (resumable), upload
  ftpd [ROOT]          an FTP server for a folder (anonymous read-only by default)

tandem <command> --help shows a command's options.`;

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  serve: { run: serveCommand, usage: SERVE_USAGE },
  webframe: { run: webframeCommand, usage: WEBFRAME_USAGE },
  httpserver: { run: httpserverCommand, usage: HTTPSERVER_USAGE },
  static: { run: staticCommand, usage: STATIC_USAGE },
  ftp: { run: ftpCommand, usage: FTP_USAGE },
  ftpd: { run: ftpdCommand, usage: FTPD_USAGE },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`tandem: unknown command "${name}"\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return;
  }
  await command.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof TandemError) {
    process.stderr.write(`tandem: ${err.message}\n`);
    process.exit(err.code === 'CLI_USAGE' ? 2 : 1);
  }
  const error = err as NodeJS.ErrnoException;
  if (
    error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
    error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
  ) {
    process.stderr.write(`tandem: ${error.message}\n`);
    process.exit(2);
  }
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    process.stderr.write(`tandem: cannot listen: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`tandem: ${error.stack ?? String(err)}\n`);
  process.exit(1);
});
