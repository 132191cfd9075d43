/**
 * Tokens of packetdrill's script language. The parser works statement by
 * statement (one event per line, longer only while brackets are open), so the
 * lexer tokenizes one statement's text and never sees comments.
 */

export type TokenKind = 'num' | 'ident' | 'str' | 'punct' | 'ellipsis';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Numeric value for 'num' tokens (decimal, fractional or 0x hex). */
  value: number;
  /** Offset of the token in the statement text, for error messages. */
  pos: number;
}

export class ScriptSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const PUNCT = '()[]{}<>,=|:~+-*.!/&%';

/** Tokenize one statement. Throws ScriptSyntaxError naming `line` on a character the language does not use. */
export function tokenize(text: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (text.startsWith('...', i)) {
      out.push({ kind: 'ellipsis', text: '...', value: 0, pos: i });
      i += 3;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|\d+(\.\d+)?|\.\d+)/.exec(text.slice(i));
    if (num && !(c === '.' && /[A-Za-z_]/.test(text[i - 1] ?? ''))) {
      const t = num[0];
      out.push({ kind: 'num', text: t, value: Number(t), pos: i });
      i += t.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], value: 0, pos: i });
      i += id[0].length;
      continue;
    }
    if (c === '"') {
      const endQ = text.indexOf('"', i + 1);
      if (endQ < 0) throw new ScriptSyntaxError('unterminated string', line);
      out.push({ kind: 'str', text: text.slice(i + 1, endQ), value: 0, pos: i });
      i = endQ + 1;
      continue;
    }
    if (PUNCT.includes(c)) {
      out.push({ kind: 'punct', text: c, value: 0, pos: i });
      i++;
      continue;
    }
    throw new ScriptSyntaxError(`unexpected character ${JSON.stringify(c)}`, line);
  }
  return out;
}

/** A cursor over one statement's tokens with the small helpers a recursive-descent parser wants. */
export class TokenStream {
  private i = 0;

  constructor(
    private readonly toks: Token[],
    readonly line: number,
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }

  atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  next(): Token {
    const t = this.toks[this.i];
    if (!t) throw this.error('unexpected end of line');
    this.i++;
    return t;
  }

  /** True (and consumed) if the next token is punctuation/ident `text`. */
  accept(text: string): boolean {
    const t = this.toks[this.i];
    if (t && (t.kind === 'punct' || t.kind === 'ident' || t.kind === 'ellipsis') && t.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  expect(text: string): void {
    if (!this.accept(text)) {
      const t = this.peek();
      throw this.error(`expected '${text}' but found ${t ? `'${t.text}'` : 'end of line'}`);
    }
  }

  number(): number {
    const t = this.next();
    if (t.kind !== 'num') throw this.error(`expected a number but found '${t.text}'`);
    return t.value;
  }

  ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw this.error(`expected a name but found '${t.text}'`);
    return t.text;
  }

  error(message: string): ScriptSyntaxError {
    return new ScriptSyntaxError(message, this.line);
  }
}
