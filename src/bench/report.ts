import path from 'node:path';

import type { BenchReport } from './bench-report.js';
import { fixed } from './targets.js';

/** One table of the report: a title, a header and rows of cells. */
export interface ReportTable {
  title: string;
  head: string[];
  rows: string[][];
}

/** The report as plain parts, rendered by {@link toMarkdown} or by the CLI's table writer. */
export interface ReportParts {
  heading: string;
  facts: string[];
  tables: ReportTable[];
  notes: string[];
}

/** Builds the operator's view of a bench run: what ran, the figures, ratios and targets. */
export function reportParts(report: BenchReport): ReportParts {
  const { machine, model, images } = report;

  return {
    heading:
      `idx bench: ${model.name} (${model.dtype}) ` +
      `on ${images.count} items from ${images.files} image files`,
    facts: [
      `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`,
      `Model: ${model.reference} (${model.dtype}, ${model.dimension}-D); batch ${model.batchSize}, ${model.concurrency} batch(es) in flight per worker, ONNX threads ${model.threads ?? 'chosen by each process'}.`,
      `Images: ${images.count} items from ${images.files} files in ${images.folder}; store ${report.store.backend}.${leftOutFact(report)}`,
      `Run started ${report.startedAt}, took ${fixed(report.seconds, 0)} s.${quietFact(report)}`,
    ],
    tables: [
      throughputTable(report),
      stagesTable(report),
      enqueueTable(report),
      candidatesTable(report),
      togetherTable(report),
      targetsTable(report),
      ...leftOutTable(report),
    ],
    notes: notes(report),
  };
}

function leftOutFact(report: BenchReport): string {
  const { leftOut } = report.images;
  if (leftOut.length === 0) {
    return '';
  }
  const shown = leftOut.slice(0, 3).map((file) => path.basename(file.image));
  const more = leftOut.length > 3 ? ` and ${leftOut.length - 3} more` : '';
  const list = `${shown.join(', ')}${more}`;
  return ` Left out ${leftOut.length} file(s) idx cannot index (${list}; see the table below).`;
}

function quietFact(report: BenchReport): string {
  const { conditions } = report;
  if (conditions.quietCores === null) {
    return '';
  }
  return ` Before each timed part it waited for other load <= ${conditions.quietCores} cores: ${fixed(conditions.quietWaitSeconds, 0)} s in all; ${conditions.notQuiet} part(s) began without quiet.`;
}

function throughputTable(report: BenchReport): ReportTable {
  const { sync, queued, limit } = report;
  const one = queued.find((result) => result.workers === 1) ?? queued[0];
  const background = (cores: number | null) => (cores === null ? 'n/a' : fixed(cores, 2));

  const rows = [
    [
      'sync (fallback, 1 image at a time, 1 process)',
      fixed(sync.itemsPerSecond, 1),
      fixed(sync.p50Ms, 1),
      fixed(sync.p95Ms, 1),
      `threads ${sync.threads}, ${fixed(sync.cpuMsPerItem, 1)} CPU ms/item`,
      background(sync.backgroundCores),
    ],
    ...queued.map((result) => [
      `queued, ${result.workers} worker process(es)`,
      fixed(result.itemsPerSecond, 1),
      fixed(result.p50Ms, 0),
      fixed(result.p95Ms, 0),
      `threads ${result.threadsPerWorker.map((t) => t ?? '?').join('+')}, CPU ${fixed(result.cpuPercent, 0)}%, ${fixed(result.cpuMsPerItem, 1)} CPU ms/item, x${fixed(result.itemsPerSecond / one.itemsPerSecond, 2)} vs 1 worker${roundsOf(result)}`,
      background(result.backgroundCores),
    ]),
    [
      `limit: model alone (${limit.threads} thread(s), batch ${limit.batchSize})`,
      fixed(limit.modelItemsPerSecond, 1),
      '',
      '',
      `windows ${windowsOf(limit, limit.threads, limit.batchSize)}`,
      background(limit.backgroundCores),
    ],
    [
      `limit: decode alone (${limit.decodeConcurrency} in flight)`,
      fixed(limit.decodeItemsPerSecond, 1),
      '',
      '',
      `windows ${limit.decodeWindows.map((rate) => fixed(rate, 0)).join(', ')}`,
      '',
    ],
    [
      limit.basis === 'together'
        ? 'limit: model + decode together (measured; no queue, store or files)'
        : 'limit: model + decode one after the other (from the parts; above the measured)',
      fixed(limit.itemsPerSecond, 1),
      '',
      '',
      limitDetails(limit),
      '',
    ],
  ];

  return {
    title: 'Throughput and latency (queued p50/p95: enqueue to completed, all jobs queued at once)',
    head: ['run', 'items/s', 'p50 ms', 'p95 ms', 'details', 'other load (cores)'],
    rows,
  };
}

function roundsOf(result: BenchReport['queued'][number]): string {
  if (!result.rounds || result.rounds.length < 2) {
    return '';
  }
  return `; median of rounds ${result.rounds.map((rate) => fixed(rate, 1)).join(', ')}`;
}

function limitDetails(limit: BenchReport['limit']): string {
  const best = limit.together.find(
    (candidate) => candidate.itemsPerSecond === limit.togetherItemsPerSecond,
  );
  const how = best
    ? ` with ${best.lanes} model(s) x ${best.threads} thread(s), batch ${best.batchSize}`
    : '';
  const model = fixed(limit.modelCpuMsPerItem, 1);
  const decode = fixed(limit.decodeCpuMsPerItem, 1);

  return [
    `measured ${fixed(limit.togetherItemsPerSecond, 1)}/s${how}`,
    `one after the other ${fixed(limit.byTimeItemsPerSecond, 1)}/s`,
    `CPU bound ${fixed(limit.byCpuItemsPerSecond, 1)}/s = ${limit.cores} cores / ` +
      `(model ${model} + decode ${decode} CPU ms/item)`,
  ].join('; ');
}

