import { StringDecoder } from "node:string_decoder";

/**
 * A streaming XML tokenizer for nmap's reports: chunks in, element events out, memory bounded by the
 * largest single tag or text run (not by the report). Written for this parser instead of taking a
 * general SAX library because the documents must stay byte-identical to the tree parser they replace:
 * values are trimmed of literal whitespace BEFORE entities are decoded (so an output that ends in an
 * encoded newline keeps it), which a spec-conforming SAX parser cannot report (it normalises literal
 * whitespace in attribute values and hands back only decoded text). It checks what an nmap report
 * needs to be trusted: balanced and matching tags, one root, quoted attributes, known entities; any
 * violation is an XmlSyntaxError carrying the byte offset and the reason.
 */

export class XmlSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`not well-formed XML at byte ${offset}: ${reason}`);
    this.name = "XmlSyntaxError";
  }
}

export interface SaxHandler {
  /** `attrs`: the attributes as name, value, name, value… (decoded, trimmed), or undefined when there are none. */
  open(name: string, attrs: string[] | undefined, selfClosing: boolean): void;
  close(name: string): void;
  /** Raw text between tags (entities not decoded, not trimmed); only called inside the root element. */
  text(raw: string): void;
  /** False while text would be ignored: the tokenizer then does not cut it out (read before each text run). */
  readonly wantsText?: boolean;
}

/** The value of attribute `name` (the last one, when it is repeated), as `open` gave them. */
export function attrValue(attrs: readonly string[] | undefined, name: string): string | undefined {
  if (attrs) for (let i = attrs.length - 2; i >= 0; i -= 2) if (attrs[i] === name) return attrs[i + 1];
  return undefined;
}

const NAMED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const ENTITY = /&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*)?(;)?/g;

/** Decode the five XML entities and character references; `at()` is the byte offset errors report. */
export function decodeEntities(s: string, at: () => number): string {
  if (s.indexOf("&") < 0) return s;
  return s.replace(ENTITY, (m, ref: string | undefined, semi: string | undefined) => {
    if (!ref || !semi) throw new XmlSyntaxError(at(), `a bare "&" (escape it as &amp;)`);
    if (ref[0] !== "#") {
      const v = NAMED[ref];
      if (v === undefined) throw new XmlSyntaxError(at(), `undefined entity &${ref};`);
      return v;
    }
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!(code > 0 && code <= 0x10ffff)) throw new XmlSyntaxError(at(), `invalid character reference ${m}`);
    return String.fromCodePoint(code);
  });
}

