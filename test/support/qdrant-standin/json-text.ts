/**
 * Test code: JSON text handling for the Qdrant stand-in, shaped after serde_json (the parser
 * behind Qdrant's REST API) so error messages read as Qdrant's do: the same wording and the
 * same ` at line L column C` suffix, where the column counts UTF-8 bytes.
 *
 * The happy path is `JSON.parse`; the slower scanner here only runs to describe a failure.
 */

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; message: string };

/** serde_json refuses nesting deeper than this (`remaining_depth` starts at 128). */
const MAX_DEPTH = 127;

/** Parses a request body, describing a syntax error the way serde_json would. */
export function parseJsonText(text: string): JsonParseResult {
  let value: unknown;

  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = findSyntaxError(text) ?? (err as Error).message;
    return { ok: false, message };
  }

  if (nestingDepth(value) > MAX_DEPTH) {
    return { ok: false, message: findSyntaxError(text) ?? 'recursion limit exceeded' };
  }

  return { ok: true, value };
}

/** Line and column as serde_json reports them after `consumed` UTF-16 units were read. */
export function positionSuffix(text: string, consumed: number): string {
  const { line, column } = positionAt(text, consumed);
  return ` at line ${line} column ${column}`;
}

/** serde_json's `position()`: the column is the byte count since the last newline. */
function positionAt(text: string, consumed: number): { line: number; column: number } {
  const lineStart = text.lastIndexOf('\n', consumed - 1) + 1;
  const line = countNewlines(text, lineStart) + 1;
  const column = Buffer.byteLength(text.slice(lineStart, consumed), 'utf8');
  return { line, column };
}

/** The index just past the whitespace that starts at `from`. */
export function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isWhitespace(text.charCodeAt(index))) {
    index += 1;
  }
  return index;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < end;) {
    count += 1;
    index = text.indexOf('\n', index + 1);
  }
  return count;
}

function nestingDepth(root: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];

  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) {
      continue;
    }

    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) {
      return deepest;
    }

    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) {
      stack.push([child, depth + 1]);
    }
  }

  return deepest;
}

export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

class SyntaxFailure extends Error {}

/**
 * Walks the text like serde_json's parser and returns its first syntax error, or undefined if
 * it finds none. `error` positions are after the last consumed byte, `peekError` positions
 * at the next one, as in serde_json's `error`/`peek_error`.
 */
export function findSyntaxError(text: string): string | undefined {
  const scanner = new SyntaxScanner(text);

  try {
    scanner.scanDocument();
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFailure) {
      return err.message;
    }
    throw err;
  }
}

class SyntaxScanner {
  private index = 0;
  private remainingDepth = 128;

  constructor(private readonly text: string) {}

  scanDocument(): void {
    this.scanValue();

    if (this.whitespaceThenPeek() !== undefined) {
      this.peekError('trailing characters');
    }
  }

  private scanValue(): void {
    const next = this.whitespaceThenPeek();

    if (next === undefined) {
      this.peekError('EOF while parsing a value');
    }

    if (next === 'n' || next === 't' || next === 'f') {
      this.index += 1;
      this.scanIdent(next === 'n' ? 'ull' : next === 't' ? 'rue' : 'alse');
    } else if (next === '-') {
      this.index += 1;
      this.scanNumber();
    } else if (isDigit(next)) {
      this.scanNumber();
    } else if (next === '"') {
      this.index += 1;
      this.scanString();
    } else if (next === '[' || next === '{') {
      this.scanContainer(next);
    } else {
      this.peekError('expected value');
    }
  }

  private scanContainer(open: string): void {
    this.remainingDepth -= 1;
    if (this.remainingDepth === 0) {
      this.peekError('recursion limit exceeded');
    }

    this.index += 1;
    if (open === '[') {
      this.scanSequence();
    } else {
      this.scanObject();
    }

    this.remainingDepth += 1;
  }

  private scanIdent(rest: string): void {
    for (const expected of rest) {
      if (this.index >= this.text.length) {
        this.error('EOF while parsing a value');
      }

      const actual = this.text[this.index];
      this.index += 1;
      if (actual !== expected) {
        this.error('expected ident');
      }
    }
  }

  private scanNumber(): void {
    const start = this.index;
    const first = this.text[this.index];

    if (first === undefined) {
      this.error('EOF while parsing a value');
    }

    this.index += 1;
    if (first === '0') {
      if (isDigit(this.text[this.index])) {
        this.peekError('invalid number');
      }
    } else if (isDigit(first)) {
      this.skipDigits();
    } else {
      this.error('invalid number');
    }

    if (this.text[this.index] === '.') {
      this.scanFraction();
    }

    if (this.text[this.index] === 'e' || this.text[this.index] === 'E') {
      this.scanExponent();
    }

    if (!Number.isFinite(Number(this.text.slice(start, this.index)))) {
      this.error('number out of range');
    }
  }

