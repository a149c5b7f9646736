import type { FixCommands } from './commands.js';
import { PROBE_PRODUCT } from './probe-job.js';
import type { DiagnoseSession } from './session.js';
import type { FigureValue, Finding, ProbeResult } from './types.js';

/** Why the probe cannot run at all, or null when it can. */
export function skipFinding(session: DiagnoseSession): Finding | null {
  const commands = session.commands;
  if (!session.store) {
    return {
      status: 'fail',
      symptom: `The probe was not run: the store is not usable (${session.storeProblem ?? 'see the Store check'}), so no image can be indexed.`,
      cause: 'the store check failed',
      fix: ['# fix the store first (see the Store check), then check again', commands.diagnose()],
    };
  }
  if (!session.redis && session.redisRefusedPassword) {
    return {
      status: 'fail',
      symptom:
        'The probe was not run: Redis refused the password, and `idx enqueue` then stops instead of indexing synchronously, so nothing is indexed.',
      cause: `Redis: ${session.redisProblem ?? 'authentication failed'}`,
      fix: [
        '# put the right password in the URL (see the Redis check), then check again',
        commands.diagnose(),
      ],
    };
  }
  if (!session.redis && !session.embedder) {
    return {
      status: 'fail',
      symptom:
        'The probe was not run: Redis is down and the model does not load here, so neither a worker nor the fallback can index it.',
      cause: `Redis: ${session.redisProblem ?? 'unreachable'}; the model: see the Model check`,
      fix: [
        '# fix the model (see the Model check) or Redis, then check again',
        commands.diagnose(),
      ],
    };
  }
  return null;
}

/** What the probe's fate says, as findings: nothing when it was indexed and found. */
export function probeFindings(
  session: DiagnoseSession,
  probe: ProbeResult,
  figures: Record<string, FigureValue>,
): Finding[] {
  const commands = session.commands;
  const { config } = session.settings;
  const findings: Finding[] = [];
  const waited = probe.steps.find((step) => step.step === 'wait for the outcome');
  const seconds = waited ? Math.round(waited.ms / 100) / 10 : 0;

  if (probe.completed && probe.findable) {
    if (probe.mode === 'sync') {
      findings.push({
        status: 'warn',
        symptom: `The probe was "indexed" by the synchronous fallback in this process, not queued: images are indexed, but by one process only.`,
        cause: `Redis is unavailable (${session.redisProblem ?? 'see the Redis check'}); \`idx enqueue\` then indexes in its own process: no workers, nothing shared between machines`,
        fix: [
          '# fix Redis (see the Redis check) so jobs are queued for the workers again',
          commands.redisCli(['ping']),
          commands.diagnose(),
        ],
      });
    }
    if (probe.score !== null && probe.score < 0.99 && session.probeEmbedding) {
      findings.push({
        status: 'warn',
        symptom: `The stored vector differs from this machine's embedding of the same image (cosine ${probe.score}).`,
        cause: 'the worker embeds with other model files or another dtype than this machine',
        fix: ['# run workers and diagnose with the same --model and --dtype', commands.work()],
      });
    }
  } else if (probe.mode === 'skipped') {
    findings.push({
      status: 'fail',
      symptom: `The probe was not run: ${probe.reason}`,
      cause: 'see the checks above',
      fix: [commands.diagnose()],
    });
  } else if (probe.completed) {
    const missing = /is not in/.test(probe.reason ?? '');
    findings.push({
      status: 'fail',
      symptom: `The probe was indexed but is not findable: ${probe.reason}.`,
      cause: missing
        ? 'the worker writes to another store or collection than the one checked here (different --data-dir, --qdrant-url or --collection)'
        : "the stored vector is not the probe's embedding (the worker uses other model files or dtype), or the store's search is broken",
      fix: ['# start the workers with exactly the same store and model flags', commands.work()],
    });
  } else if (probe.finalState === 'queued') {
    findings.push(
      session.liveWorkers === 0
        ? {
            status: 'fail',
            symptom: `The probe job stayed "queued" for ${seconds} s: no worker took it.`,
            cause: `no live worker on queue "${config.queue}" (no \`idx work\` heartbeat in the last 10 s); queued images wait in Redis until one starts`,
            fix: [
              '# start a worker with the same settings (more, with other ids, on other machines)',
              commands.work(),
            ],
          }
        : {
            status: 'fail',
            symptom: `The probe job stayed "queued" for ${seconds} s although ${session.liveWorkers} worker(s) are live.`,
            cause: 'the workers are busy with jobs queued ahead of the probe, or they are stuck',
            fix: [
              '# add workers, or give diagnose more time to wait its turn',
              commands.work('w2'),
              commands.diagnose(['--timeout', '120']),
            ],
          },
    );
  } else if (probe.finalState === 'active') {
    findings.push({
      status: 'fail',
      symptom: `A worker took the probe but did not finish it within ${seconds} s.`,
      cause: 'the worker is slow (loading a model for its first job, a slow store) or hangs',
      fix: [
        '# read the worker log (run it with --verbose), or give diagnose more time',
        commands.diagnose(['--timeout', '120']),
      ],
    });
  } else if (probe.finalState === 'unknown') {
    findings.push({
      status: 'fail',
      symptom: 'The probe job vanished from the queue without an outcome.',
      cause:
        'something removed it: another tool deleting keys, a FLUSHDB, or a Redis restart without persistence',
      fix: [commands.redisCli(['INFO', 'persistence']), commands.diagnose()],
    });
  } else {
    findings.push(failureFinding(probe, session, commands));
  }

  if (probe.cleanup.leftBehind.length > 0) {
    figures.note = `remove left-overs by hand: points of product ${PROBE_PRODUCT}, Redis keys with ${probe.jobId ?? 'probe-'}`;
    findings.push({
      status: 'warn',
      symptom: `diagnose could not remove every trace of the probe: ${probe.cleanup.leftBehind.join('; ')}.`,
      cause:
        'Redis or the store stopped answering during the clean-up, or a worker still held the probe',
      fix: [
        '# the left-overs carry product id idx-diagnose-probe; run diagnose again once things are healthy',
        commands.diagnose(),
      ],
    });
  }
  return findings;
}

