#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { keepRoomForExternalMemory } from '../runtime/external-memory-room.js';
import { keepYoungGenerationSmall } from '../runtime/small-young-generation.js';
import { describeFailure } from './failure.js';

const USAGE = `Usage: tandem <command> [options]

Commands:
  serve [APP_DIR]      webframe + httpserver for an app (npm start: the demo site)
  webframe [APP_DIR]   serve an app over the frame protocol
  httpserver           the HTTP front server
  static [DIR]         serve a folder over HTTP (like python -m http.server)
  ftp ls|get|put URL   an FTP client: list, download (resumable), upload
  ftpd [ROOT]          an FTP server for a folder (anonymous read-only by default)

tandem <command> --help shows a command's options; tandem --version the version.`;

/** The version in Tandem's package.json (two folders up from src/cli and from dist/cli). */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** A command's entry point and its --help text. */
interface Command {
  run: (argv: string[]) => Promise<void>;
  usage: string;
}

/** Each command's module is imported only when it runs, so a server does not hold the others (RSS). */
const commands: Record<string, () => Promise<Command>> = {
  async serve() {
    const m = await import('./serve-command.js');
    return { run: m.serveCommand, usage: m.SERVE_USAGE };
  },
  async webframe() {
    keepRoomForExternalMemory();
    const m = await import('./webframe-command.js');
    return { run: m.webframeCommand, usage: m.WEBFRAME_USAGE };
  },
  async httpserver() {
    keepRoomForExternalMemory();
    const m = await import('./httpserver-command.js');
    return { run: m.httpserverCommand, usage: m.HTTPSERVER_USAGE };
  },
  async static() {
    const m = await import('./static-command.js');
    return { run: m.staticCommand, usage: m.STATIC_USAGE };
  },
  async ftp() {
    const m = await import('./ftp-command.js');
    return { run: m.ftpCommand, usage: m.FTP_USAGE };
  },
  async ftpd() {
    // Before the server's modules load: loading them is what first grows the young generation.
    keepYoungGenerationSmall();
    const m = await import('./ftpd-command.js');
    return { run: m.ftpdCommand, usage: m.FTPD_USAGE };
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`tandem ${packageVersion()}\n`);
    return;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (load === undefined) {
    process.stderr.write(`tandem: unknown command "${name}"\n\n${USAGE}\n`);
    process.exit(2);
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return;
  }
  await command.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const failure = describeFailure(err);
  process.stderr.write(`tandem: ${failure.message}\n`);
  process.exit(failure.status);
});
