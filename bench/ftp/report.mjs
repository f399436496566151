// The figures of bench/ftp-compare.mjs as text: Markdown tables for the console and docs/bench-ftp.md, the goals
// of issue 6 checked against them, and the bar chart for docs/bench-ftp.svg.
import { barChartSvg, fmt, ratio } from '../report.mjs';

/** The reference server of every ratio. */
export const REFERENCE = 'vsftpd';
/** Issue 6's memory bound: 100 MB (decimal), in MiB. */
export const RSS_LIMIT_MIB = 100e6 / 1024 ** 2;

const name = (r) => (r.name === REFERENCE ? `${r.name} (ref)` : r.name);

/**
 * The transfer table: `rows` are { name, retr, stor } where each is the medians { mibps, seconds, cpu, rss }
 * plus `rssMax` (the highest peak of all rounds); ratios against vsftpd.
 */
export function transferTable(rows) {
  const ref = rows.find((r) => r.name === REFERENCE);
  const lines = [
    '| server | RETR MiB/s | vs ref | RETR CPU s | STOR MiB/s | vs ref | STOR CPU s | peak RSS MiB (median / max) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const rss = Math.max(r.retr.rss, r.stor.rss);
    lines.push(
      `| ${name(r)} | ${fmt(r.retr.mibps)} | ${ratio(r.retr.mibps, ref?.retr.mibps)} | ${fmt(r.retr.cpu, 2)} | ${fmt(r.stor.mibps)} | ${ratio(r.stor.mibps, ref?.stor.mibps)} | ${fmt(r.stor.cpu, 2)} | ${fmt(rss, 1)} / ${fmt(r.rssMax, 1)} |`,
    );
  }
  return lines.join('\n');
}

/** The failures of storms by reason, e.g. `0` or `220 timeout at greeting`. */
export function reasonsText(storms) {
  const sum = {};
  for (const s of storms) for (const [k, v] of Object.entries(s.reasons)) sum[k] = (sum[k] ?? 0) + v;
  const parts = Object.entries(sum).map(([k, v]) => `${fmt(v)} ${k}`);
  return parts.length > 0 ? parts.join(', ') : '–';
}

/**
 * The login storm table: `rows` are { name, storms: [{ clients, served, failed, allInMs, rss, kernel }] }, one
 * storm per round; served is shown per round, time and RSS as medians.
 */
export function stormTable(rows, median) {
  const lines = [
    '| server | clients | served per round | all logged in after (median) | peak RSS MiB (median) | kernel listen overflows / SYN cookies (sum) | failures |',
    '|---|---:|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const s = r.storms;
    const overflows = s.reduce((n, x) => n + x.kernel.ListenOverflows, 0);
    const cookies = s.reduce((n, x) => n + x.kernel.SyncookiesSent, 0);
    lines.push(
      `| ${name(r)} | ${fmt(s[0]?.clients ?? Number.NaN)} | ${s.map((x) => fmt(x.served)).join(', ')} | ${fmt(median(s.map((x) => x.allInMs)) / 1000, 2)} s | ${fmt(median(s.map((x) => x.rss)), 1)} | ${fmt(overflows)} / ${fmt(cookies)} | ${reasonsText(s)} |`,
    );
  }
  return lines.join('\n');
}

/** Issue 6's bench goals against this run (`size` names the file, e.g. `1 GiB`): { table (Markdown), allHold }. */
export function ftpGoals(rows, storms, clients, size) {
  const tandem = rows.find((r) => r.name === 'Tandem');
  const ref = rows.find((r) => r.name === REFERENCE);
  const tandemStorms = storms.find((r) => r.name === 'Tandem')?.storms ?? [];
  const mark = (ok) => (ok ? 'yes' : '**no**');
  const lines = ['| goal | this run | holds |', '|---|---|:---:|'];
  const checks = [];
  if (tandem && ref) {
    for (const [kind, key] of [
      ['RETR', 'retr'],
      ['STOR', 'stor'],
    ]) {
      const vs = tandem[key].mibps / ref[key].mibps;
      checks.push(vs >= 0.8);
      lines.push(
        `| ${size} ${kind} ≥ 0.8× vsftpd's throughput | ${fmt(tandem[key].mibps)} vs ${fmt(ref[key].mibps)} MiB/s = ${vs.toFixed(2)}× | ${mark(vs >= 0.8)} |`,
      );
    }
    const ok = tandem.rssMax < RSS_LIMIT_MIB;
    checks.push(ok);
    lines.push(
      `| server < 100 MB RSS during the transfers (highest peak of all rounds) | ${fmt(tandem.rssMax, 1)} MiB = ${fmt((tandem.rssMax * 1024 ** 2) / 1e6, 1)} MB | ${mark(ok)} |`,
    );
  }
  const allServed = tandemStorms.length > 0 && tandemStorms.every((s) => s.served === clients);
  checks.push(allServed);
  lines.push(
    `| ${clients} clients connect and log in at once, all served (every round) | served ${tandemStorms.map((s) => fmt(s.served)).join(', ')} of ${fmt(clients)} | ${mark(allServed)} |`,
  );
  return { table: lines.join('\n'), allHold: checks.every(Boolean) };
}

/** The SVG chart: MiB/s of RETR and STOR per server, and logins per second of the storm. */
export function ftpChartSvg(rows, storms, median, { title, caption, size }) {
  return barChartSvg(
    [
      {
        title: `RETR ${size}: MiB/s`,
        unit: 'MiB/s',
        rows: rows.map((r) => ({ name: r.name, rps: r.retr.mibps })),
      },
      {
        title: `STOR ${size}: MiB/s`,
        unit: 'MiB/s',
        rows: rows.map((r) => ({ name: r.name, rps: r.stor.mibps })),
      },
      {
        title: 'Login storm: clients served per second until all are in',
        unit: 'logins/s',
        rows: storms.map((r) => ({
          name: r.name,
          rps: median(r.storms.map((s) => (s.served > 0 ? (s.served / s.allInMs) * 1000 : 0))),
        })),
      },
    ],
    { title, caption },
  );
}
