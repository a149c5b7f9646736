/**
 * Hides the password in a connection URL so it can be printed: `redis://:secret@h:6379`
 * becomes `redis://:***@h:6379`. Strings that are not URLs come back unchanged.
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }

  if (parsed.password) {
    parsed.password = '***';
  }

  return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}

/** Replaces every occurrence of each secret in a text with `***`. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) {
      result = result.split(secret).join('***');
    }
  }
  return result;
}
