/**
 * The stand-in's building blocks on their own: serde_json-style positions, UUID spellings,
 * f32 printing and cosine preparation.
 */
import { describe, expect, it } from 'vitest';

import { rustFloat } from '../support/qdrant-standin/rust-format.js';
import { findSyntaxError, parseJsonText } from '../support/qdrant-standin/json-text.js';
import {
  compareIds,
  parseUuid,
  pointIdFromJson,
  pointIdFromPath,
} from '../support/qdrant-standin/point-ids.js';
import { f32ForJson, prepareVector, scoreVectors } from '../support/qdrant-standin/vector-math.js';

describe('serde_json-style syntax errors', () => {
  it('counts columns in UTF-8 bytes, as serde_json does', () => {
    expect(findSyntaxError('{"é": x}')).toBe('expected value at line 1 column 8');
  });

  it('reports EOF inside a string at the end of the input', () => {
    expect(findSyntaxError('{"a": "open')).toBe('EOF while parsing a string at line 1 column 11');
  });

  it('reports a control character inside a string', () => {
    expect(findSyntaxError('{"a": "x\ty"}')).toBe(
      'control character (\\u0000-\\u001F) found while parsing a string at line 1 column 9',
    );
  });

  it('puts a peeked newline at column 0 of the next line', () => {
    expect(findSyntaxError('{"a": 1\n')).toBe('EOF while parsing an object at line 2 column 0');
  });

  it('refuses nesting deeper than serde_json allows', () => {
    const deep = `${'['.repeat(128)}${']'.repeat(128)}`;
    const result = parseJsonText(deep);

    expect(result).toEqual({ ok: false, message: 'recursion limit exceeded at line 1 column 128' });
    expect(parseJsonText(`${'['.repeat(127)}${']'.repeat(127)}`).ok).toBe(true);
  });

  it('finds nothing wrong in valid JSON', () => {
    expect(findSyntaxError('{"a": [1, 2.5e3, -0.1, true, null, "\\u00e9"]}')).toBeUndefined();
  });
});

describe('point ids', () => {
  it('parses the four UUID spellings the uuid crate accepts', () => {
    const canonical = 'a1b2c3d4-0000-4000-8000-00000000abcd';

    expect(parseUuid('A1B2C3D4-0000-4000-8000-00000000ABCD')).toBe(canonical);
    expect(parseUuid('a1b2c3d4000040008000' + '00000000abcd')).toBe(canonical);
    expect(parseUuid(`{${canonical}}`)).toBe(canonical);
    expect(parseUuid(`urn:uuid:${canonical}`)).toBe(canonical);
  });

  it('refuses what Qdrant refuses in a JSON body', () => {
    for (const value of ['SKU-1', '123', -1, 1.5, true, null, `{${'0'.repeat(32)}}`]) {
      expect(pointIdFromJson(value), String(value)).toBeUndefined();
    }
  });

  it('accepts a numeric string only in a URL path', () => {
    expect(pointIdFromPath('123')).toBe(123);
    expect(pointIdFromPath('SKU-1')).toBeUndefined();
  });

  it('orders integers before UUIDs', () => {
    const ids = [
      '00000000-0000-0000-0000-000000000002',
      7,
      3,
      '00000000-0000-0000-0000-000000000001',
    ];
    expect(ids.sort(compareIds)).toEqual([
      3,
      7,
      '00000000-0000-0000-0000-000000000001',
      '00000000-0000-0000-0000-000000000002',
    ]);
  });
});

describe('numbers as Rust prints them', () => {
  it('prints f32 values with the fewest digits that read back the same', () => {
    expect(f32ForJson(0.9)).toBe(0.9);
    expect(f32ForJson(Math.fround(0.1) * 3)).toBe(0.3);
    expect(f32ForJson(1 / 3)).toBe(0.33333334);
  });

  it('prints f64 like Rust Display: no exponent, always a decimal point', () => {
    expect(rustFloat(2)).toBe('2.0');
    expect(rustFloat(1.5)).toBe('1.5');
    expect(rustFloat(1e-7)).toBe('0.0000001');
    expect(rustFloat(-2.5e-8)).toBe('-0.000000025');
  });
});

describe('cosine', () => {
  it('normalises stored vectors, keeping zero vectors as they are', () => {
    expect([...prepareVector('Cosine', [3, 4])]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect([...prepareVector('Cosine', [0, 0])]).toEqual([0, 0]);
    expect([...prepareVector('Dot', [3, 4])]).toEqual([3, 4]);
  });

  it('scores opposite vectors at -1 and ranks Euclid by distance', () => {
    const left = prepareVector('Cosine', [1, 1]);
    const right = prepareVector('Cosine', [-2, -2]);

    expect(scoreVectors('Cosine', left, right)).toBeCloseTo(-1, 6);
    expect(scoreVectors('Euclid', Float32Array.from([0, 0]), Float32Array.from([3, 4]))).toBe(5);
  });
});
