import type { CollectionSpec, VectorStore } from '../store/vector-store.js';

/**
 * Makes sure each collection exists and matches the model before the first write, once
 * per process: the check is a round trip to the store, too slow to repeat per batch.
 */
export class CollectionGuard {
  private readonly checked = new Map<string, Promise<void>>();

  constructor(private readonly store: VectorStore) {}

  ensure(spec: CollectionSpec): Promise<void> {
    const key = `${spec.name}\u0000${spec.model}\u0000${spec.dimension}`;
    let check = this.checked.get(key);

    if (!check) {
      check = this.store.ensureCollection(spec);
      check.catch(() => this.checked.delete(key));
      this.checked.set(key, check);
    }
    return check;
  }
}
