// The figures of bench/static-compare.mjs as text: Markdown tables and a hand-made SVG bar chart (one panel
// per file, each with its own unit and scale) for docs/bench-static.svg.
import { fmt, ratio } from '../report.mjs';
import { COMPARED_HEADERS } from './answers.mjs';

/** Bar colours of the static contenders, for barChartSvg. */
export const STATIC_COLORS = { Tandem: '#2563eb', 'node:http': '#ea580c', nginx: '#6b7280', sirv: '#16a34a' };

/**
 * The figures of one file: `rows` are { name, rps, mibps, p50, p99, cpuUs, rss, errors } medians; the ratio
 * columns divide Tandem's figure by each row's (so "Tandem ÷" above 1× means Tandem does better on req/s).
 */
export function figuresTable(rows) {
  const tandem = rows.find((r) => r.name === 'Tandem');
  const lines = [
    '| contender | req/s | MiB/s | Tandem ÷ this (req/s) | p50 ms | p99 ms | CPU µs/req | RSS MiB | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.mibps)} | ${r.name === 'Tandem' ? '' : ratio(tandem?.rps, r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuUs, 1)} | ${fmt(r.rss)} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The goals of issue 5 checked against `small` and `large` (rows as in figuresTable): each line names the
 * goal, Tandem's ratio and whether it holds.
 */
export function staticGoals(small, large) {
  const by = (rows, name) => rows.find((r) => r.name === name);
  const goals = [
    { text: '4 KiB: req/s ≥ 0.9× bare node:http', rows: small, ref: 'node:http', key: 'rps', min: 0.9 },
    { text: '4 KiB: req/s ≥ 0.7× nginx', rows: small, ref: 'nginx', key: 'rps', min: 0.7 },
    { text: '4 KiB: req/s ≥ 5× sirv', rows: small, ref: 'sirv', key: 'rps', min: 5 },
    { text: '1 MiB: bytes/s ≥ 0.9× nginx', rows: large, ref: 'nginx', key: 'mibps', min: 0.9 },
  ];
  const lines = ['| goal | Tandem | reference | ratio | holds |', '|---|---:|---:|---:|:---:|'];
  const results = [];
  for (const g of goals) {
    const t = by(g.rows, 'Tandem')?.[g.key];
    const r = by(g.rows, g.ref)?.[g.key];
    const value = t / r;
    const holds = Number.isFinite(value) && value >= g.min;
    results.push({ ...g, value, holds });
    const unit = g.key === 'rps' ? 'req/s' : 'MiB/s';
    lines.push(
      `| ${g.text} | ${fmt(t)} ${unit} | ${fmt(r)} ${unit} | ${Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'} | ${holds ? 'yes' : '**no**'} |`,
    );
  }
  return { table: lines.join('\n'), results };
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
