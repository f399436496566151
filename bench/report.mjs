// The figures of bench/compare.mjs as text: Markdown tables for the console and docs/bench.md, and a hand-made
// SVG bar chart (one panel per scenario, each on its own scale) for docs/bench.svg.

/** Bar colours of the Tandem contenders (one per HTTP engine), shared by every bench's chart. */
export const TANDEM_COLORS = { 'tandem llhttp': '#2563eb', 'tandem node': '#7c3aed' };

const COLORS = {
  Tandem: '#2563eb', // bench:ftp's tandem ftpd
  ...TANDEM_COLORS,
  'nginx→node:http': '#6b7280',
  Fastify: '#16a34a',
  'node:http': '#ea580c',
};

/** A number with thousands separators and `digits` decimals. */
export function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `value / reference` as `1.23×`, or `–` when either is missing. */
export function ratio(value, reference) {
  return Number.isFinite(value) && Number.isFinite(reference) && reference > 0
    ? `${(value / reference).toFixed(2)}×`
    : '–';
}

/**
 * The throughput table of one scenario: `rows` are { name, rps, p50, p99, cpuUs, rss } medians and `errors` (text:
 * the errors of all rounds by kind); ratios are taken against the row named `reference`.
 */
export function throughputTable(rows, reference) {
  const ref = rows.find((r) => r.name === reference);
  const lines = [
    '| contender | req/s | vs ref | p50 ms | p99 ms | vs ref | CPU µs/req | vs ref | RSS MiB | vs ref | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const name = r.name === reference ? `${r.name} (ref)` : r.name;
    lines.push(
      `| ${name} | ${fmt(r.rps)} | ${ratio(r.rps, ref?.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${ratio(r.p99, ref?.p99)} | ${fmt(r.cpuUs, 1)} | ${ratio(r.cpuUs, ref?.cpuUs)} | ${fmt(r.rss)} | ${ratio(r.rss, ref?.rss)} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The idle-connections table: `rows` are { name, held, frontBefore, frontAfter, totalBefore, totalAfter }
 * medians in MiB; KiB per connection is the growth divided by the connections held.
 */
export function memoryTable(rows, reference, frontNames) {
  const perConn = (before, after, held) => (held > 0 ? ((after - before) * 1024) / held : Number.NaN);
  const ref = rows.find((r) => r.name === reference);
  const refTotal = ref ? perConn(ref.totalBefore, ref.totalAfter, ref.held) : Number.NaN;
  const lines = [
    '| contender | held | front process | front RSS before → after MiB | front KiB/conn | all processes RSS before → after MiB | all KiB/conn | vs ref |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const total = perConn(r.totalBefore, r.totalAfter, r.held);
    const name = r.name === reference ? `${r.name} (ref)` : r.name;
    lines.push(
      `| ${name} | ${fmt(r.held)} | ${frontNames[r.name] ?? ''} | ${fmt(r.frontBefore)} → ${fmt(r.frontAfter)} | ${fmt(perConn(r.frontBefore, r.frontAfter, r.held), 1)} | ${fmt(r.totalBefore)} → ${fmt(r.totalAfter)} | ${fmt(total, 1)} | ${ratio(total, refTotal)} |`,
    );
  }
  return lines.join('\n');
}

/** The errors of wrk (or h2load) runs summed by kind, e.g. `0` or `79 timeout, 2 non-2xx`. */
export function errorText(runs) {
  const kinds = { 'non-2xx': 0, connect: 0, read: 0, write: 0, timeout: 0 };
  for (const r of runs) {
    kinds['non-2xx'] += r.errors;
    for (const [kind, n] of Object.entries(r.socket)) kinds[kind] = (kinds[kind] ?? 0) + n;
  }
  const parts = Object.entries(kinds)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${fmt(n)} ${kind}`);
  return parts.length > 0 ? parts.join(', ') : '0';
}

/**
 * The goals checked against this run for each contender named in `tandemNames` (Tandem on each HTTP
 * engine): `throughput` is [{ scenario: { id }, rows }] as in the tables, `memoryRows` the idle-connection
 * medians. Each line says the goal, the contender, its figure and whether it holds.
 */
export function goalsTable(throughput, memoryRows, reference, tandemNames) {
  const lines = ['| goal | contender | this run | holds |', '|---|---|---|:---:|'];
  const rowsOf = (id) => throughput.find((t) => t.scenario.id === id)?.rows ?? [];
  const mark = (ok) => (ok ? 'yes' : '**no**');
  const each = (goal, rows, line) => {
    for (const name of tandemNames) {
      const row = rows.find((r) => r.name === name);
      if (row === undefined) continue;
      const [figure, ok] = line(row);
      lines.push(`| ${goal} | ${name} | ${figure} | ${mark(ok)} |`);
    }
  };
  // Issue 14's goals: req/s against the reference in every throughput scenario, and in (a) against node:http
  // alone and p99 against the reference.
  const minimum = { a: 1.5, b: 1.3, c: 1.0, d: 1.3 };
  for (const [id, min] of Object.entries(minimum)) {
    const rows = rowsOf(id);
    const ref = rows.find((r) => r.name === reference);
    if (!ref) continue;
    each(`(${id}) req/s ≥ ${min.toFixed(1)}× nginx→node:http`, rows, (t) => [
      `${(t.rps / ref.rps).toFixed(2)}×`,
      t.rps / ref.rps >= min,
    ]);
    if (id !== 'a') continue;
    const node = rows.find((r) => r.name === 'node:http');
    if (node) {
      each('(a) req/s ≥ 1.0× node:http alone', rows, (t) => [
        `${(t.rps / node.rps).toFixed(2)}×`,
        t.rps / node.rps >= 1,
      ]);
    }
    each('(a) p99 no worse than nginx→node:http', rows, (t) => [
      `${fmt(t.p99, 2)} vs ${fmt(ref.p99, 2)} ms`,
      t.p99 <= ref.p99,
    ]);
  }
  // Issue 15's goals, over TLS: req/s against nginx → node:http terminating TLS itself.
  const tlsGoals = {
    f: [1.2, '(f) HTTPS HTTP/1.1 req/s'],
    g: [1.0, '(g) HTTP/2 req/s'],
    h: [0.7, '(h) handshakes/s'],
  };
  for (const [id, [min, what]] of Object.entries(tlsGoals)) {
    const rows = rowsOf(id);
    const ref = rows.find((r) => r.name === reference);
    if (!ref) continue;
    each(`${what} ≥ ${min.toFixed(1)}× nginx→node:http`, rows, (t) => [
      `${(t.rps / ref.rps).toFixed(2)}×`,
      t.rps / ref.rps >= min,
    ]);
  }
  const held = memoryRows.filter((r) => r.held > 0);
  each('(e) httpserver ≤ 4 KiB RSS per idle connection', held, (idle) => {
    const kib = ((idle.frontAfter - idle.frontBefore) * 1024) / idle.held;
    return [`${fmt(kib, 1)} KiB`, kib <= 4];
  });
  return lines.join('\n');
}

const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart: `panels` are { title, rows, key?, unit? }, each bar `row[key]` (default `rps`) on the
 * panel's own scale, labelled with its value and `unit` (default `req/s`); `caption` is printed under the
 * title; `colors` maps contender names to bar colours.
 */
export function barChartSvg(panels, { title, caption, colors = COLORS }) {
  const width = 860;
  const labelWidth = 170;
  const barMax = 540;
  const barHeight = 18;
  const gap = 6;
  const panelHead = 26;
  let y = 58;
  const parts = [];
  for (const panel of panels) {
    parts.push(
      `<text x="16" y="${y + 16}" font-size="15" font-weight="600">${escapeXml(panel.title)}</text>`,
    );
    y += panelHead;
    const key = panel.key ?? 'rps';
    const unit = panel.unit ?? 'req/s';
    const max = Math.max(...panel.rows.map((r) => r[key] || 0), 1);
    for (const r of panel.rows) {
      const value = r[key] || 0;
      const w = Math.max(1, Math.round((barMax * value) / max));
      const color = colors[r.name] ?? '#444';
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" font-size="13" text-anchor="end">${escapeXml(r.name)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" rx="2" fill="${color}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + barHeight - 4}" font-size="13">${fmt(value)} ${escapeXml(unit)}</text>`,
      );
      y += barHeight + gap;
    }
    y += 12;
  }
  const height = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" fill="#111">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="26" font-size="18" font-weight="700">${escapeXml(title)}</text>`,
    `<text x="16" y="46" font-size="12" fill="#555">${escapeXml(caption)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
