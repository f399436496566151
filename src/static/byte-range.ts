/** A range of bytes [start, end] of a representation, both inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The meaning of a Range header for a representation of a given size (RFC 9110 §14.1-14.2):
 * `none` (absent, another unit, or a syntax the server ignores), `multiple` (several range-specs; `ranges`
 * holds the satisfiable ones in request order, at least one), `unsatisfiable` (416), or one `range` of bytes
 * [start, end], both inclusive.
 */
export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'multiple'; ranges: ByteRange[] }
  | { kind: 'unsatisfiable' }
  | { kind: 'range'; start: number; end: number };

/** The most ranges one request may ask for before the whole representation is sent instead (like nginx). */
export const DEFAULT_MAX_RANGES = 16;

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
  if (ranges.length === 1) return satisfiable[0]!;
  return { kind: 'multiple', ranges: satisfiable.map(({ start, end }) => ({ start, end })) };
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

/**
 * The parts to send for several satisfiable ranges of a representation of `size` bytes, or null to send the
 * whole representation with 200 instead. Against range amplification (CVE-2011-3192), more than `maxRanges`
 * ranges, or ranges whose lengths add up to more than the size, get null. Ranges that overlap or touch are
 * coalesced (RFC 9110 §15.3.7.2 allows it whatever their order); the parts keep the order of their first
 * range in the request, as §15.3.7.2 asks.
 */
export function planRanges(
  ranges: readonly ByteRange[],
  size: number,
  maxRanges = DEFAULT_MAX_RANGES,
): ByteRange[] | null {
  if (ranges.length > maxRanges) return null;
  const total = ranges.reduce((sum, range) => sum + (range.end - range.start + 1), 0);
  if (total > size) return null;
  const sorted = ranges
    .map((range, order) => ({ start: range.start, end: range.end, order }))
    .sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number; order: number }> = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.start <= last.end + 1) {
      last.end = Math.max(last.end, range.end);
      last.order = Math.min(last.order, range.order);
    } else {
      merged.push({ ...range });
    }
  }
  return merged.sort((a, b) => a.order - b.order).map(({ start, end }) => ({ start, end }));
}
