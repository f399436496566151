// The figures of bench/static-compare.mjs as text: Markdown tables and a hand-made SVG bar chart (one panel
// per file, each with its own unit and scale) for docs/bench-static.svg.
import { fmt, ratio, TANDEM_COLORS } from '../report.mjs';
import { COMPARED_HEADERS } from './answers.mjs';

/** Bar colours of the static contenders, for barChartSvg. */
export const STATIC_COLORS = { ...TANDEM_COLORS, 'node:http': '#ea580c', nginx: '#6b7280', sirv: '#16a34a' };

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
 * The goals of issue 14 checked against `small` and `large` (rows as in figuresTable) for each Tandem contender
 * named in `tandemNames`: each line names the goal, the contender, its ratio and whether it holds.
 */
export function staticGoals(small, large, tandemNames) {
  const by = (rows, name) => rows.find((r) => r.name === name);
  const goals = [
    { text: '4 KiB: req/s ≥ 1.0× bare node:http', rows: small, ref: 'node:http', key: 'rps', min: 1 },
    { text: '4 KiB: req/s ≥ 0.8× nginx', rows: small, ref: 'nginx', key: 'rps', min: 0.8 },
    { text: '4 KiB: req/s ≥ 5× sirv', rows: small, ref: 'sirv', key: 'rps', min: 5 },
    { text: '1 MiB: bytes/s ≥ 0.8× nginx', rows: large, ref: 'nginx', key: 'mibps', min: 0.8 },
  ];
  const lines = [
    '| goal | contender | figure | reference | ratio | holds |',
    '|---|---|---:|---:|---:|:---:|',
  ];
  for (const g of goals) {
    for (const name of tandemNames) {
      const t = by(g.rows, name)?.[g.key];
      const r = by(g.rows, g.ref)?.[g.key];
      const value = t / r;
      const holds = Number.isFinite(value) && value >= g.min;
      const unit = g.key === 'rps' ? 'req/s' : 'MiB/s';
      lines.push(
        `| ${g.text} | ${name} | ${fmt(t)} ${unit} | ${fmt(r)} ${unit} | ${Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'} | ${holds ? 'yes' : '**no**'} |`,
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
