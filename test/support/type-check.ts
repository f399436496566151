import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes.js';

const run = promisify(execFile);

/** The repository's own TypeScript compiler. */
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The compilerOptions of the tsconfig.json the README gives an app that has Tandem installed. */
export const README_APP_COMPILER_OPTIONS = Object.freeze({
  module: 'preserve',
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
});

/**
 * Runs the repository's `tsc -p project` in folder `cwd` (so that errors name files relative to it, one per
 * line); whether it passed, and what it printed.
 */
export async function typeCheck(project: string, cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], {
      cwd,
      maxBuffer: 1 << 24,
    });
    return { ok: true, output: stdout };
  } catch (err) {
    return { ok: false, output: String((err as { stdout?: string }).stdout ?? err) };
  }
}
