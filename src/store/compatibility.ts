import { ConfigError } from '../core/errors.js';
import type { CollectionInfo, CollectionSpec, VectorStore } from './vector-store.js';

/**
 * Refuses an existing collection that the spec's model cannot write to: another dimension,
 * another distance, or another model. The message names both sides and the way out.
 */
export function checkCompatible(existing: CollectionInfo, spec: CollectionSpec): void {
  if (existing.dimension !== spec.dimension || existing.distance !== 'Cosine') {
    throw new ConfigError(
      `Collection "${spec.name}" holds ${existing.dimension}-dimensional ${existing.distance} ` +
        `vectors, but model ${spec.model} makes ${spec.dimension}-dimensional Cosine vectors. ` +
        wayOut(spec.name),
    );
  }

  if (existing.model && existing.model !== spec.model) {
    throw modelMismatch(spec.name, existing.model, spec.model);
  }
}

/** The error for a collection built with another model; one collection never mixes models. */
export function modelMismatch(collection: string, stored: string, wanted: string): ConfigError {
  return new ConfigError(
    `Collection "${collection}" holds embeddings of model ${stored}, not ${wanted}; ` +
      `one collection never mixes models. ${wayOut(collection)}`,
  );
}

function wayOut(collection: string): string {
  return `Use another --collection, or --recreate to drop and rebuild "${collection}".`;
}

/**
 * The steps every store's `ensureCollection` shares: drop it when asked, accept a
 * compatible one, otherwise `create` it and check again, because another process may
 * have created it first with other settings.
 */
export async function ensureCollectionWith(
  store: Pick<VectorStore, 'deleteCollection' | 'describeCollection'>,
  spec: CollectionSpec,
  opts: { recreate?: boolean },
  create: () => Promise<void>,
): Promise<void> {
  if (opts.recreate) {
    await store.deleteCollection(spec.name);
  }

  const existing = await store.describeCollection(spec.name);
  if (existing) {
    checkCompatible(existing, spec);
    return;
  }

  await create();
  checkCompatible((await store.describeCollection(spec.name))!, spec);
}
