/**
 * Test code: the failures the Qdrant stand-in answers with, worded exactly as Qdrant 1.17 words
 * them (see shared/qdrant/FACTS.md §2). Handlers throw a `StandinError`; the server turns it
 * into the envelope `{status: {error}, time}` or, for auth failures, into plain text.
 */

/** The request-size limit of Qdrant's JSON extractor: `max_request_size_mb: 32`. */
export const MAX_BODY_BYTES = 33_554_432;

export class StandinError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;

  /**
   * True for errors raised while extracting the request (body, query, path): Qdrant builds
   * those in a separate handler that always reports `"time": 0.0`.
   */
  readonly fromExtractor: boolean;

  /** A plain-text body with no Content-Type (401 from the auth middleware). */
  readonly plainText: boolean;

  /** Seconds for a `Retry-After` header (429 only). */
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    message: string,
    opts: { fromExtractor?: boolean; plainText?: boolean; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'StandinError';
    this.status = status;
    this.fromExtractor = opts.fromExtractor ?? false;
    this.plainText = opts.plainText ?? false;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function collectionNotFound(name: string): StandinError {
  return new StandinError(404, `Not found: Collection \`${name}\` doesn't exist!`);
}

export function collectionAlreadyExists(name: string): StandinError {
  return new StandinError(409, `Wrong input: Collection \`${name}\` already exists!`);
}

export function vectorDimensionError(expected: number, received: number): StandinError {
  const text = `Vector dimension error: expected dim: ${expected}, got ${received}`;
  return new StandinError(400, `Wrong input: ${text}`);
}

export function vectorNameError(name: string): StandinError {
  return new StandinError(400, `Wrong input: Not existing vector name error: ${name}`);
}

export function pointIdNotRecognised(raw: string): StandinError {
  return new StandinError(400, `Wrong input: Can not recognize "${raw}" as point id`);
}

export function pointNotFound(id: string | number): StandinError {
  // "does not exists" is Qdrant's own grammar; clients may match on it.
  return new StandinError(404, `Not found: Point with id ${id} does not exists!`);
}

export function fieldSchemaMissing(): StandinError {
  const text = "Can't auto-detect field type, please specify `field_schema` in the request";
  return new StandinError(400, `Bad request: ${text}`);
}

export function manageAccessRequired(): StandinError {
  return new StandinError(403, 'Forbidden: Global manage access is required');
}

/** A JSON body that serde could not turn into the request type. */
export function bodyFormatError(text: string): StandinError {
  return new StandinError(400, `Format error in JSON body: ${text}`, { fromExtractor: true });
}

/** A query string or path that serde could not turn into the parameter type. */
export function deserializeError(where: 'query parameters' | 'path parameters', text: string) {
  return new StandinError(400, `Deserialize error in ${where}: ${text}`, { fromExtractor: true });
}

/** Values that parsed but broke a `validator` rule: one `field: message` item each. */
export function validationError(
  where: 'JSON body' | 'query parameters' | 'path parameters',
  items: string[],
): StandinError {
  const message = `Validation error in ${where}: [${items.join('; ')}]`;
  return new StandinError(422, message, { fromExtractor: true });
}

/** A body whose Content-Length is over the limit; actix refuses it before reading it. */
export function payloadTooLarge(length: number): StandinError {
  const limit = `(limit: ${MAX_BODY_BYTES} bytes).`;
  const text = `JSON payload (${length} bytes) is larger than allowed ${limit}`;
  return new StandinError(400, `Payload error: ${text}`, { fromExtractor: true });
}

/** A chunked body (no Content-Length) that grew past the limit while being read. */
export function payloadOverflow(): StandinError {
  const text = `JSON payload has exceeded limit (${MAX_BODY_BYTES} bytes).`;
  return new StandinError(400, `Payload error: ${text}`, { fromExtractor: true });
}

export function missingApiKey(): StandinError {
  const text = 'Must provide an API key or an Authorization bearer token';
  return new StandinError(401, text, { plainText: true });
}

export function invalidApiKey(): StandinError {
  return new StandinError(401, 'Invalid API key or JWT', { plainText: true });
}

/**
 * A request real Qdrant would serve but the stand-in does not model. 501 is not a status
 * Qdrant uses; it is chosen so a test that strays here fails loudly instead of passing on
 * made-up behaviour.
 */
export function notImplemented(what: string): StandinError {
  const text = `qdrant stand-in (test code) does not implement ${what}`;
  return new StandinError(501, text);
}
