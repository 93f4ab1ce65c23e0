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
  /** The earlier pymcache_fdw / baseline, the same way round, when the run had it; else null. */
  previousRatio: number | null;
  /** ours / the earlier pymcache_fdw, the same way round (latency: below 1 is faster), or null. */
  versusPrevious: number | null;
  target: number | null;
  meetsTarget: boolean | null;
}

/** One Multicorn's results: this project's host, or a real multicorn2. */
export interface FlavourReport {
  multicorn: 'host' | 'system';
  pgBin: string;
  results: WorkloadResult[];
}

/** The sample at fraction `p` (0 to 1) of `sorted` (ascending), rounding down: the benchmarks' percentiles. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(
  workload: { id: string; title: string; ratio: RatioKind; baseline: Contender; target: number | null },
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
  const measure = (contender: Contender): number | undefined =>
    workload.ratio === 'latency' ? medianLatencyMs[contender] : medianTps[contender];
  const ours = measure('pymcache');
  const theirs = measure(workload.baseline);
  if (ours === undefined || theirs === undefined)
    throw new Error(`${workload.id}: missing samples for pymcache or ${workload.baseline}`);
  const previous = measure('previous');
  const ratio = ours / theirs;
  const meetsTarget =
    workload.target === null
      ? null
      : workload.ratio === 'latency'
        ? ratio <= workload.target
        : ratio >= workload.target;
  return {
    workload: workload.id,
    title: workload.title,
    ratioKind: workload.ratio,
    baseline: workload.baseline,
    medianLatencyMs,
    medianTps,
    ratio,
    previousRatio: previous === undefined ? null : previous / theirs,
    versusPrevious: previous === undefined ? null : ours / previous,
    target: workload.target,
    meetsTarget,
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined ? '-' : value.toFixed(digits);

export function formatTable(results: readonly WorkloadResult[]): string {
  const header = [
    'workload',
    'pymcache ms',
    'baseline',
    'baseline ms',
    'previous ms',
    'pymcache tps',
    'baseline tps',
    'previous tps',
    'ratio',
    'target',
    'vs previous',
  ];
  const rows = results.map((r) => [
    `${r.workload} ${r.title}`,
    fixed(r.medianLatencyMs.pymcache, 3),
    r.baseline,
    fixed(r.medianLatencyMs[r.baseline], 3),
    fixed(r.medianLatencyMs.previous, 3),
    fixed(r.medianTps.pymcache, 1),
    fixed(r.medianTps[r.baseline], 1),
    fixed(r.medianTps.previous, 1),
    `${r.ratio.toFixed(2)} (${r.ratioKind})`,
    r.target === null
      ? '-'
      : `${r.ratioKind === 'latency' ? '<=' : '>='} ${r.target} ${r.meetsTarget === true ? 'met' : 'MISSED'}`,
    r.versusPrevious === null ? '-' : r.versusPrevious.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** What a flavour is called on the chart. */
export function flavourName(multicorn: 'host' | 'system'): string {
  return multicorn === 'host' ? "this project's host" : 'multicorn2';
}

/**
 * A horizontal bar per workload and Multicorn: our ratio to the baseline, the earlier pymcache_fdw's ratio as a thin
 * grey bar under it, and the target as a mark on the same scale.
 */
export function renderSvg(flavours: readonly FlavourReport[], title: string, subtitle: string): string {
  const rowHeight = 34;
  const groupGap = 18;
  // Room for the longest workload title at 13px before the bars start.
  const left = 400;
  const width = 980;
  const top = 66;
  const workloadIds = flavours[0]?.results.map((r) => r.workload) ?? [];
  const height = top + workloadIds.length * (flavours.length * rowHeight + groupGap) + 44;
  const all = flavours.flatMap((f) => f.results);
  const maxRatio =
    Math.max(
      1.5,
      ...all.map((r) => r.ratio),
      ...all.map((r) => r.previousRatio ?? 0),
      ...all.map((r) => r.target ?? 0),
    ) * 1.1;
  const scale = (value: number): number => left + ((width - left - 50) * value) / maxRatio;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="44" fill="#555">${escapeXml(subtitle)}</text>`,
    `<line x1="${scale(1)}" y1="${top - 8}" x2="${scale(1)}" y2="${height - 30}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${scale(1) + 4}" y="${height - 14}" fill="#555">ratio 1.0 (same as baseline); grey: the earlier pymcache_fdw</text>`,
  ];
  workloadIds.forEach((id, index) => {
    const groupTop = top + index * (flavours.length * rowHeight + groupGap);
    flavours.forEach((flavour, f) => {
      const r = flavour.results.find((result) => result.workload === id);
      if (r === undefined) return;
      const y = groupTop + f * rowHeight;
      const color = r.meetsTarget === false ? '#c0392b' : '#2e86c1';
      if (f === 0) parts.push(`<text x="10" y="${y + 14}">${escapeXml(`${r.workload} ${r.title}`)}</text>`);
      parts.push(
        `<text x="${f === 0 ? 10 : 24}" y="${y + (f === 0 ? 29 : 18)}" fill="#555" font-size="11">${escapeXml(`${flavourName(flavour.multicorn)}: ${r.ratioKind} vs ${r.baseline}`)}</text>`,
        `<rect x="${left}" y="${y + 4}" width="${Math.max(1, scale(r.ratio) - left)}" height="16" fill="${color}"/>`,
        `<text x="${scale(r.ratio) + 6}" y="${y + 17}">${r.ratio.toFixed(2)}</text>`,
      );
      if (r.previousRatio !== null) {
        parts.push(
          `<rect x="${left}" y="${y + 22}" width="${Math.max(1, scale(r.previousRatio) - left)}" height="5" fill="#999"/>`,
          `<text x="${scale(r.previousRatio) + 6}" y="${y + 29}" font-size="10" fill="#777">${r.previousRatio.toFixed(2)}</text>`,
        );
      }
      if (r.target !== null) {
        parts.push(
          `<line x1="${scale(r.target)}" y1="${y + 1}" x2="${scale(r.target)}" y2="${y + 30}" stroke="black" stroke-width="2"/>`,
          `<text x="${scale(r.target) - 4}" y="${y + 30}" font-size="10" text-anchor="end">target ${r.ratioKind === 'latency' ? '≤' : '≥'} ${r.target}</text>`,
        );
      }
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