  private scanFraction(): void {
    this.index += 1;

    if (!isDigit(this.text[this.index])) {
      const atEnd = this.index >= this.text.length;
      this.peekError(atEnd ? 'EOF while parsing a value' : 'invalid number');
    }

    this.skipDigits();
  }

  private scanExponent(): void {
    this.index += 1;

    if (this.text[this.index] === '+' || this.text[this.index] === '-') {
      this.index += 1;
    }

    const digit = this.text[this.index];
    if (digit !== undefined) {
      this.index += 1;
    }
    if (!isDigit(digit)) {
      this.error('invalid number');
    }

    this.skipDigits();
  }

  private skipDigits(): void {
    while (isDigit(this.text[this.index])) {
      this.index += 1;
    }
  }

  private scanString(): void {
    for (;;) {
      if (this.index >= this.text.length) {
        this.error('EOF while parsing a string');
      }

      const char = this.text[this.index];
      this.index += 1;

      if (char === '"') {
        return;
      }

      if (char === '\\') {
        this.scanEscape();
      } else if (char.charCodeAt(0) < 0x20) {
        this.error('control character (\\u0000-\\u001F) found while parsing a string');
      }
    }
  }

  private scanEscape(): void {
    if (this.index >= this.text.length) {
      this.error('EOF while parsing a string');
    }

    const escape = this.text[this.index];
    this.index += 1;

    if (escape === 'u') {
      for (let count = 0; count < 4; count += 1) {
        if (this.index >= this.text.length) {
          this.error('EOF while parsing a string');
        }
        const hex = this.text[this.index];
        this.index += 1;
        if (!/[0-9a-fA-F]/.test(hex)) {
          this.error('invalid escape');
        }
      }
      return;
    }

    if (!'"\\/bfnrt'.includes(escape)) {
      this.error('invalid escape');
    }
  }

  private scanSequence(): void {
    let first = true;

    for (;;) {
      let next = this.whitespaceThenPeek();

      if (next === ']') {
        this.index += 1;
        return;
      }

      if (next === ',' && !first) {
        this.index += 1;
        next = this.whitespaceThenPeek();
      } else if (next === undefined) {
        this.peekError('EOF while parsing a list');
      } else if (first) {
        first = false;
      } else {
        this.peekError('expected `,` or `]`');
      }

      if (next === ']') {
        this.peekError('trailing comma');
      }
      if (next === undefined) {
        this.peekError('EOF while parsing a value');
      }

      this.scanValue();
    }
  }

  private scanObject(): void {
    let first = true;

    for (;;) {
      let next = this.whitespaceThenPeek();

      if (next === '}') {
        this.index += 1;
        return;
      }

      if (next === ',' && !first) {
        this.index += 1;
        next = this.whitespaceThenPeek();
      } else if (next === undefined) {
        this.peekError('EOF while parsing an object');
      } else if (first) {
        first = false;
      } else {
        this.peekError('expected `,` or `}`');
      }

      if (next === '}') {
        this.peekError('trailing comma');
      }
      if (next === undefined) {
        this.peekError('EOF while parsing a value');
      }
      if (next !== '"') {
        this.peekError('key must be a string');
      }

      this.index += 1;
      this.scanString();
      this.scanColon();
      this.scanValue();
    }
  }

  private scanColon(): void {
    const next = this.whitespaceThenPeek();

    if (next === undefined) {
      this.peekError('EOF while parsing an object');
    }
    if (next !== ':') {
      this.peekError('expected `:`');
    }

    this.index += 1;
  }

  private whitespaceThenPeek(): string | undefined {
    this.index = skipWhitespace(this.text, this.index);
    return this.text[this.index];
  }

  private error(code: string): never {
    throw new SyntaxFailure(code + positionSuffix(this.text, this.index));
  }

  private peekError(code: string): never {
    if (this.index >= this.text.length) {
      this.error(code);
    }

    // serde_json peeks one byte ahead; a newline there starts the next line at column 0.
    if (this.text[this.index] === '\n') {
      const line = countNewlines(this.text, this.index + 1) + 1;
      throw new SyntaxFailure(`${code} at line ${line} column 0`);
    }

    const { line, column } = positionAt(this.text, this.index);
    throw new SyntaxFailure(`${code} at line ${line} column ${column + 1}`);
  }
}
