/**
 * Test code: Qdrant filter evaluation for the stand-in. Supported: `must` / `should` /
 * `must_not` / `min_should`, nested filters, `has_id`, `has_vector`, `is_empty`, `is_null`, and
 * field conditions with `match` (`value`, `any`, `except`) or a numeric `range`. Keys may be
 * dotted paths (`a.b`) and may step into arrays (`a[].b`); an array matches when any element
 * does. Anything else (full-text match, geo, datetime ranges, `values_count`, `nested`)
 * answers 501 rather than guessing.
 */
import { notImplemented } from './errors.js';
import { idKey, pointIdFromJson, type PointId } from './point-ids.js';

export interface FilterablePoint {
  id: PointId;
  payload: Record<string, unknown>;
  vectorNames: Iterable<string>;
}

type Json = Record<string, unknown>;

/** True when the point passes the filter; an absent filter passes everything. */
export function matchesFilter(filter: unknown, point: FilterablePoint): boolean {
  if (!isObject(filter)) {
    return true;
  }

  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);

  if (!must.every((condition) => matchesCondition(condition, point))) {
    return false;
  }

  if (should.length > 0 && !should.some((condition) => matchesCondition(condition, point))) {
    return false;
  }

  if (mustNot.some((condition) => matchesCondition(condition, point))) {
    return false;
  }

  return matchesMinShould(filter.min_should, point);
}

/**
 * Throws the 501 for a filter the stand-in cannot evaluate. It runs before any point is read,
 * because evaluation short-circuits and could skip the unsupported part.
 */
export function assertFilterSupported(filter: unknown): void {
  if (!isObject(filter)) {
    return;
  }

  const minShould = isObject(filter.min_should) ? filter.min_should.conditions : undefined;
  const conditions = [filter.must, filter.should, filter.must_not, minShould].flatMap(asList);

  for (const condition of conditions) {
    assertConditionSupported(condition);
  }
}

function assertConditionSupported(condition: unknown): void {
  if (!isObject(condition)) {
    return;
  }

  if ('nested' in condition) {
    throw notImplemented('the `nested` filter condition');
  }

  if (!('key' in condition)) {
    assertFilterSupported(condition);
    return;
  }

  for (const unsupported of ['geo_bounding_box', 'geo_radius', 'geo_polygon', 'values_count']) {
    if (condition[unsupported] !== undefined && condition[unsupported] !== null) {
      throw notImplemented(`the \`${unsupported}\` field condition`);
    }
  }

  const match = condition.match;
  if (isObject(match) && !('value' in match || 'any' in match || 'except' in match)) {
    throw notImplemented('full-text `match` conditions (`text`, `text_any`, `phrase`)');
  }

  const range = isObject(condition.range) ? Object.values(condition.range) : [];
  if (range.some((bound) => typeof bound === 'string')) {
    throw notImplemented('datetime ranges');
  }

  const checks = ['match', 'range', 'is_empty', 'is_null'].filter((name) => {
    return condition[name] !== undefined && condition[name] !== null;
  });
  if (checks.length === 0) {
    throw notImplemented('a field condition with no `match`, `range`, `is_empty` or `is_null`');
  }
}

function matchesMinShould(minShould: unknown, point: FilterablePoint): boolean {
  if (!isObject(minShould)) {
    return true;
  }

  const conditions = asList(minShould.conditions);
  const passed = conditions.filter((condition) => matchesCondition(condition, point)).length;
  return passed >= Number(minShould.min_count);
}

/** Conditions are an untagged enum; the first variant whose required key is present wins. */
function matchesCondition(condition: unknown, point: FilterablePoint): boolean {
  if (!isObject(condition)) {
    return false;
  }

  if ('key' in condition) {
    return matchesField(condition, point);
  }

  if ('is_empty' in condition) {
    return valuesAt(point.payload, keyOf(condition.is_empty)).length === 0;
  }

  if ('is_null' in condition) {
    return isNullAt(point.payload, keyOf(condition.is_null));
  }

  if ('has_id' in condition) {
    const wanted = asList(condition.has_id).map((id) => idKey(pointIdFromJson(id)!));
    return wanted.includes(idKey(point.id));
  }

  if ('has_vector' in condition) {
    return [...point.vectorNames].includes(String(condition.has_vector));
  }

  return matchesFilter(condition, point);
}

function matchesField(condition: Json, point: FilterablePoint): boolean {
  const key = String(condition.key);
  const values = valuesAt(point.payload, key);

  if (isObject(condition.match) && !matchesMatch(condition.match, values)) {
    return false;
  }

  if (isObject(condition.range) && !matchesRange(condition.range, values)) {
    return false;
  }

  if (typeof condition.is_empty === 'boolean' && (values.length === 0) !== condition.is_empty) {
    return false;
  }

  if (typeof condition.is_null === 'boolean') {
    return isNullAt(point.payload, key) === condition.is_null;
  }

  return true;
}

function matchesMatch(match: Json, values: unknown[]): boolean {
  if ('value' in match) {
    return values.some((value) => value === match.value);
  }

  if ('any' in match) {
    const any = asList(match.any);
    return values.some((value) => any.includes(value));
  }

  // `except`: "should have at least one value not matching any of the given values".
  const except = asList(match.except);
  return values.length === 0 || values.some((value) => !except.includes(value));
}

function matchesRange(range: Json, values: unknown[]): boolean {
  const { lt, gt, lte, gte } = range as Record<string, number | null | undefined>;

  return values.some((value) => {
    if (typeof value !== 'number') {
      return false;
    }
    return (
      (lt == null || value < lt) &&
      (gt == null || value > gt) &&
      (lte == null || value <= lte) &&
      (gte == null || value >= gte)
    );
  });
}

/** Every non-null value at a key path, with arrays at the end of the path flattened. */
function valuesAt(payload: Json, key: string): unknown[] {
  let current: unknown[] = [payload];

  for (const part of key.split('.')) {
    const name = part.replace(/\[\d*\]$/, '');
    const next: unknown[] = [];

    for (const value of current) {
      if (isObject(value) && name in value) {
        next.push(value[name]);
      }
    }

    current = part.endsWith('[]') ? next.flatMap((value) => asList(value)) : next;
  }

  return current.flatMap((value) => asList(value)).filter((value) => value !== null);
}

function isNullAt(payload: Json, key: string): boolean {
  const parts = key.split('.');
  let current: unknown = payload;

  for (const part of parts) {
    if (!isObject(current) || !(part in current)) {
      return false;
    }
    current = current[part];
  }

  return current === null;
}

function keyOf(field: unknown): string {
  return isObject(field) ? String(field.key) : String(field);
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
