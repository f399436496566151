import { fileURLToPath } from 'node:url';

/**
 * The path of a module that sits next to `base` (an `import.meta.url`), as a handler module or worker entry:
 * `.ts` when running from source under tsx, `.js` when running from dist/.
 */
export function siblingModule(base: string, name: string): string {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, base));
}

/**
 * The entry of a worker thread whose module `name` sits next to `base` (an `import.meta.url`): the compiled
 * `.js`, or under tsx (running from source) a tiny bootstrap that registers tsx in the new thread first,
 * since on Node 20 a worker does not get tsx's loader from `--import tsx` in its execArgv.
 */
export function workerEntry(base: string, name: string): URL {
  if (!base.endsWith('.ts')) return new URL(`./${name}.js`, base);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, base).href;
  const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
