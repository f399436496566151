/**
 * Module resolve hooks that the app loader registers (node:module register) before tsx's, so that tsx sees
 * what they resolve: an app's TypeScript files are ES modules whatever package.json says or lacks, and
 * Tandem's public entry points (`tandem/webframe`, `tandem/http`, …) resolve for an app that has not
 * installed Tandem itself.
 */
import { readFileSync } from 'node:fs';
import type { ResolveHook } from 'node:module';

/** `.js` in dist/, `.ts` when Tandem runs from source under tsx. */
const OWN_EXTENSION = import.meta.url.slice(import.meta.url.lastIndexOf('.'));

/** Tandem's package.json, two folders up from src/runtime/ or dist/runtime/. */
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/**
 * Tandem's public entry points, the keys of package.json `exports` (`./webframe` is `tandem/webframe`), each
 * the `index` module of that layer's folder.
 */
const PUBLIC_ENTRIES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys((JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { exports: object }).exports).map((key) => {
    const layer = key.slice('./'.length);
    return [`tandem/${layer}`, new URL(`../${layer}/index${OWN_EXTENSION}`, import.meta.url).href];
  }),
);

/** A `.ts` or `.tsx` file outside node_modules: an app's source, written as an ES module. */
const APP_SOURCE = /^file:(?![^?]*\/node_modules\/)[^?]*\.tsx?(?:\?.*)?$/;

/**
 * Resolves as Node does, with two exceptions. A `tandem/…` entry point that the app cannot resolve (it has no
 * node_modules/tandem) resolves to this installation. An app's `.ts` file gets format `module`: without a
 * package.json `"type": "module"` tsx would load it as CommonJS, which fails on its first `import`
 * (Node 20 and 22 refuse to require() an ES module in a cycle).
 */
export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  let resolved: Awaited<ReturnType<typeof nextResolve>>;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (err) {
    const entry = PUBLIC_ENTRIES[specifier];
    if (entry === undefined || (err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    resolved = await nextResolve(entry, context);
  }
  return APP_SOURCE.test(resolved.url) ? { ...resolved, format: 'module' } : resolved;
};
