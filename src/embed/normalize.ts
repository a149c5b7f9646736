/**
 * Splits a row-major [rows, dimension] output into one L2-normalised vector per row.
 * Each vector is a fresh Float32Array, so callers may keep it after the tensor is freed.
 *
 * A zero row stays zero rather than becoming NaN; no real model produces one.
 */
export function normalizeRows(data: Float32Array, rows: number, dimension: number): Float32Array[] {
  if (data.length !== rows * dimension) {
    throw new RangeError(`expected ${rows}x${dimension} values, got ${data.length}`);
  }

  const vectors: Float32Array[] = [];

  for (let row = 0; row < rows; row += 1) {
    vectors.push(l2Normalize(data.subarray(row * dimension, (row + 1) * dimension)));
  }

  return vectors;
}

/** A unit-length copy of `vector` (computed in double precision). */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;

  for (const value of vector) {
    sumOfSquares += value * value;
  }

  const scale = sumOfSquares > 0 ? 1 / Math.sqrt(sumOfSquares) : 0;

  return Float32Array.from(vector, (value) => value * scale);
}
