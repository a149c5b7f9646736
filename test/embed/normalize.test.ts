import { describe, expect, it } from 'vitest';

import { l2Normalize, normalizeRows } from '../../src/embed/normalize.js';

describe('normalizeRows', () => {
  it('splits rows and scales each to unit length', () => {
    const rows = normalizeRows(Float32Array.of(3, 4, 0, 2), 2, 2);

    expect(Array.from(rows[0])).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(rows[1])).toEqual([0, 1]);
  });

  it('copies, so the source buffer can be reused', () => {
    const source = Float32Array.of(1, 0);
    const [row] = normalizeRows(source, 1, 2);
    source[0] = 5;

    expect(row[0]).toBe(1);
  });

  it('leaves a zero vector at zero instead of NaN', () => {
    expect(Array.from(l2Normalize(new Float32Array(3)))).toEqual([0, 0, 0]);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => normalizeRows(new Float32Array(5), 2, 2)).toThrow(RangeError);
  });
});
