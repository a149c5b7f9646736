import { describe, expect, it } from 'vitest';

import { Batcher } from '../../src/worker/batcher.js';

describe('Batcher', () => {
  it('runs full batches at once and the remainder after the linger time', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, string>(3, 20, async (items) => {
      batches.push(items);
      return items.map((item) => `r${item}`);
    });

    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.add(item)));

    expect(results).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('rejects every item of a batch whose run fails, and keeps working after', async () => {
    let calls = 0;
    const batcher = new Batcher<number, number>(2, 5, async (items) => {
      calls++;
      if (calls === 1) {
        throw new Error('store down');
      }
      return items;
    });

    const failed = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.add(3)).toBe(3);
  });
});