function failureFinding(
  probe: ProbeResult,
  session: DiagnoseSession,
  commands: FixCommands,
): Finding {
  const { image, config } = session.settings;
  const collection = config.collection;
  const dimension = session.embedder?.info.dimension;
  const reason = probe.reason ?? 'unknown reason';
  const where = probe.mode === 'sync' ? 'The synchronous fallback' : 'The worker';
  const symptom = `${where} ${probe.finalState === 'delayed' ? 'failed the probe and will retry' : 'failed the probe'}: ${reason}`;

  if (/file not found|not readable|is a folder/i.test(reason)) {
    return {
      status: 'fail',
      symptom,
      cause: `the worker cannot read ${image}: workers open images by path, so every path must exist on the worker's machine too`,
      fix: [
        '# run workers where the images are, or mount them at the same path; probe with an image on that shared path',
        commands.diagnose(['--image', '/shared/images/photo.jpg']),
      ],
    };
  }
  if (/dimension|mixes models|holds embeddings/i.test(reason)) {
    return {
      status: 'fail',
      symptom,
      cause: 'the collection does not fit the model (see the Store check)',
      fix: [
        '# index this model into a collection of its own (see the Store check)',
        commands.diagnose(['--collection', `${collection}-${dimension ?? 'new'}`]),
      ],
    };
  }
  if (/model/i.test(reason)) {
    return {
      status: 'fail',
      symptom,
      cause:
        'the worker cannot load the model the job names; jobs carry the model given to enqueue',
      fix: [
        '# give the workers the model folder, or let them download it once',
        commands.work(),
        commands.diagnose(['--allow-download']),
      ],
    };
  }
  return {
    status: 'fail',
    symptom,
    cause: /store|qdrant|sqlite|locked|collection/i.test(reason)
      ? 'the store refused or lost the write'
      : reason,
    fix: [
      '# read the worker log (idx work --verbose) and `idx status` for the failure',
      commands.diagnose(),
    ],
  };
}
