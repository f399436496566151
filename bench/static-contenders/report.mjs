// The figures of bench/static-compare.mjs as text: Markdown tables and a hand-made SVG bar chart (one panel
// per file, each with its own unit and scale) for docs/bench-static.svg.
import { fmt, ratio } from '../report.mjs';
import { COMPARED_HEADERS } from './answers.mjs';

/** Bar colours of the static contenders, for barChartSvg. */
export const STATIC_COLORS = {
  'tandem static llhttp': '#2563eb',
  'tandem static node': '#7c3aed',
  'httpserver llhttp': '#0891b2',
  'httpserver node': '#db2777',
  'node:http': '#ea580c',
  nginx: '#6b7280',
  sirv: '#16a34a',
};

/**
 * The figures of one file: `rows` are { name, rps, mibps, p50, p99, cpuUs, rss, errors } medians; there is one
 * ratio column per Tandem contender named in `tandemNames`, its req/s divided by each row's (so "÷ this" above
 * 1× means that engine does better on req/s).
 */
export function figuresTable(rows, tandemNames) {
  const tandems = tandemNames.map((name) => rows.find((r) => r.name === name));
  const lines = [
    `| contender | req/s | MiB/s | ${tandemNames.map((name) => `${name} ÷ this (req/s)`).join(' | ')} | p50 ms | p99 ms | CPU µs/req | RSS MiB | errors |`,
    `|---|---:|---:|${tandemNames.map(() => '---:|').join('')}---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const ratios = tandems.map((t) => (t === r ? '' : ratio(t?.rps, r.rps)));
    lines.push(
      `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.mibps)} | ${ratios.join(' | ')} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuUs, 1)} | ${fmt(r.rss)} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The goals of issue 14 checked for each Tandem contender named in `tandemNames`: the three 4 KiB goals on each
 * scenario of `small` (rows as in figuresTable, by scenario label: `{ 'no Accept-Encoding': rows, … }`), the
 * 1 MiB goal on `large`; each line names the goal, the contender, its ratio and whether it holds.
 */
export function staticGoals(small, large, tandemNames) {
  const by = (rows, name) => rows.find((r) => r.name === name);
  const goals = [];
  for (const [label, rows] of Object.entries(small)) {
    goals.push(
      { text: `4 KiB, ${label}: req/s ≥ 1.0× bare node:http`, rows, ref: 'node:http', key: 'rps', min: 1 },
      { text: `4 KiB, ${label}: req/s ≥ 0.8× nginx`, rows, ref: 'nginx', key: 'rps', min: 0.8 },
      { text: `4 KiB, ${label}: req/s ≥ 5× sirv`, rows, ref: 'sirv', key: 'rps', min: 5 },
    );
  }
  goals.push({ text: '1 MiB: bytes/s ≥ 0.8× nginx', rows: large, ref: 'nginx', key: 'mibps', min: 0.8 });
  const lines = [
    '| goal | contender | figure | reference | ratio | CPU µs/req (reference) | holds |',
    '|---|---|---:|---:|---:|---:|:---:|',
  ];
  for (const g of goals) {
    for (const name of tandemNames) {
      const t = by(g.rows, name);
      const r = by(g.rows, g.ref);
      const value = t?.[g.key] / r?.[g.key];
      const holds = Number.isFinite(value) && value >= g.min;
      const unit = g.key === 'rps' ? 'req/s' : 'MiB/s';
      lines.push(
        `| ${g.text} | ${name} | ${fmt(t?.[g.key])} ${unit} | ${fmt(r?.[g.key])} ${unit} | ${Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'} | ${fmt(t?.cpuUs, 1)} (${fmt(r?.cpuUs, 1)}) | ${holds ? 'yes' : '**no**'} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The compared header fields of each contender for one file, side by side (`–` where a field is absent). */
export function headersTable(headers) {
  const names = Object.keys(headers);
  const cell = (v) => (v === undefined ? '–' : `\`${String(v).replace(/\|/g, '\\|')}\``);
  const lines = [`| field | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`];
  for (const h of COMPARED_HEADERS) {
    if (names.every((n) => headers[n][h] === undefined)) continue;
    lines.push(`| ${h} | ${names.map((n) => cell(headers[n][h])).join(' | ')} |`);
  }
  return lines.join('\n');
}
