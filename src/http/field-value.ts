import type { HeaderMap } from './handler.js';

/**
 * A request field's combined value, undefined when absent: a repeated field's values joined with ", " as
 * RFC 9110 §5.3 says a recipient may.
 */
export function fieldValue(headers: Readonly<HeaderMap>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
