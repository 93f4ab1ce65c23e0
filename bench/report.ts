// Turns benchmark samples into the three outputs a person reads: a terminal table, a JSON file and an SVG chart.
import type { Contender, RatioKind } from './workloads';

export interface Sample {
  workload: string;
  contender: Contender;
  round: number;
  tps: number;
  latencyMs: number;
}

export interface WorkloadResult {
  workload: string;
  title: string;
  ratioKind: RatioKind;
  /** The contender the ratio is taken against (pgmemcache, or PL/Perl for W5). */
  baseline: Contender;
  medianLatencyMs: Record<string, number>;
  medianTps: Record<string, number>;
  /** ours / baseline: latency ratio (lower is better) or throughput ratio (higher is better). */
  ratio: number;
  target: number | null;
  meetsTarget: boolean | null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(
  workload: { id: string; title: string; ratio: RatioKind; target: number | null },
  baseline: Contender,
  samples: readonly Sample[],
): WorkloadResult {
  const mine = samples.filter((s) => s.workload === workload.id);
  const contenders = [...new Set(mine.map((s) => s.contender))];
  const medianLatencyMs: Record<string, number> = {};
  const medianTps: Record<string, number> = {};
  for (const contender of contenders) {
    const own = mine.filter((s) => s.contender === contender);
    medianLatencyMs[contender] = median(own.map((s) => s.latencyMs));
    medianTps[contender] = median(own.map((s) => s.tps));
  }
  const ours = workload.ratio === 'latency' ? medianLatencyMs.pymcache : medianTps.pymcache;
  const theirs = workload.ratio === 'latency' ? medianLatencyMs[baseline] : medianTps[baseline];
  if (ours === undefined || theirs === undefined) throw new Error(`${workload.id}: missing samples for pymcache or ${baseline}`);
  const ratio = ours / theirs;
  const meetsTarget = workload.target === null ? null
    : workload.ratio === 'latency' ? ratio <= workload.target : ratio >= workload.target;
  return { workload: workload.id, title: workload.title, ratioKind: workload.ratio, baseline, medianLatencyMs, medianTps, ratio, target: workload.target, meetsTarget };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function formatTable(results: readonly WorkloadResult[]): string {
  const header = ['workload', 'pymcache ms', 'baseline', 'baseline ms', 'pymcache tps', 'baseline tps', 'ratio', 'target'];
  const rows = results.map((r) => [
    `${r.workload} ${r.title}`,
    (r.medianLatencyMs.pymcache ?? NaN).toFixed(3),
    r.baseline,
    (r.medianLatencyMs[r.baseline] ?? NaN).toFixed(3),
    (r.medianTps.pymcache ?? NaN).toFixed(1),
    (r.medianTps[r.baseline] ?? NaN).toFixed(1),
    `${r.ratio.toFixed(2)} (${r.ratioKind})`,
    r.target === null ? '-' : `${r.ratioKind === 'latency' ? '<=' : '>='} ${r.target} ${r.meetsTarget === true ? 'met' : 'MISSED'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A horizontal bar per workload: the ratio, with the target drawn as a mark on the same scale. */
export function renderSvg(results: readonly WorkloadResult[], title: string): string {
  const rowHeight = 44;
  // Room for the longest workload title at 13px before the bars start.
  const left = 390;
  const width = 960;
  const top = 50;
  const height = top + results.length * rowHeight + 40;
  const maxRatio = Math.max(1.5, ...results.map((r) => r.ratio), ...results.map((r) => r.target ?? 0)) * 1.1;
  const scale = (value: number): number => left + ((width - left - 40) * value) / maxRatio;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${scale(1)}" y1="${top - 10}" x2="${scale(1)}" y2="${height - 30}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${scale(1) + 4}" y="${height - 14}" fill="#555">ratio 1.0 (same as baseline)</text>`,
  ];
  results.forEach((r, index) => {
    const y = top + index * rowHeight;
    const color = r.meetsTarget === false ? '#c0392b' : '#2e86c1';
    parts.push(
      `<text x="10" y="${y + 18}">${escapeXml(`${r.workload} ${r.title}`)}</text>`,
      `<text x="10" y="${y + 33}" fill="#555">${escapeXml(`${r.ratioKind} ratio vs ${r.baseline}`)}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${Math.max(1, scale(r.ratio) - left)}" height="22" fill="${color}"/>`,
      `<text x="${scale(r.ratio) + 6}" y="${y + 22}">${r.ratio.toFixed(2)}</text>`,
    );
    if (r.target !== null) {
      parts.push(
        `<line x1="${scale(r.target)}" y1="${y + 2}" x2="${scale(r.target)}" y2="${y + 32}" stroke="black" stroke-width="2"/>`,
        `<text x="${scale(r.target) - 4}" y="${y + 42}" font-size="10" text-anchor="end">target ${r.ratioKind === 'latency' ? '≤' : '≥'} ${r.target}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
