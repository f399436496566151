/** What one progress-bar frame shows. */
export interface ProgressState {
  /** Bytes done so far, counting any resumed prefix. */
  done: number;
  /** Total bytes, undefined when unknown (then no percentage is shown). */
  total: number | undefined;
  /** Bytes moved in this run (excludes a resumed prefix), for the rate. */
  moved: number;
  /** Milliseconds since this run started. */
  elapsedMs: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count as a short human string: `512 B`, `1.5 KiB`, `12.3 MiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * One frame of the bar, fitted to `width` columns:
 * `name [#########.........]  45%  4.5 MiB / 10.0 MiB  2.1 MiB/s`.
 */
export function renderProgress(label: string, state: ProgressState, width: number): string {
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? `${formatBytes(Math.round(state.moved / seconds))}/s` : '';
  const amount =
    state.total === undefined
      ? formatBytes(state.done)
      : `${formatBytes(state.done)} / ${formatBytes(state.total)}`;
  const fraction =
    state.total === undefined || state.total === 0 ? undefined : Math.min(1, state.done / state.total);
  const percent = fraction === undefined ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%  `;
  const tail = ` ${percent}${amount}  ${rate}`.trimEnd();
  const shownLabel = label.length > 24 ? `…${label.slice(-23)}` : label;
  const barWidth = Math.max(0, Math.min(40, width - shownLabel.length - tail.length - 4));
  if (barWidth < 5 || fraction === undefined) return `${shownLabel}${tail}`.slice(0, Math.max(0, width - 1));
  const filled = Math.round(fraction * barWidth);
  return `${shownLabel} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`;
}

/** A progress bar redrawn in place (carriage return) on a terminal stream. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #label: string;
  readonly #total: number | undefined;
  readonly #offset: number;
  readonly #started = Date.now();
  #drawn = false;

  /** `offset` is the resumed prefix already on disk; `total` the full size when known. */
  constructor(stream: NodeJS.WriteStream, label: string, total: number | undefined, offset = 0) {
    this.#stream = stream;
    this.#label = label;
    this.#total = total;
    this.#offset = offset;
  }

  /** Redraws with `moved` bytes transferred in this run. */
  update(moved: number): void {
    const line = renderProgress(
      this.#label,
      {
        done: this.#offset + moved,
        total: this.#total,
        moved,
        elapsedMs: Date.now() - this.#started,
      },
      // A terminal that reports no size (0 columns, as a fresh pty) gets 80, not an empty bar.
      this.#stream.columns || 80,
    );
    this.#stream.write(`\r${line}\x1b[K`);
    this.#drawn = true;
  }

  /** Clears the bar from the screen (get and put both follow it with a one-line summary). */
  finish(): void {
    if (!this.#drawn) return;
    this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
