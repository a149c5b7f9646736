/**
 * Test code: the Qdrant stand-in's API-key check, as Qdrant's middleware does it (FACTS §7).
 * The key comes from the `api-key` header or `Authorization: Bearer <key>`; the root and the
 * health endpoints are open; failures are 401 in plain text.
 */
import type { IncomingHttpHeaders } from 'node:http';

import { invalidApiKey, missingApiKey, type StandinError } from './errors.js';

export type Access = 'manage' | 'read-only';

export interface ApiKeys {
  apiKey?: string;
  readOnlyApiKey?: string;
}

/** What the caller may do, or the 401 Qdrant answers. */
export function authorise(
  keys: ApiKeys,
  path: string,
  headers: IncomingHttpHeaders,
): Access | StandinError {
  if (keys.apiKey === undefined && keys.readOnlyApiKey === undefined) {
    return 'manage';
  }

  if (isOpenPath(path)) {
    return 'manage';
  }

  const key = presentedKey(headers);
  if (key === undefined) {
    return missingApiKey();
  }

  if (key === keys.apiKey) {
    return 'manage';
  }

  if (key === keys.readOnlyApiKey) {
    return 'read-only';
  }

  return invalidApiKey();
}

function isOpenPath(path: string): boolean {
  return (
    path === '/' || path === '/healthz' || path.startsWith('/readyz') || path.startsWith('/livez')
  );
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['api-key'];
  if (typeof header === 'string') {
    return header;
  }

  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  return bearer?.[1];
}
