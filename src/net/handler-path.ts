import { fileURLToPath } from 'node:url';

/**
 * The path of a module that sits next to `base` (an `import.meta.url`), as a handler module or worker entry:
 * `.ts` when running from source under tsx, `.js` when running from dist/.
 */
export function siblingModule(base: string, name: string): string {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, base));
}
