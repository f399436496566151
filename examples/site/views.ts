import { createHash } from 'node:crypto';
import type { WebframeRequest } from 'tandem/webframe';

/** The seed's datetime view: the server's current date and time as a small HTML page. */
export function datetime(): string {
  const now = new Date();
  return `<!doctype html><title>Date and time</title><p>It is <time datetime="${now.toISOString()}">${now.toUTCString()}</time>.</p>`;
}

/** The seed's hi view. */
export function hi(): string {
  return 'hi';
}

/** Greets the `:name` of `/api/hello/:name` as JSON (its params typed from that pattern). */
export function hello(req: WebframeRequest<'/api/hello/:name'>): { hello: string } {
  return { hello: req.params.name };
}

/** Answers the index page's form (urlencoded or multipart) with a page listing every submitted field. */
export async function form(req: WebframeRequest): Promise<string> {
  const data = await req.form();
  const rows: string[] = [];
  data.forEach((value, key) => {
    const shown = typeof value === 'string' ? value : `file ${value.name} (${value.size} bytes)`;
    rows.push(`<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(shown)}</dd>`);
  });
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Form received</title><link rel="stylesheet" href="/style.css"></head>
<body>
<main>
<h1>Form received</h1>
<dl id="fields">${rows.join('')}</dl>
<p><a href="/">Back</a></p>
</main>
</body>
</html>`;
}

/** Hashes the request body with SHA-256 as it streams in, never holding it whole; answers its size and digest. */
export async function upload(req: WebframeRequest): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of req.body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
