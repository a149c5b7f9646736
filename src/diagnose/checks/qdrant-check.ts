import { errorMessage } from '../../core/errors.js';
import { openStore } from '../../store/open-store.js';
import type { CollectionInfo } from '../../store/vector-store.js';
import { maskUrl } from '../../util/mask.js';
import type { CheckSpec } from '../budget.js';
import type { FixCommands } from '../commands.js';
import type { DiagnoseSession } from '../session.js';
import type { Finding } from '../types.js';
import { collectionFindings } from './store-check.js';
import {
  type QdrantAnswer,
  QdrantHttp,
  networkFailure,
  parseCollection,
  qdrantError,
} from './qdrant-http.js';

/**
 * Qdrant: reachable, version, health, the collection, and whether the API key may write
 * (it creates and drops a scratch collection `idx-diagnose-<time>`).
 */
export function qdrantStoreCheck(session: DiagnoseSession): CheckSpec {
  const { config } = session.settings;
  const commands = session.commands;
  const url = config.qdrantUrl as string;
  const shown = maskUrl(url);

  return {
    name: 'store',
    title: 'Store (Qdrant)',
    capMs: 6000,
    onTimeout: (ms) => {
      session.storeProblem = `no answer within ${ms} ms`;
      return {
        status: 'fail',
        symptom: `Qdrant at ${shown} accepts the connection but does not answer within ${ms} ms.`,
        cause:
          'something that is not Qdrant listens there, a proxy or firewall holds the request, or Qdrant is overloaded',
        fix: [
          `curl -sS -m 5 ${shown}/healthz`,
          ...commands.passwordNote(),
          '# or point idx at the right Qdrant',
          commands.diagnose(['--qdrant-url', 'http://HOST:6333']),
        ],
      };
    },
    async run(scope) {
      const { figures } = scope;
      figures.backend = 'qdrant';
      figures.url = shown;
      figures.apiKey = config.qdrantApiKey ? 'given (masked)' : 'none';
      const http = new QdrantHttp(url, config.qdrantApiKey, scope.signal);
      const keyFix = keyFixes(commands);

      let root: QdrantAnswer;
      try {
        root = await http.request('GET', '/');
      } catch (err) {
        const { kind, detail } = networkFailure(err);
        session.storeProblem = detail;
        figures.reachable = false;
        return [unreachable(kind, detail, shown, commands)];
      }
      figures.reachable = true;
      if (root.status === 401) {
        session.storeProblem = 'Qdrant refuses the API key (401)';
        return [wrongKey(shown, Boolean(config.qdrantApiKey), keyFix)];
      }
      figures.version = String((root.json as { version?: string } | null)?.version ?? 'unknown');

      const health = await http.request('GET', '/healthz');
      figures.health = health.status === 200 ? 'passed' : qdrantError(health);

      const findings: Finding[] = [];
      const described = await http.request(
        'GET',
        `/collections/${encodeURIComponent(config.collection)}`,
      );
      let info: CollectionInfo | null = null;
      if (described.status === 200) {
        info = parseCollection(config.collection, described.json);
        figures.collectionStatus = String(
          (described.json as { result?: { status?: string } }).result?.status ?? 'unknown',
        );
      } else if (described.status === 401) {
        session.storeProblem = 'Qdrant refuses the API key (401)';
        return [wrongKey(shown, Boolean(config.qdrantApiKey), keyFix)];
      } else if (described.status !== 404) {
        findings.push({
          status: 'fail',
          symptom: `Qdrant cannot describe collection "${config.collection}": ${qdrantError(described)}.`,
          cause: 'Qdrant refused the request',
          fix: [`curl -sS ${shown}/collections/${config.collection}`],
        });
      }

      findings.push(...(await writeFindings(http, figures, shown, keyFix)));
      if (health.status !== 200) {
        findings.push({
          status: 'warn',
          symptom: `Qdrant's health check says: ${figures.health}.`,
          cause: 'Qdrant is starting, recovering, or short of resources',
          fix: [`curl -sS ${shown}/healthz`, '# and read the Qdrant server log'],
        });
      }

      try {
        session.store = await openStore(config);
        info =
          info && !info.model
            ? { ...info, model: (await session.store.describeCollection(config.collection))?.model }
            : info;
      } catch (err) {
        session.storeProblem ??= errorMessage(err);
        findings.push({
          status: 'fail',
          symptom: `idx's Qdrant store cannot start: ${errorMessage(err)}`,
          cause: 'the Qdrant adapter of this idx installation failed to load',
          fix: [
            '# the idx installation is incomplete: rebuild or reinstall it, then check again',
            'npm run build',
            commands.diagnose(),
          ],
        });
      }
      session.collection = info;
      return [...findings, ...collectionFindings(session, info, figures)];
    },
  };
}

