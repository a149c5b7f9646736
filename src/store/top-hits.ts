/** A candidate from a brute-force scan: its row in the matrix and its cosine score. */
export interface RankedIndex {
  index: number;
  score: number;
}

/**
 * The `limit` rows of a row-major matrix of unit vectors most similar to `query` (also a
 * unit vector), best first. Dot product equals cosine here because both sides are
 * normalised when written.
 */
export function topHits(
  matrix: Float32Array,
  dimension: number,
  query: Float32Array,
  limit: number,
): RankedIndex[] {
  const rows = matrix.length / dimension;
  const best: RankedIndex[] = [];

  for (let row = 0; row < rows; row++) {
    const offset = row * dimension;
    let score = 0;
    for (let i = 0; i < dimension; i++) {
      score += matrix[offset + i] * query[i];
    }

    if (best.length < limit || score > best[best.length - 1].score) {
      insertSorted(best, { index: row, score }, limit);
    }
  }

  return best;
}

function insertSorted(best: RankedIndex[], hit: RankedIndex, limit: number): void {
  let position = best.length;
  while (position > 0 && best[position - 1].score < hit.score) {
    position--;
  }

  best.splice(position, 0, hit);
  if (best.length > limit) {
    best.pop();
  }
}
