// Checks that every contender of bench/compare.mjs answers the same: status, body bytes, and header names and
// values (names compared case-insensitively, as HTTP does; Date left out since it changes every second).
import http from 'node:http';

/** The requests compared: the three routes of the benchmark; the POST sends `uploadBytes` bytes. */
export function probes(uploadBytes) {
  return [
    { method: 'GET', path: '/hello' },
    { method: 'GET', path: '/json' },
    { method: 'POST', path: '/upload', body: Buffer.alloc(uploadBytes, 'x') },
  ];
}

/** Sends one request on a keep-alive connection and resolves with { status, headers: "name: value" lines sorted, body: Buffer }. */
export function fetchRaw(url, { method, path, body }) {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {};
    const req = http.request(`${url}${path}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const lines = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i].toLowerCase();
          if (name !== 'date') lines.push(`${name}: ${res.rawHeaders[i + 1]}`);
        }
        agent.destroy();
        resolve({ status: res.statusCode, headers: lines.sort(), body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Compares each stack's answers with the reference stack's. Resolves with the list of differences (empty when
 * all answer the same) and the reference's answers.
 */
export async function compareAnswers(stacks, reference, uploadBytes) {
  const differences = [];
  const answers = {};
  const ref = stacks.find((s) => s.name === reference);
  for (const probe of probes(uploadBytes)) {
    const expected = await fetchRaw(ref.url, probe);
    answers[`${probe.method} ${probe.path}`] = expected;
    for (const s of stacks) {
      if (s === ref) continue;
      const got = await fetchRaw(s.url, probe);
      const where = `${s.name} ${probe.method} ${probe.path}`;
      if (got.status !== expected.status)
        differences.push(`${where}: status ${got.status} ≠ ${expected.status}`);
      if (!got.body.equals(expected.body))
        differences.push(`${where}: body differs (${got.body.length} bytes)`);
      const want = expected.headers.join('\n');
      if (got.headers.join('\n') !== want)
        differences.push(
          `${where}: headers\n  ${got.headers.join('\n  ')}\n  ≠ reference\n  ${expected.headers.join('\n  ')}`,
        );
    }
  }
  return { differences, answers };
}
