/**
 * A JSON syntax error as `file:line:column: reason`, followed by the line and a caret under the
 * column. JSON.parse's `message` gives the reason and position for most errors; for the others the
 * position is found by scanning the text. Pure.
 */
export function jsonSyntaxError(file: string, text: string, message: string): string {
  const given = /at position (\d+)/.exec(message);
  const offset = Math.min(given ? Number(given[1]) : (firstErrorOffset(text) ?? text.length), text.length);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const line = text.slice(0, lineStart).split('\n').length;
  const column = offset - lineStart + 1;
  const source = text.slice(lineStart).split('\n')[0].replace(/\r$/, '');
  // Without a position V8 quotes the text around the error instead, which the caret shows better.
  const reason = given
    ? message.replace(/\s*in JSON at position \d+.*$/s, '')
    : offset < text.length
      ? `unexpected ${JSON.stringify(text[offset])}`
      : 'the file ends before the JSON does';
  return `${file}:${line}:${column}: not valid JSON: ${reason}\n    ${source}\n    ${' '.repeat(column - 1)}^`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** Where strict JSON (RFC 8259) first goes wrong in `text`, or null when it is valid. */
export function firstErrorOffset(text: string): number | null {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (c: string) => (text[i] === c ? i++ : fail());
  const string = () => {
    expect('"');
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) fail();
        i = ESCAPE.lastIndex;
      } else if (text.charCodeAt(i) < 0x20) fail();
      else i++;
    }
    expect('"');
  };
  // The opening bracket is consumed; items up to the closing one, separated by commas.
  const items = (close: string, item: () => void) => {
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      space();
      if (text[i] === ',') i++;
      else return void expect(close);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      items('}', () => {
        space();
        string();
        space();
        expect(':');
        value();
      });
    } else if (c === '[') {
      i++;
      items(']', value);
    } else if (c === '"') string();
    else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      if (word) i += word.length;
      else {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) fail();
        i = NUMBER.lastIndex;
      }
    }
  };
  try {
    value();
    space();
    return i < text.length ? i : null;
  } catch (e) {
    if (e instanceof SyntaxAt) return e.offset;
    throw e;
  }
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}
