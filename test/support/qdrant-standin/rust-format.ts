/**
 * Test code: Rust's and serde's ways of printing values, so the Qdrant stand-in's error
 * messages read exactly as Qdrant's do.
 */

/** serde's `Unexpected` as serde_json prints it. */
export function unexpected(value: unknown): string {
  if (value === null) {
    return 'null';
  }

  if (Array.isArray(value)) {
    return 'sequence';
  }

  switch (typeof value) {
    case 'string':
      return `string ${rustDebugString(value)}`;
    case 'boolean':
      return `boolean \`${value}\``;
    case 'number':
      return Number.isInteger(value)
        ? `integer \`${integerText(value)}\``
        : `floating point \`${rustFloat(value)}\``;
    default:
      return 'map';
  }
}

/** serde's `OneOf` list: "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, …". */
export function expectedNames(names: string[], kind: 'field' | 'variant'): string {
  if (names.length === 0) {
    return `there are no ${kind}s`;
  }

  const quoted = names.map((name) => `\`${name}\``);
  if (quoted.length === 1) {
    return `expected ${quoted[0]}`;
  }

  if (quoted.length === 2) {
    return `expected ${quoted[0]} or ${quoted[1]}`;
  }

  return `expected one of ${quoted.join(', ')}`;
}

export function integerText(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Rust's `Display` for f64 as serde prints it: never an exponent, always a decimal point. */
export function rustFloat(value: number): string {
  if (Number.isInteger(value)) {
    return `${integerText(value)}.0`;
  }

  const text = String(value);
  if (!text.includes('e')) {
    return text;
  }

  const [mantissa, exponentText] = text.split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const pointAt = mantissa.replace('-', '').indexOf('.');
  const integerDigits = (pointAt === -1 ? digits.length : pointAt) + exponent;
  const sign = negative ? '-' : '';

  if (integerDigits <= 0) {
    return `${sign}0.${'0'.repeat(-integerDigits)}${digits}`;
  }

  return `${sign}${digits.slice(0, integerDigits)}.${digits.slice(integerDigits)}`;
}

/** Rust's `{:?}` for a string: quoted, with quotes, backslashes and controls escaped. */
export function rustDebugString(value: string): string {
  let out = '"';

  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') {
      out += `\\${char}`;
    } else if (char === '\n') {
      out += '\\n';
    } else if (char === '\r') {
      out += '\\r';
    } else if (char === '\t') {
      out += '\\t';
    } else if (code === 0) {
      out += '\\0';
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\u{${code.toString(16)}}`;
    } else {
      out += char;
    }
  }

  return `${out}"`;
}

/** serde_json's `Display` for a `Value`: compact JSON, floats with a decimal point. */
export function jsonValueDisplay(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? integerText(value) : rustFloat(value);
  }

  return JSON.stringify(value);
}
