/**
 * Test code: the Qdrant stand-in's in-memory state. Collections hold points (vectors, payload,
 * the number of the operation that last wrote them) and answer reads: get, scroll, count and
 * nearest-neighbour search by brute force over every point.
 *
 * This layer speaks typed values; the wire format (snake_case keys, envelopes) lives in
 * handlers.ts.
 */
import { assertFilterSupported, matchesFilter } from './filters.js';
import { compareIds, idKey, type PointId } from './point-ids.js';
import {
  higherIsBetter,
  passesThreshold,
  prepareVector,
  scoreVectors,
  type Distance,
} from './vector-math.js';

export interface VectorSpace {
  size: number;
  distance: Distance;
}

export interface StoredPoint {
  id: PointId;
  /** By vector name; the unnamed default vector is under ''. */
  vectors: Map<string, Float32Array>;
  payload: Record<string, unknown>;
  /** The operation number that last wrote the point (ScoredPoint `version`). */
  version: number;
}

/** A point as an upsert delivers it, before vectors are checked and prepared. */
export interface IncomingPoint {
  id: PointId;
  vectors: Map<string, number[]>;
  payload: Record<string, unknown>;
}

export interface PayloadIndex {
  dataType: string;
  params?: Record<string, unknown>;
}

export interface SearchOptions {
  vectorName: string;
  vector: number[];
  filter?: unknown;
  limit: number;
  offset: number;
  scoreThreshold?: number;
}

export interface ScoredPoint {
  point: StoredPoint;
  score: number;
}

/** A vector whose length does not match its space, named for the dimension error. */
export interface DimensionMismatch {
  expected: number;
  received: number;
}

export class Collection {
  readonly points = new Map<string, StoredPoint>();
  readonly payloadIndexes = new Map<string, PayloadIndex>();
  private operations = 0;

  /**
   * @param spaces by vector name; '' for the single unnamed vector.
   * @param config the create request as sent, echoed back by collection info.
   */
  constructor(
    readonly name: string,
    readonly spaces: Map<string, VectorSpace>,
    readonly config: Record<string, unknown>,
  ) {}

  /** Takes the next operation number, as every update does whether or not it changes data. */
  nextOperation(): number {
    const id = this.operations;
    this.operations += 1;
    return id;
  }

  /** The first vector of the point that cannot be stored, or undefined when all fit. */
  findMismatch(point: IncomingPoint): DimensionMismatch | { unknownName: string } | undefined {
    for (const [name, values] of point.vectors) {
      const space = this.spaces.get(name);
      if (!space) {
        return { unknownName: name };
      }
      if (values.length !== space.size) {
        return { expected: space.size, received: values.length };
      }
    }

    return undefined;
  }

  /** Writes points that already passed `findMismatch`; a point is replaced whole. */
  store(points: IncomingPoint[], operation: number): void {
    for (const incoming of points) {
      const vectors = new Map<string, Float32Array>();
      for (const [name, values] of incoming.vectors) {
        vectors.set(name, prepareVector(this.spaces.get(name)!.distance, values));
      }

      const point = { id: incoming.id, vectors, payload: incoming.payload, version: operation };
      this.points.set(idKey(incoming.id), point);
    }
  }

  get(id: PointId): StoredPoint | undefined {
    return this.points.get(idKey(id));
  }

  delete(ids: PointId[]): void {
    for (const id of ids) {
      this.points.delete(idKey(id));
    }
  }

  /** Every point passing the filter, in Qdrant's id order. */
  select(filter: unknown): StoredPoint[] {
    assertFilterSupported(filter);

    const chosen = [...this.points.values()].filter((point) => {
      return matchesFilter(filter, { ...point, vectorNames: point.vectors.keys() });
    });

    return chosen.sort((left, right) => compareIds(left.id, right.id));
  }

  /** One page of points in id order, starting at `offset` inclusive. */
  scroll(filter: unknown, offset: PointId | undefined, limit: number) {
    const all = this.select(filter);
    const start = offset === undefined ? 0 : all.findIndex((p) => compareIds(p.id, offset) >= 0);
    const from = start === -1 ? all.length : start;

    const page = all.slice(from, from + limit);
    const next = all[from + limit];

    return { page, nextOffset: next?.id };
  }

  /** Brute-force nearest neighbours; the query must already match the space's size. */
  search(options: SearchOptions): ScoredPoint[] {
    const space = this.spaces.get(options.vectorName)!;
    const query = prepareVector(space.distance, options.vector);
    const scored: ScoredPoint[] = [];

    for (const point of this.select(options.filter)) {
      const stored = point.vectors.get(options.vectorName);
      if (!stored) {
        continue;
      }

      const score = scoreVectors(space.distance, stored, query);
      const threshold = options.scoreThreshold;
      if (threshold === undefined || passesThreshold(space.distance, score, threshold)) {
        scored.push({ point, score });
      }
    }

    // Ties keep id order (select sorted them), so results are deterministic.
    const direction = higherIsBetter(space.distance) ? -1 : 1;
    scored.sort((left, right) => direction * (left.score - right.score));

    return scored.slice(options.offset, options.offset + options.limit);
  }

  /** How many points carry a non-null value at a payload key (for `payload_schema`). */
  countWithField(key: string): number {
    let count = 0;
    for (const point of this.points.values()) {
      const value = point.payload[key];
      if (value !== undefined && value !== null) {
        count += 1;
      }
    }
    return count;
  }
}

export class CollectionStore {
  private readonly collections = new Map<string, Collection>();

  get(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  names(): string[] {
    return [...this.collections.keys()];
  }

  add(collection: Collection): void {
    this.collections.set(collection.name, collection);
  }

  remove(name: string): boolean {
    return this.collections.delete(name);
  }
}
