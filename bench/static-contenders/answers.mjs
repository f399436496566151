// The check bench/static-compare.mjs runs before measuring: every contender answers each file with 200 and
// the very same body bytes, and the header fields that matter for a static file are listed side by side.
import http from 'node:http';

/** The header fields compared across contenders (lower-case), in the order the report shows them. */
export const COMPARED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-length',
  'etag',
  'last-modified',
  'accept-ranges',
  'x-content-type-options',
  'vary',
  'cache-control',
  'connection',
  'keep-alive',
  'server',
];

/** GET `url` with `headers` (none but User-Agent by default); resolves with { status, headers, body }. */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const options = { headers: { 'user-agent': 'bench-static', ...headers }, agent: false };
    const req = http.get(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Fetches `path` from every stack, sending the header fields `requestFor(stack)` gives, and compares with
 * `expected` (the bytes that should come: the file's, or its precompressed sibling's when `encoding` names its
 * coding): resolves with { problems, headers } where `problems` lists what is wrong (status not 200, other
 * bytes, another Content-Encoding, no Content-Length, no ETag or Last-Modified) and `headers` maps each stack
 * name to its COMPARED_HEADERS values. With `status: 304` the answer must be a 304 without a body.
 */
export async function checkAnswers(
  stacks,
  path,
  expected,
  { requestFor = () => ({}), encoding, status = 200 },
) {
  const problems = [];
  const headers = {};
  for (const s of stacks) {
    const r = await get(`${s.url}${path}`, requestFor(s));
    headers[s.name] = Object.fromEntries(COMPARED_HEADERS.map((h) => [h, r.headers[h]]));
    if (r.status !== status) problems.push(`${s.name} ${path}: status ${r.status}`);
    if (status === 304) {
      // Its fields are listed, not required: sirv's 304 carries no validator.
      if (r.body.length > 0) problems.push(`${s.name} ${path}: a 304 with ${r.body.length} body bytes`);
      continue;
    }
    if (r.headers.etag === undefined && r.headers['last-modified'] === undefined)
      problems.push(`${s.name} ${path}: neither ETag nor Last-Modified`);
    if (r.headers['content-encoding'] !== encoding)
      problems.push(`${s.name} ${path}: content-encoding ${r.headers['content-encoding']}`);
    if (!r.body.equals(expected))
      problems.push(`${s.name} ${path}: ${r.body.length} body bytes differ from the file`);
    if (r.headers['content-length'] !== String(expected.length))
      problems.push(`${s.name} ${path}: content-length ${r.headers['content-length']}`);
  }
  return { problems, headers };
}