function stagesTable(report: BenchReport): ReportTable {
  const { stages } = report;

  return {
    title: `Stages per item (in-process batches of ${stages.batchSize}, one decode at a time: ${fixed(stages.itemsPerSecond, 1)} items/s, ${fixed(stages.wallMsPerItem, 2)} ms wall and ${fixed(stages.cpuMsPerItem, 1)} ms CPU per item)`,
    head: [
      'read',
      'decode + resize',
      'embed per batch',
      'embed per item',
      'upsert',
      'queue',
      'outside the model',
    ],
    rows: [
      [
        stages.readMs,
        stages.decodeMs,
        stages.embedMsPerBatch,
        stages.embedMsPerItem,
        stages.upsertMs,
        stages.queueMs,
        stages.overheadMs,
      ].map((ms) => `${fixed(ms, 2)} ms`),
    ],
  };
}

function enqueueTable(report: BenchReport): ReportTable {
  const { enqueue, ratios, efficiency } = report;

  return {
    title: 'Enqueue and ratios',
    head: [
      'single p50',
      'single p95',
      'single p99',
      'bulk jobs/s',
      'queued vs sync',
      'efficiency (vs limit)',
      'vs model alone',
      'CPU efficiency',
    ],
    rows: [
      [
        `${fixed(enqueue.p50Ms, 3)} ms`,
        `${fixed(enqueue.p95Ms, 3)} ms`,
        `${fixed(enqueue.p99Ms, 3)} ms`,
        fixed(enqueue.bulkJobsPerSecond, 0),
        `x${fixed(ratios.queuedVsSync, 2)}`,
        fixed(efficiency, 2),
        fixed(ratios.efficiencyVsModel, 2),
        fixed(ratios.cpuEfficiency, 2),
      ],
    ],
  };
}

function candidatesTable(report: BenchReport): ReportTable {
  return {
    title: 'The model alone at each setting tried (items/s, median of the windows)',
    head: ['threads', 'batch', 'items/s', 'CPU ms/item', 'windows'],
    rows: report.limit.candidates.map((candidate) => [
      String(candidate.threads),
      String(candidate.batchSize),
      fixed(candidate.itemsPerSecond, 1),
      fixed(candidate.cpuMsPerItem, 1),
      candidate.windows.map((rate) => fixed(rate, 1)).join(', '),
    ]),
  };
}

function togetherTable(report: BenchReport): ReportTable {
  return {
    title:
      'The model and decoding together, each arrangement tried (items/s, median of the windows)',
    head: ['models', 'threads each', 'batch', 'items/s', 'CPU ms/item', 'windows'],
    rows: report.limit.together.map((candidate) => [
      String(candidate.lanes),
      String(candidate.threads),
      String(candidate.batchSize),
      fixed(candidate.itemsPerSecond, 1),
      fixed(candidate.cpuMsPerItem, 1),
      candidate.windows.map((rate) => fixed(rate, 1)).join(', '),
    ]),
  };
}

function leftOutTable(report: BenchReport): ReportTable[] {
  const { leftOut } = report.images;
  if (leftOut.length === 0) {
    return [];
  }
  return [
    {
      title: `Files left out (${leftOut.length}): not images, or they do not decode`,
      head: ['file', 'reason'],
      rows: leftOut.map((file) => [file.image, file.reason]),
    },
  ];
}

function targetsTable(report: BenchReport): ReportTable {
  return {
    title: 'Targets',
    head: ['target', 'stated for', 'measured', 'met'],
    rows: report.targets.map((target) => [
      target.target,
      target.statedFor,
      target.measured,
      target.met === null ? 'n/a' : target.met ? 'yes' : 'NO',
    ]),
  };
}

function notes(report: BenchReport): string[] {
  const { cleanup } = report;
  const lines = [
    '"other load" is the CPU that other processes used during the run, in cores, from /proc/stat; on a shared machine it lowers every rate measured beside it.',
    `Cleanup: queue "${cleanup.queue}" keys left ${cleanup.queueKeysLeft}, collection "${cleanup.collection}" ${cleanup.collectionRemoved ? 'removed' : 'NOT removed'}, temporary files ${cleanup.tempFilesRemoved ? 'removed' : 'NOT removed'}.`,
  ];
  return lines;
}

function windowsOf(limit: BenchReport['limit'], threads: number, batchSize: number): string {
  const candidate = limit.candidates.find(
    (c) => c.threads === threads && c.batchSize === batchSize,
  );
  return candidate ? candidate.windows.map((rate) => fixed(rate, 1)).join(', ') : '';
}

/** The report as Markdown: facts, one table per part, notes. */
export function toMarkdown(report: BenchReport): string {
  const parts = reportParts(report);
  const lines = [`## ${parts.heading}`, '', ...parts.facts.map((fact) => `- ${fact}`), ''];

  for (const table of parts.tables) {
    lines.push(`### ${table.title}`, '');
    lines.push(`| ${table.head.join(' | ')} |`);
    lines.push(`| ${table.head.map(() => '---').join(' | ')} |`);
    for (const row of table.rows) {
      lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
    }
    lines.push('');
  }

  lines.push(...parts.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}
