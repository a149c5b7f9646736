import type { StoredPoint } from '../../src/core/types.js';
import { pointIdFor } from '../../src/store/point-id.js';

/** A deterministic unit vector for a key, so tests can predict search order. */
export function vectorFor(key: string, dimension: number): Float32Array {
  let seed = 0;
  for (const char of key) {
    seed = (seed * 31 + char.codePointAt(0)!) >>> 0;
  }
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    vector[i] = (seed / 2 ** 32) * 2 - 1;
  }
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

export function makePoint(
  key: string,
  dimension: number,
  overrides: Partial<StoredPoint['payload']> = {},
): StoredPoint {
  return {
    id: pointIdFor(key, `${key}.jpg`),
    vector: vectorFor(key, dimension),
    payload: {
      productId: key,
      name: key,
      category: 'test',
      imagePath: `/images/${key}.jpg`,
      imageKey: `${key}.jpg`,
      sha256: 'a'.repeat(64),
      model: 'tiny',
      indexedAt: new Date(0).toISOString(),
      extra: {},
      ...overrides,
    },
  };
}
