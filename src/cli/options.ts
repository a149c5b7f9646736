import { type Command, Option } from 'commander';

/**
 * Flags shared by several commands. Each command adds the groups it uses, so `--help`
 * for a command lists only what it reads. Defaults are applied in src/config, not here,
 * so that environment variables can sit between flag and default.
 */
export function addRedisOptions(command: Command): Command {
  return addRedisConnectionOptions(command).addOption(
    new Option('--queue <name>', 'queue name (env IDX_QUEUE; default idx)'),
  );
}

/** Where Redis is, without a queue name: for `idx bench`, which always uses its own queue. */
export function addRedisConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--redis-url <url>', 'Redis URL (env REDIS_URL; default redis://127.0.0.1:6379)'),
    )
    .addOption(
      new Option(
        '--redis-timeout <seconds>',
        'give up connecting to Redis after this long (default 2)',
      ),
    );
}

export function addStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--qdrant-url <url>',
        'Qdrant URL; without it vectors go to the embedded store (env QDRANT_URL)',
      ),
    )
    .addOption(
      new Option('--qdrant-api-key <key>', 'Qdrant API key (env QDRANT_API_KEY; never printed)'),
    )
    .addOption(new Option('--qdrant-timeout <seconds>', 'per-request Qdrant timeout (default 10)'))
    .addOption(
      new Option(
        '--data-dir <dir>',
        'folder of the embedded store (env IDX_DATA_DIR; default ./.idx)',
      ),
    )
    .addOption(
      new Option('--collection <name>', 'collection name (env IDX_COLLECTION; default products)'),
    );
}

export function addModelOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--model <id-or-folder>',
        'CLIP model: hub id or local folder (env IDX_MODEL; default Xenova/clip-vit-base-patch32)',
      ),
    )
    .addOption(
      new Option('--dtype <dtype>', 'model weights: fp32 or q8 (env IDX_DTYPE; default fp32)'),
    )
    .addOption(
      new Option(
        '--threads <n>',
        'ONNX threads per process (env IDX_THREADS; default: cores / workers on this host)',
      ),
    )
    .addOption(
      new Option(
        '--allow-download',
        'let idx download a hub model it has not cached (env IDX_ALLOW_DOWNLOAD=1)',
      ),
    );
}

export function addOutputOptions(command: Command): Command {
  return command
    .option('--json', 'print one JSON object instead of the human report')
    .option('-v, --verbose', 'print more detail while working');
}
