import { describe, expect, it } from 'vitest';

import { maskUrl, redact } from '../../src/util/mask.js';

describe('maskUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(maskUrl('redis://:s3cret@cache.local:6380/2')).toBe('redis://:***@cache.local:6380/2');
    expect(maskUrl('redis://user:s3cret@h:6379')).toBe('redis://user:***@h:6379');
  });

  it('leaves URLs without a password, and non-URLs, unchanged', () => {
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrl('http://q:6333/')).toBe('http://q:6333/');
    expect(maskUrl('not a url')).toBe('not a url');
  });
});

describe('redact', () => {
  it('replaces every occurrence of each secret', () => {
    expect(redact('key abcd1234 and abcd1234', ['abcd1234', undefined])).toBe('key *** and ***');
  });
});
