import type { CheckResult, CheckStatus, DiagnoseReport, FigureValue, Finding } from './types.js';

/**
 * The report as a list of blocks, built once from the JSON data, so the terminal and the
 * Markdown renderings say the same thing in the same order.
 */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string; status?: CheckStatus }
  | { kind: 'paragraph'; text: string }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'list'; items: string[]; ordered?: boolean }
  | { kind: 'checklist'; items: { text: string; ok: boolean | null }[] }
  | { kind: 'status'; status: CheckStatus; text: string }
  | { kind: 'finding'; number: number; check: string; finding: Finding };

const LABELS: Record<string, string> = {
  connectMs: 'connect (ms)',
  connectedTo: 'connected to',
  pingP50Ms: 'ping p50 (ms)',
  pingP95Ms: 'ping p95 (ms)',
  aof: 'AOF',
  rdb: 'RDB snapshots',
  oldestWaitingSeconds: 'oldest waiting job (s)',
  msPerImage: 'ms/image',
  loadMs: 'load (ms)',
  decodeMs: 'decode one image (ms)',
  embedMs: 'embed one image (ms)',
  perImageMs: 'per image (ms)',
  storedSha256Matches: 'stored sha256 matches',
  keyMayWrite: 'API key may write',
  apiKey: 'API key',
  url: 'URL',
  stateRightAfter: 'state seen right after',
};

export function label(key: string): string {
  return (
    LABELS[key] ??
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .replace(/ ms$/, ' (ms)')
  );
}

export function formatValue(value: FigureValue | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  return String(value);
}

export function buildReport(report: DiagnoseReport): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `idx diagnose: ${report.verdict}` },
    { kind: 'paragraph', text: report.verdictReason },
    {
      kind: 'paragraph',
      text: `Run at ${report.startedAt}, took ${report.seconds} s (timeout ${report.timeoutSeconds} s).`,
    },
    {
      kind: 'table',
      head: ['setting', 'value'],
      rows: [
        ['Redis', report.settings.redis],
        ['queue', report.settings.queue],
        ['store', `${report.settings.store} ${report.settings.storeLocation}`],
        ['collection', report.settings.collection],
        ['model', report.settings.model],
        ['probe image', report.settings.image],
      ],
    },
    { kind: 'heading', level: 2, text: 'Checks' },
    {
      kind: 'table',
      head: ['check', 'status', 'seconds', 'summary'],
      rows: report.checks.map((check) => [
        check.title,
        check.status.toUpperCase(),
        String(check.seconds),
        check.symptom ?? 'all good',
      ]),
    },
  ];

  for (const check of report.checks) {
    blocks.push(...checkBlocks(check));
  }

  const p = report.probe;
  blocks.push(
    { kind: 'heading', level: 2, text: 'Probe' },
    {
      kind: 'paragraph',
      text: `Status right after the enqueue: ${p.statusAfterEnqueue ?? '—'}; completed: ${formatValue(p.completed)}; findable: ${formatValue(p.findable)}${p.rank !== null ? ` (rank ${p.rank}, score ${p.score})` : ''}; ${p.seconds} s in all.`,
    },
    { kind: 'table', head: ['step', 'ms'], rows: p.steps.map((s) => [s.step, String(s.ms)]) },
  );

  const perf = report.performance;
  blocks.push(
    { kind: 'heading', level: 2, text: 'Performance' },
    {
      kind: 'table',
      head: ['measure', 'value'],
      rows: [
        ['enqueue latency (one job)', ms(perf.enqueueMs)],
        ['synchronous, per image', ms(perf.syncMsPerItem)],
        ['synchronous, images/s', formatValue(perf.syncItemsPerSecond)],
        ['  measured by', perf.syncMeasuredBy ?? '—'],
        ['worker, per image (heartbeats)', ms(perf.workerMsPerItem)],
        ['probe through a worker, enqueue to indexed', ms(perf.workerProbeMs)],
        [
          'queue throughput, last minute',
          perf.queueRatePerMinute === null ? '—' : `${perf.queueRatePerMinute} images/min`,
        ],
      ],
    },
  );
  if (perf.liveWorkers.length > 0) {
    blocks.push({
      kind: 'table',
      head: ['live worker', 'state', 'active now', 'processed', 'ms/image'],
      rows: perf.liveWorkers.map((w) => [
        w.id,
        w.state,
        String(w.active),
        String(w.processed),
        String(w.msPerImage),
      ]),
    });
  } else {
    blocks.push({ kind: 'paragraph', text: 'No live worker is doing anything now.' });
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Problems' });
  if (report.problems.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'None found.' });
  }
  report.problems.forEach((problem, index) => {
    const check = report.checks.find((c) => c.name === problem.check)?.title ?? problem.check;
    blocks.push({ kind: 'finding', number: index + 1, check, finding: problem });
  });

  blocks.push(
    { kind: 'heading', level: 2, text: 'Checklist' },
    { kind: 'checklist', items: report.checklist.map((c) => ({ text: c.item, ok: c.ok })) },
    { kind: 'heading', level: 2, text: 'Next steps' },
    { kind: 'list', ordered: true, items: report.nextSteps },
  );
  return blocks;
}

function checkBlocks(check: CheckResult): Block[] {
  const blocks: Block[] = [
    {
      kind: 'heading',
      level: 3,
      text: `${check.title}: ${check.status.toUpperCase()}`,
      status: check.status,
    },
  ];
  const scalars = Object.entries(check.figures).filter(([, value]) => !Array.isArray(value));
  blocks.push({
    kind: 'table',
    head: ['figure', 'value'],
    rows: scalars.map(([key, value]) => [label(key), formatValue(value)]),
  });

  for (const [key, value] of Object.entries(check.figures)) {
    if (Array.isArray(value) && value.length > 0) {
      const head = Object.keys(value[0]);
      blocks.push({
        kind: 'table',
        head: [label(key), ...head.slice(1).map(label)],
        rows: value.map((row) => head.map((column) => formatValue(row[column]))),
      });
    }
  }
  for (const finding of check.findings) {
    blocks.push({
      kind: 'status',
      status: finding.status,
      text: `${finding.symptom} (cause and fix under Problems)`,
    });
  }
  return blocks;
}

function ms(value: number | null): string {
  return value === null ? '—' : `${value} ms`;
}
