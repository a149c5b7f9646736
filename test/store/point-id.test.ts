import { describe, expect, it } from 'vitest';

import { pointIdFor } from '../../src/store/point-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('pointIdFor', () => {
  it('is a version-5 UUID, the same for the same pair', () => {
    const id = pointIdFor('SKU-000123', 'shoes/a.jpg');
    expect(id).toMatch(UUID);
    expect(pointIdFor('SKU-000123', 'shoes/a.jpg')).toBe(id);
  });

  it('is stable across releases (frozen value)', () => {
    // Changing the namespace or the name layout would orphan every stored point.
    expect(pointIdFor('SKU-000001', 'bags/mb01-blue-0.jpg')).toBe(
      '619fbcfa-2e8e-53e3-a1ff-cee443efe49d',
    );
  });

  it('maps awkward product ids to distinct valid UUIDs', () => {
    const ids = [
      'SKU 1',
      'SKU "1"',
      "it's/1",
      'café ürün 商品 👟',
      'x'.repeat(600),
      '',
      'a\u0000b',
    ].map((productId) => pointIdFor(productId, 'img.jpg'));

    ids.forEach((id) => expect(id).toMatch(UUID));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('does not confuse the boundary between product id and image', () => {
    expect(pointIdFor('a', 'bc')).not.toBe(pointIdFor('ab', 'c'));
  });
});
