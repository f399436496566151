/** One entry of a directory listing. */
export interface ListingEntry {
  /** The file name, as on disk. */
  name: string;
  /** True for directories; their link ends with '/'. */
  isDirectory: boolean;
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

/**
 * An HTML directory listing. `displayPath` is the decoded directory path (e.g. `/docs/`), shown as the title;
 * links are relative and percent-encoded (`./name`), so no name can become a scheme or leave the page.
 */
export function renderListing(displayPath: string, entries: readonly ListingEntry[]): string {
  const title = `Index of ${escapeHtml(displayPath)}`;
  const rows = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((entry) => {
      const suffix = entry.isDirectory ? '/' : '';
      const href = `./${encodeURIComponent(entry.name)}${suffix}`;
      return `<li><a href="${escapeHtml(href)}">${escapeHtml(entry.name + suffix)}</a></li>`;
    });
  if (displayPath !== '/') rows.unshift('<li><a href="../">../</a></li>');
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${title}</title></head>`,
    `<body><h1>${title}</h1>`,
    `<ul>${rows.join('\n')}</ul>`,
    '</body></html>',
    '',
  ].join('\n');
}
