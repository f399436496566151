/**
 * Module resolve hooks that the app loader registers (node:module register) before tsx's, so that tsx sees
 * what they resolve: an app's TypeScript files are ES modules whatever package.json says or lacks, and
 * Tandem's public entry points resolve for an app that has not installed Tandem itself.
 */
import type { ResolveHook } from 'node:module';

/** `.js` in dist/, `.ts` when Tandem runs from source under tsx. */
const OWN_EXTENSION = import.meta.url.slice(import.meta.url.lastIndexOf('.'));

/** Tandem's public entry points (package.json `exports`), as modules of this installation. */
const PUBLIC_ENTRIES: Readonly<Record<string, string>> = {
  'tandem/webframe': new URL(`../webframe/index${OWN_EXTENSION}`, import.meta.url).href,
};

/** A `.ts` or `.tsx` file outside node_modules: an app's source, written as an ES module. */
const APP_SOURCE = /^file:(?![^?]*\/node_modules\/)[^?]*\.tsx?(?:\?.*)?$/;

/**
 * Resolves as Node does, with two exceptions. `tandem/webframe` that the app cannot resolve (it has no
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
