import { stat } from 'node:fs/promises';
import { register } from 'node:module';
import { basename, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errors } from '../errors/catalogue.js';
import { createLogger, type Logger } from '../log/logger.js';
import { type App, createApp } from './app.js';
import { resolveSettings, type SettingsOverrides } from './settings.js';

/** An app loaded from its folder: the App, and the folder it came from. */
export interface LoadedApp extends App {
  readonly dir: string;
}

/** Options of loadApp: settings that replace the app's own (e.g. from the command line) and a logger. */
export interface LoadAppOptions extends SettingsOverrides {
  /** Where view failures are logged; default a pino logger named `webframe` on stderr. */
  logger?: Logger;
  /** Gets a line for a setting that is set but ignored (`workers` under the event model); default none. */
  warn?: (message: string) => void;
}

/** Module extensions tried for urls and settings, in order; `.ts` files load through tsx with no build step. */
const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/** The app's resolve hooks (src/runtime; `.ts` when Tandem runs from source under tsx). */
const HOOKS = new URL(
  `../runtime/app-module-hooks${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
  import.meta.url,
);

let hooksRegistered = false;
let tsxRegistered: Promise<void> | undefined;

/**
 * Loads the app in folder `dir` (createApp): `urls.ts` (required), `settings.ts` (optional) and the
 * `static/` folder.
 * Throws `APP_LOAD_FAILED` when the folder or a module cannot be loaded, `APP_INVALID` for a bad urls entry and
 * `CONFIG_INVALID` (naming the file and key) for bad settings.
 */
export async function loadApp(dir: string, options: LoadAppOptions = {}): Promise<LoadedApp> {
  const { logger, warn, ...overrides } = options;
  const root = resolve(dir);
  const rootStats = await stat(root).catch(() => undefined);
  if (rootStats === undefined || !rootStats.isDirectory())
    throw errors.APP_LOAD_FAILED(root, 'no such folder');

  const settingsFile = await findModule(root, 'settings');
  let rawSettings: unknown;
  if (settingsFile !== undefined) {
    const module = await importModule(settingsFile, root);
    if (module.default === undefined) {
      throw errors.APP_INVALID(
        settingsFile,
        'must default-export the settings object ({ host, port, static, debug })',
      );
    }
    rawSettings = module.default;
  }
  const settingsName = settingsFile ?? join(root, 'settings.ts');
  const settings = resolveSettings(rawSettings, settingsName, root, overrides, warn);

  const urlsFile = await findModule(root, 'urls');
  if (urlsFile === undefined)
    throw errors.APP_LOAD_FAILED(root, 'it has no urls.ts, urls.mts, urls.js or urls.mjs');
  const urlsModule = await importModule(urlsFile, root);

  // A static folder named in the settings must exist; the default one may be missing (no static files then).
  if (settings.static !== false && (rawSettings as { static?: unknown } | undefined)?.static !== undefined) {
    const staticStats = await stat(settings.static).catch(() => undefined);
    if (staticStats?.isDirectory() !== true) {
      throw errors.APP_INVALID(settingsName, `static folder ${settings.static} does not exist`);
    }
  }

  const app = createApp(urlsModule.default ?? urlsModule.urls, settings, {
    file: urlsFile,
    logger: logger ?? createLogger('webframe'),
  });
  return Object.freeze({ dir: root, ...app });
}

async function findModule(root: string, name: string): Promise<string | undefined> {
  for (const ext of EXTENSIONS) {
    const file = join(root, name + ext);
    const stats = await stat(file).catch(() => undefined);
    if (stats?.isFile() === true) return file;
  }
  return undefined;
}

async function importModule(file: string, root: string): Promise<Record<string, unknown>> {
  try {
    if (!hooksRegistered) {
      // Registered before tsx, so it runs after tsx's resolve and tsx sees each `.ts` file marked an ES module.
      register(HOOKS, import.meta.url);
      hooksRegistered = true;
    }
    if (file.endsWith('ts')) {
      tsxRegistered ??= import('tsx/esm/api').then(({ register }) => {
        register();
      });
      await tsxRegistered;
    }
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const thrower = throwingModule(err, root);
    const where =
      thrower === undefined || thrower.file === file
        ? `${file}: ${message}`
        : `${thrower.file}:${thrower.line}: ${message} (imported by ${basename(file)})`;
    const failure = errors.APP_LOAD_FAILED(root, where);
    failure.cause = err;
    throw failure;
  }
}

/** A stack frame's location: `(/path/x.ts:2:7)`, `file:///path/x.mjs:2:7` or a bare path. */
const FRAME_LOCATION = /((?:file:\/\/)?\/[^\s():]+):(\d+):\d+\)?$/;

/**
 * The module of the app folder `root` whose code threw `err` (its stack's first frame inside the folder), so
 * that an error thrown while urls.ts imports views.ts is reported against views.ts; undefined when no frame
 * of the stack lies in the folder (a syntax error names its file in the message instead).
 */
function throwingModule(err: unknown, root: string): { file: string; line: number } | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (stack === undefined) return undefined;
  for (const frame of stack.split('\n').slice(1)) {
    const match = FRAME_LOCATION.exec(frame.trim());
    if (match === null) continue;
    const file = match[1]!.startsWith('file:') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.startsWith(root + sep) && !file.includes(`${sep}node_modules${sep}`)) {
      return { file, line: Number(match[2]) };
    }
  }
  return undefined;
}
