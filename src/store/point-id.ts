import { createHash } from 'node:crypto';

// A fixed namespace makes the ids the same on every machine and in both stores. It is a
// random UUID chosen once for idx; changing it would orphan every stored point.
const NAMESPACE = Buffer.from('6f1c2a4e9b7d4c38a5e2d0f3b1c7e915', 'hex');

/**
 * The point id of one (product id, image) pair: a version-5 (SHA-1, name-based) UUID.
 * Qdrant accepts only unsigned integers and UUIDs, so arbitrary product ids (spaces,
 * slashes, emoji, 600 bytes) map to this instead; the originals stay in the payload.
 */
export function pointIdFor(productId: string, imageKey: string): string {
  const name = Buffer.from(`${productId}\u0000${imageKey}`, 'utf8');
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();

  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;

  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
