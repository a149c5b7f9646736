/**
 * Test code: distances for the Qdrant stand-in, computed for real and in single precision
 * where Qdrant uses f32 (FACTS §5). Cosine vectors are normalised when stored and when
 * queried; a stored vector read back is the normalised one, as in Qdrant.
 *
 * Limitation: Qdrant sums with SIMD lanes in an order this code does not copy, so scores can
 * differ from the real server's in the last bit or two of an f32; compare with a tolerance.
 */

export type Distance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';

const F32_EPSILON = 1.1920929e-7;

/** The vector as Qdrant stores it: f32 values, L2-normalised for Cosine. */
export function prepareVector(distance: Distance, values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  if (distance !== 'Cosine') {
    return vector;
  }

  let squares = 0;
  for (const value of vector) {
    squares = Math.fround(squares + Math.fround(value * value));
  }

  const length = Math.fround(Math.sqrt(squares));

  // Qdrant keeps zero vectors and vectors already of unit length as they are.
  if (length < F32_EPSILON || Math.abs(length - 1) <= 1e-6) {
    return vector;
  }

  return vector.map((value) => Math.fround(value / length));
}

/** The score Qdrant reports for a stored vector against a prepared query vector. */
export function scoreVectors(distance: Distance, stored: Float32Array, query: Float32Array) {
  let total = 0;

  for (let index = 0; index < stored.length; index += 1) {
    const left = stored[index];
    const right = query[index];

    if (distance === 'Euclid') {
      total += (left - right) * (left - right);
    } else if (distance === 'Manhattan') {
      total += Math.abs(left - right);
    } else {
      total += left * right;
    }
  }

  return Math.fround(distance === 'Euclid' ? Math.sqrt(total) : total);
}

/** Cosine and Dot rank higher scores first; Euclid and Manhattan rank smaller first. */
export function higherIsBetter(distance: Distance): boolean {
  return distance === 'Cosine' || distance === 'Dot';
}

/** `score_threshold` keeps only scores strictly better than the threshold (FACTS §5). */
export function passesThreshold(distance: Distance, score: number, threshold: number) {
  return higherIsBetter(distance) ? score > threshold : score < threshold;
}

/**
 * An f32 as Rust prints it: the shortest decimal that reads back as the same f32. Without
 * this, 0.9f32 would go out as 0.8999999761581421.
 */
export function f32ForJson(value: number): number {
  const single = Math.fround(value);

  // Most f32 values need 7 to 9 digits, so start at 7 and walk the short way.
  let digits = 7;
  if (readsBackAs(single, digits)) {
    while (digits > 1 && readsBackAs(single, digits - 1)) {
      digits -= 1;
    }
  } else {
    while (digits < 9 && !readsBackAs(single, digits)) {
      digits += 1;
    }
  }

  return Number(single.toPrecision(digits));
}

function readsBackAs(single: number, digits: number): boolean {
  return Math.fround(Number(single.toPrecision(digits))) === single;
}
