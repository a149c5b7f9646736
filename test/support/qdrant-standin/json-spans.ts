/**
 * Test code: finds where a value sits in JSON text, so the Qdrant stand-in can give a shape
 * error the ` at line L column C` serde_json would give it.
 */
import { isWhitespace, skipWhitespace } from './json-text.js';

/** Where one value sits in the text: [start, end), plus the end of its key inside an object. */
export interface ValueSpan {
  start: number;
  end: number;
  keyEnd?: number;
}

/**
 * The span of the value a path points at, in text that is known to be valid JSON. With a
 * duplicated key the last one wins, as it does for `JSON.parse`.
 */
export function locateValue(text: string, path: Array<string | number>): ValueSpan | undefined {
  const reader = new SpanReader(text);
  let span: ValueSpan = { start: reader.skipWhitespace(0), end: 0 };
  span.end = reader.skipValue(span.start);

  for (const step of path) {
    const child = reader.findChild(span.start, step);
    if (!child) {
      return undefined;
    }
    span = child;
  }

  return span;
}

/** Finds values in text already known to be valid JSON. */
class SpanReader {
  constructor(private readonly text: string) {}

  skipWhitespace(from: number): number {
    return skipWhitespace(this.text, from);
  }

  /** The index just past the value that starts at `start`. */
  skipValue(start: number): number {
    const char = this.text[start];

    if (char === '"') {
      return this.skipString(start);
    }

    if (char === '[' || char === '{') {
      return this.skipContainer(start);
    }

    let index = start;
    while (index < this.text.length && !',]}'.includes(this.text[index])) {
      if (isWhitespace(this.text.charCodeAt(index))) {
        break;
      }
      index += 1;
    }
    return index;
  }

  findChild(containerStart: number, step: string | number): ValueSpan | undefined {
    const isArray = this.text[containerStart] === '[';
    let found: ValueSpan | undefined;
    let position = 0;
    let index = containerStart + 1;

    for (;;) {
      index = this.skipWhitespace(index);
      if (this.text[index] === ']' || this.text[index] === '}') {
        return found;
      }

      let keyEnd: number | undefined;
      let key: string | undefined;
      if (!isArray) {
        keyEnd = this.skipString(index);
        key = JSON.parse(this.text.slice(index, keyEnd)) as string;
        index = this.skipWhitespace(keyEnd) + 1;
      }

      const start = this.skipWhitespace(index);
      const end = this.skipValue(start);
      if ((isArray && position === step) || (!isArray && key === step)) {
        found = { start, end, keyEnd };
      }

      position += 1;
      index = this.skipWhitespace(end);
      if (this.text[index] === ',') {
        index += 1;
      }
    }
  }

  private skipString(start: number): number {
    let index = start + 1;
    while (this.text[index] !== '"') {
      index += this.text[index] === '\\' ? 2 : 1;
    }
    return index + 1;
  }

  private skipContainer(start: number): number {
    let depth = 0;
    let index = start;

    for (;;) {
      const char = this.text[index];
      if (char === '"') {
        index = this.skipString(index);
        continue;
      }

      if (char === '[' || char === '{') {
        depth += 1;
      } else if (char === ']' || char === '}') {
        depth -= 1;
        if (depth === 0) {
          return index + 1;
        }
      }
      index += 1;
    }
  }
}