/** `\s` as a regex reads it: the ASCII spaces, or (rarely met) a Unicode one. */
const UNICODE_SPACE = /\s/;
function isSpace(c: number): boolean {
  if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) return true;
  return c > 0x7f ? UNICODE_SPACE.test(String.fromCharCode(c)) : c === 0x0b || c === 0x0c;
}
/** A character of a tag or attribute name: anything but space and `/>="'<&`. */
function isNameChar(c: number): boolean {
  switch (c) {
    case 0x2f: // /
    case 0x3e: // >
    case 0x3d: // =
    case 0x22: // "
    case 0x27: // '
    case 0x3c: // <
    case 0x26: // &
      return false;
    default:
      return !isSpace(c);
  }
}
const TAG_END = /["'>]/g;
const SPACE = /^\s*$/;

/**
 * Feed chunks with `write`, then `end`. The handler runs synchronously inside `write`, so a caller that
 * awaits between writes (publishing what completed) applies back-pressure to the source.
 */
export class SaxTokenizer {
  private readonly decoder = new StringDecoder("utf8");
  private buf = "";
  private pos = 0;
  /** Bytes of the report before `buf[0]`. */
  private base = 0;
  private readonly stack: string[] = [];
  private rootSeen = false;
  /** An incomplete construct at `pos` is not looked at again until this many characters follow `pos`. */
  private waitFor = 0;

  constructor(private readonly handler: SaxHandler) {}

  /** Byte offset of index `i` of the current buffer. */
  private byteAt(i: number): number {
    return this.base + Buffer.byteLength(this.buf.slice(0, i));
  }

  private fail(i: number, reason: string): never {
    throw new XmlSyntaxError(this.byteAt(i), reason);
  }

  write(chunk: Buffer | string): void {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    if (this.pos > 0) {
      this.base += Buffer.byteLength(this.buf.slice(0, this.pos));
      this.buf = this.buf.slice(this.pos) + text;
      this.pos = 0;
    } else this.buf += text;
    // A construct larger than one chunk (a multi-MB banner) is scanned again only once the buffer has
    // doubled, so reading it costs linear time, not one pass per chunk.
    if (this.buf.length - this.pos >= this.waitFor) this.scan(false);
  }

  /** The end of the report: everything must have closed. */
  end(): void {
    this.buf += this.decoder.end();
    this.scan(true);
    if (this.pos < this.buf.length) this.fail(this.pos, "unexpected end of document inside markup");
    if (this.stack.length)
      this.fail(
        this.buf.length,
        `unexpected end of document: <${this.stack[this.stack.length - 1]}> is not closed`,
      );
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.byteAt(this.pos);
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const h = this.handler;
    let pos = this.pos;
    for (;;) {
      const lt = buf.indexOf("<", pos);
      const textEnd = lt < 0 ? buf.length : lt;
      if (textEnd > pos) {
        // Text is passed on whole, so an entity is never split: without a "<" after it, wait for one.
        if (lt < 0 && !final) break;
        if (this.stack.length) {
          if (h.wantsText !== false) h.text(buf.slice(pos, textEnd));
        } else if (!SPACE.test(buf.slice(pos, textEnd))) this.fail(pos, "text outside the root element");
        pos = textEnd;
      }
      if (lt < 0) break;
      const next = buf.charCodeAt(lt + 1);
      if (next !== next) break; // NaN: "<" is the last character so far
      let end: number;
      if (next === 0x2f /* / */) {
        const gt = buf.indexOf(">", lt + 2);
        if (gt < 0) break;
        const name = buf.slice(lt + 2, gt).trimEnd();
        const open = this.stack.pop();
        if (open === undefined) this.fail(lt, `closing tag </${name}> without an open element`);
        if (open !== name) this.fail(lt, `closing tag </${name}> does not match <${open}>`);
        h.close(name);
        end = gt + 1;
      } else if (next === 0x3f /* ? */) {
        const q = buf.indexOf("?>", lt + 2);
        if (q < 0) break;
        end = q + 2;
      } else if (next === 0x21 /* ! */) {
        const e = this.special(buf, lt);
        if (e < 0) break;
        end = e;
      } else {
        const e = this.openTag(buf, lt);
        if (e < 0) break;
        end = e;
      }
      pos = end;
    }
    this.waitFor = final ? 0 : 2 * (buf.length - pos);
    this.pos = pos;
  }

  /** Comments, CDATA and the DOCTYPE: the index after it, or -1 when it is not complete yet. */
  private special(buf: string, lt: number): number {
    if (buf.startsWith("<!--", lt)) {
      const e = buf.indexOf("-->", lt + 4);
      return e < 0 ? -1 : e + 3;
    }
    if (buf.startsWith("<![CDATA[", lt)) {
      const e = buf.indexOf("]]>", lt + 9);
      if (e < 0) return -1;
      if (!this.stack.length) this.fail(lt, "CDATA outside the root element");
      // CDATA is literal text: re-escape the one character decoding would otherwise read as markup.
      this.handler.text(buf.slice(lt + 9, e).replace(/&/g, "&amp;"));
      return e + 3;
    }
    if (buf.startsWith("<!DOCTYPE", lt)) {
      if (this.rootSeen) this.fail(lt, "DOCTYPE after the root element");
      const gt = buf.indexOf(">", lt);
      const sub = buf.indexOf("[", lt);
      if (sub >= 0 && (gt < 0 || sub < gt)) {
        const close = buf.indexOf("]", sub);
        const e = close < 0 ? -1 : buf.indexOf(">", close);
        return e < 0 ? -1 : e + 1;
      }
      return gt < 0 ? -1 : gt + 1;
    }
    if (buf.length - lt < 9) return -1;
    return this.fail(lt, "unknown markup declaration");
  }

  /**
   * A start tag: the index after it, or -1 when it is not complete yet. Scanned by character code (the
   * grammar `\s+name\s*=\s*"value"`, without a regex match object per attribute); a value is decoded
   * only when it holds a "&".
   */
  private openTag(buf: string, lt: number): number {
    const n = buf.length;
    let i = lt + 1;
    while (i < n && isNameChar(buf.charCodeAt(i))) i++;
    if (i === lt + 1) this.fail(lt, "a tag without a name");
    const name = buf.slice(lt + 1, i);
    if (this.stack.length === 0 && this.rootSeen) this.fail(lt, `a second root element <${name}>`);
    let attrs: string[] | undefined;
    let nextLt = -1;
    for (;;) {
      // \s+ name \s* = \s* "value" | 'value' (no "<" in a value); anything else ends the attributes.
      let j = i;
      while (j < n && isSpace(buf.charCodeAt(j))) j++;
      if (j === i) break;
      let k = j;
      while (k < n && isNameChar(buf.charCodeAt(k))) k++;
      if (k === j) break;
      let e = k;
      while (e < n && isSpace(buf.charCodeAt(e))) e++;
      if (buf.charCodeAt(e) !== 0x3d /* = */) break;
      e++;
      while (e < n && isSpace(buf.charCodeAt(e))) e++;
      const q = buf.charCodeAt(e);
      if (q !== 0x22 && q !== 0x27) break;
      const close = buf.indexOf(q === 0x22 ? '"' : "'", e + 1);
      if (close < 0) break;
      // The next "<" after the tag's start, looked for once: a value must end before it.
      if (nextLt <= e) {
        nextLt = buf.indexOf("<", e + 1);
        if (nextLt < 0) nextLt = n;
      }
      if (nextLt < close) break;
      let v = buf.slice(e + 1, close).trim();
      if (v.indexOf("&") >= 0) {
        const at = i;
        v = decodeEntities(v, () => this.byteAt(at));
      }
      (attrs ??= []).push(buf.slice(j, k), v);
      i = close + 1;
    }
    // \s* then ">" or "/>"
    let c = i;
    while (c < n && isSpace(buf.charCodeAt(c))) c++;
    const selfClosing = buf.charCodeAt(c) === 0x2f; /* / */
    if (selfClosing) c++;
    if (buf.charCodeAt(c) !== 0x3e /* > */) {
      // Either the tag is not all here yet (a chunk ended inside it) or it is malformed: tell which by
      // looking for its ">" outside quoted values.
      if (this.tagEnd(buf, lt) < 0) return -1;
      this.fail(i, `malformed attribute in <${name}>: ${JSON.stringify(buf.slice(i, i + 40))}`);
    }
    const end = c + 1;
    this.rootSeen = true;
    if (!selfClosing) this.stack.push(name);
    this.handler.open(name, attrs, selfClosing);
    if (selfClosing) this.handler.close(name);
    return end;
  }

  /** The index of the ">" ending the tag at `lt` (outside quoted values), or -1 when it is not here yet. */
  private tagEnd(buf: string, lt: number): number {
    TAG_END.lastIndex = lt + 1;
    for (;;) {
      const m = TAG_END.exec(buf);
      if (!m) return -1;
      if (m[0] === ">") return m.index;
      const close = buf.indexOf(m[0], m.index + 1);
      if (close < 0) return -1;
      TAG_END.lastIndex = close + 1;
    }
  }
}
