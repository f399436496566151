/**
 * The meaning of a Range header for a representation of a given size (RFC 9110 §14.1-14.2):
 * `none` (absent, another unit, or a syntax the server ignores), `multiple` (several ranges),
 * `unsatisfiable` (416), or one `range` of bytes [start, end], both inclusive.
 */
export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'multiple' }
  | { kind: 'unsatisfiable' }
  | { kind: 'range'; start: number; end: number };

const NONE: RangeRequest = { kind: 'none' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };

/**
 * Parses a Range header value against a representation of `size` bytes. An invalid range-spec anywhere makes
 * the whole header ignored; a set whose every range is unsatisfiable is `unsatisfiable`.
 */
export function parseRange(value: string | undefined, size: number): RangeRequest {
  if (value === undefined) return NONE;
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(value);
  if (!match) return NONE;
  const specs = match[1]!
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  const ranges = specs.map((spec) => parseRangeSpec(spec, size));
  if (ranges.length === 0 || ranges.some((range) => range.kind === 'none')) return NONE;
  const satisfiable = ranges.filter((range) => range.kind === 'range');
  if (satisfiable.length === 0) return UNSATISFIABLE;
  return ranges.length === 1 ? satisfiable[0]! : { kind: 'multiple' };
}

/** One byte-range-spec (`first-last`, `first-`, `-suffix`): a range, unsatisfiable, or none when invalid. */
function parseRangeSpec(text: string, size: number): RangeRequest {
  const spec = /^(\d*)-(\d*)$/.exec(text);
  if (!spec) return NONE;
  const [, first = '', last = ''] = spec;
  if (first === '') {
    if (last === '') return NONE;
    // §14.1.1: a suffix-range of non-zero length is satisfiable; an empty file has no byte to send, so 200.
    const length = Number(last);
    if (length === 0) return UNSATISFIABLE;
    if (size === 0) return NONE;
    return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return NONE;
  if (start >= size) return UNSATISFIABLE;
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'range', start, end };
}
