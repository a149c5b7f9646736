/**
 * Test code: Qdrant point ids for the stand-in. An id is an unsigned 64-bit integer or a UUID;
 * a UUID may arrive in any of the four spellings the Rust `uuid` crate parses and always goes
 * back out lowercase and hyphenated.
 *
 * Limitation: integers above 2^53 - 1 are JavaScript doubles here, so they are rounded, exactly
 * as the Node 20 client rounds them before they are sent (FACTS §8, "Big integer ids").
 */

export type PointId = number | string;

/** The largest JSON integer accepted as a u64; 2^64 - 1 itself parses to 2^64 as a double. */
const MAX_U64_AS_DOUBLE = 2 ** 64;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The canonical form (lowercase, hyphenated) of a UUID in any spelling `uuid::Uuid::try_parse`
 * accepts, chosen by length as that parser does: 36 hyphenated, 32 plain hex, 38 `{braced}`,
 * 45 `urn:uuid:` prefixed. Undefined for anything else.
 */
export function parseUuid(text: string): string | undefined {
  let hyphenated: string | undefined;

  if (text.length === 36) {
    hyphenated = text;
  } else if (text.length === 38 && text.startsWith('{') && text.endsWith('}')) {
    hyphenated = text.slice(1, -1);
  } else if (text.length === 45 && text.startsWith('urn:uuid:')) {
    hyphenated = text.slice(9);
  } else if (text.length === 32 && HEX32.test(text)) {
    const hex = text.toLowerCase();
    const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
    return `${parts.join('-')}-${hex.slice(20)}`;
  }

  if (hyphenated === undefined || !HYPHENATED.test(hyphenated)) {
    return undefined;
  }

  return hyphenated.toLowerCase();
}

export function isUnsignedId(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_U64_AS_DOUBLE
  );
}

/** The id a JSON body value stands for, or undefined when Qdrant would refuse it. */
export function pointIdFromJson(value: unknown): PointId | undefined {
  if (isUnsignedId(value)) {
    return value;
  }

  if (typeof value === 'string') {
    return parseUuid(value);
  }

  return undefined;
}

/**
 * The id a URL path segment stands for. Qdrant parses it with `FromStr`, so unlike in a JSON
 * body the text `123` is the integer 123 here.
 */
export function pointIdFromPath(text: string): PointId | undefined {
  if (/^\+?\d+$/.test(text)) {
    const value = Number(text.replace('+', ''));
    return isUnsignedId(value) ? value : undefined;
  }

  return parseUuid(text);
}

/** A Map key that tells integers from UUIDs. */
export function idKey(id: PointId): string {
  return typeof id === 'number' ? `n:${id}` : `u:${id}`;
}

/** Qdrant's order: every integer id before every UUID, then ascending. */
export function compareIds(left: PointId, right: PointId): number {
  if (typeof left === 'number' && typeof right === 'number') {
    return left - right;
  }

  if (typeof left === 'number') {
    return -1;
  }

  if (typeof right === 'number') {
    return 1;
  }

  // Lowercase hex compares like the UUID's bytes, which is what Rust's derived Ord uses.
  return left < right ? -1 : left > right ? 1 : 0;
}