async function writeFindings(
  http: QdrantHttp,
  figures: Record<string, unknown>,
  shown: string,
  keyFix: string[],
): Promise<Finding[]> {
  const scratch = `idx-diagnose-${Date.now()}`;
  const created = await http.request('PUT', `/collections/${scratch}`, {
    vectors: { size: 4, distance: 'Cosine' },
  });
  if (created.status === 200) {
    const dropped = await http.request('DELETE', `/collections/${scratch}`);
    figures.keyMayWrite = 'yes (created and dropped a scratch collection)';
    return dropped.status === 200
      ? []
      : [
          {
            status: 'warn',
            symptom: `The scratch collection ${scratch} could not be dropped: ${qdrantError(dropped)}.`,
            cause: 'Qdrant refused the delete',
            fix: [
              `curl -sS -X DELETE ${shown}/collections/${scratch} -H "api-key: $QDRANT_API_KEY"`,
            ],
          },
        ];
  }
  if (created.status === 403) {
    figures.keyMayWrite = 'no (read-only key)';
    return [
      {
        status: 'fail',
        symptom: `Qdrant at ${shown} refuses writes with this API key (403 Forbidden).`,
        cause:
          'the key is a read-only key (read_only_api_key, or a JWT without write access); workers cannot store vectors',
        fix: keyFix,
      },
    ];
  }
  if (created.status === 401) {
    figures.keyMayWrite = 'no (key refused)';
    return [
      {
        status: 'fail',
        symptom: `Qdrant at ${shown} refuses the API key for writes (401).`,
        cause: 'the API key is wrong or missing',
        fix: keyFix,
      },
    ];
  }
  figures.keyMayWrite = `unknown (${qdrantError(created)})`;
  return [
    {
      status: 'warn',
      symptom: `Could not test writing: creating a scratch collection failed with ${qdrantError(created)}.`,
      cause: 'Qdrant refused the test collection (limits on collections, or storage problems)',
      fix: [`curl -sS ${shown}/collections -H "api-key: $QDRANT_API_KEY"`],
    },
  ];
}

function keyFixes(commands: FixCommands): string[] {
  return [
    '# use the read-write key (service.api_key in the Qdrant config), from the environment so it is not in shell history',
    'export QDRANT_API_KEY=...',
    commands.diagnose(['--qdrant-api-key', '"$QDRANT_API_KEY"']),
  ];
}

function wrongKey(shown: string, given: boolean, fix: string[]): Finding {
  return {
    status: 'fail',
    symptom: `Qdrant at ${shown} refuses the request: 401 Unauthorized.`,
    cause: given
      ? 'the API key is wrong (it does not match service.api_key or read_only_api_key)'
      : 'Qdrant requires an API key and none was given (--qdrant-api-key / QDRANT_API_KEY)',
    fix,
  };
}

function unreachable(kind: string, detail: string, shown: string, commands: FixCommands): Finding {
  const host = new URL(shown).hostname;
  return {
    status: 'fail',
    symptom: `Qdrant at ${shown} is unreachable: ${detail}.`,
    cause:
      kind === 'refused'
        ? `nothing listens on ${new URL(shown).host} (Qdrant not started, stopped, or on another port)`
        : kind === 'unknown host'
          ? `the host name "${host}" does not resolve`
          : 'the connection failed before Qdrant answered',
    fix: [
      '# start Qdrant (e.g. with Docker) or point idx at the right one',
      'docker run -d -p 6333:6333 -v qdrant_storage:/qdrant/storage qdrant/qdrant',
      commands.diagnose(['--qdrant-url', 'http://HOST:6333']),
      '# or use the embedded store: leave out --qdrant-url and QDRANT_URL',
    ],
  };
}
