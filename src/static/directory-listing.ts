/** One entry of a directory listing. */
export interface ListingEntry {
  /** The file name, as on disk. */
  name: string;
  /** True for directories; their link ends with '/'. */
  isDirectory: boolean;
  /** Size in bytes (shown for files only). */
  size: number;
  /** Last modification. */
  mtime: Date;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text escaped for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** nginx's autoindex pads names to this many columns. */
const NAME_COLUMNS = 50;

/** `01-Dec-2026 21:30` in UTC, as nginx's autoindex (autoindex_localtime off). */
function listingDate(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`
  );
}

/**
 * An HTML directory listing laid out as nginx's autoindex: one line per entry with its name, date (UTC) and
 * size in bytes (`-` for a directory). `displayPath` is the decoded directory path (e.g. `/docs/`), shown as
 * the title; links are relative and percent-encoded (`./name`), so no name can become a scheme or leave the
 * page.
 */
export function renderListing(displayPath: string, entries: readonly ListingEntry[]): string {
  const title = `Index of ${escapeHtml(displayPath)}`;
  const rows = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((entry) => {
      const suffix = entry.isDirectory ? '/' : '';
      const href = `./${encodeURIComponent(entry.name)}${suffix}`;
      const shown = entry.name + suffix;
      const pad = ' '.repeat(Math.max(1, NAME_COLUMNS + 1 - [...shown].length));
      const size = (entry.isDirectory ? '-' : String(entry.size)).padStart(19);
      return `<a href="${escapeHtml(href)}">${escapeHtml(shown)}</a>${pad}${listingDate(entry.mtime)} ${size}`;
    });
  if (displayPath !== '/') rows.unshift('<a href="../">../</a>');
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${title}</title></head>`,
    `<body><h1>${title}</h1><hr><pre>`,
    ...rows,
    '</pre><hr></body></html>',
    '',
  ].join('\n');
}
