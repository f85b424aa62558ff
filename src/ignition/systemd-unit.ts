// systemd unit/drop-in contents checking with the acceptance of the parser Ignition uses
// (go-systemd's unit.Deserialize): which contents it rejects, and which sections it finds.
//
// That parser reads through a 4096-byte bufio.Reader and, before every lexer step, rejects the input
// when at least 2048 bytes are buffered and none of the next 2048 is a line break. Whether a long line
// is caught therefore depends on the buffer's fill state, so the reader is emulated byte for byte.
// Error messages never quote the contents (unit files can hold secrets).

const BUF_SIZE = 4096;
const LINE_MAX = 2048;

export type UnitParseResult = { ok: true; sections: string[] } | { ok: false; reason: string };

class EofError {}
const EOF = new EofError();

/** Go's bufio.Reader over an in-memory byte string (strings.Reader), only the calls the lexer makes. */
class BufReader {
  private readonly buf = new Uint8Array(BUF_SIZE);
  private r = 0;
  private w = 0;
  private src = 0;
  private err: EofError | null = null;
  private lastRuneSize = -1;

  constructor(private readonly data: Uint8Array) {}

  buffered(): number {
    return this.w - this.r;
  }

  private fill(): void {
    if (this.r > 0) {
      this.buf.copyWithin(0, this.r, this.w);
      this.w -= this.r;
      this.r = 0;
    }
    const n = Math.min(BUF_SIZE - this.w, this.data.length - this.src);
    if (n === 0) {
      this.err = EOF;
      return;
    }
    this.buf.set(this.data.subarray(this.src, this.src + n), this.w);
    this.src += n;
    this.w += n;
  }

  peek(n: number): Uint8Array {
    while (this.w - this.r < n && this.w - this.r < BUF_SIZE && this.err === null) this.fill();
    return this.buf.subarray(this.r, Math.min(this.w, this.r + n));
  }

  /** The next rune (code point), or null at end of input. Invalid UTF-8 decodes as U+FFFD, width 1. */
  readRune(): number | null {
    while (this.r + 4 > this.w && !fullRune(this.buf.subarray(this.r, this.w)) && this.err === null && this.w - this.r < BUF_SIZE) {
      this.fill();
    }
    this.lastRuneSize = -1;
    if (this.r === this.w) return null;
    const [rune, size] = decodeRune(this.buf.subarray(this.r, this.w));
    this.r += size;
    this.lastRuneSize = size;
    return rune;
  }

  unreadRune(): void {
    if (this.lastRuneSize >= 0) this.r -= this.lastRuneSize;
    this.lastRuneSize = -1;
  }

  /** Bytes up to and including `delim`; `eof` when input ended first (bytes then hold the rest). */
  readBytes(delim: number): { bytes: Uint8Array; eof: boolean } {
    const chunks: Uint8Array[] = [];
    for (;;) {
      let s = 0;
      let frag: Uint8Array | null = null;
      let full = false;
      for (;;) {
        const idx = this.buf.subarray(this.r + s, this.w).indexOf(delim);
        if (idx >= 0) {
          frag = this.buf.slice(this.r, this.r + s + idx + 1);
          this.r += s + idx + 1;
          break;
        }
        if (this.err !== null) {
          frag = this.buf.slice(this.r, this.w);
          this.r = this.w;
          this.err = null; // readErr() clears it
          chunks.push(frag);
          return { bytes: concat(chunks), eof: true };
        }
        if (this.buffered() >= BUF_SIZE) {
          frag = this.buf.slice(0, BUF_SIZE);
          this.r = this.w;
          full = true;
          break;
        }
        s = this.w - this.r;
        this.fill();
      }
      chunks.push(frag);
      if (!full) return { bytes: concat(chunks), eof: false };
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// utf8.FullRune / utf8.DecodeRune
const ACCEPT: Record<number, [number, number]> = { 0xe0: [0xa0, 0xbf], 0xed: [0x80, 0x9f], 0xf0: [0x90, 0xbf], 0xf4: [0x80, 0x8f] };

function runeLength(b0: number): number {
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return 2;
  if (b0 >= 0xe0 && b0 <= 0xef) return 3;
  if (b0 >= 0xf0 && b0 <= 0xf4) return 4;
  return 1; // invalid lead byte
}

function fullRune(p: Uint8Array): boolean {
  if (p.length === 0) return false;
  const need = runeLength(p[0]!);
  if (p.length >= need) return true;
  const [lo, hi] = ACCEPT[p[0]!] ?? [0x80, 0xbf];
  if (p.length > 1 && (p[1]! < lo || p[1]! > hi)) return true;
  if (p.length > 2 && (p[2]! < 0x80 || p[2]! > 0xbf)) return true;
  return false;
}

function decodeRune(p: Uint8Array): [number, number] {
  const b0 = p[0]!;
  const need = runeLength(b0);
  if (need === 1) return [b0 < 0x80 ? b0 : 0xfffd, 1];
  if (p.length < need) return [0xfffd, 1];
  const [lo, hi] = ACCEPT[b0] ?? [0x80, 0xbf];
  if (p[1]! < lo || p[1]! > hi) return [0xfffd, 1];
  for (let k = 2; k < need; k++) if (p[k]! < 0x80 || p[k]! > 0xbf) return [0xfffd, 1];
  let r = b0 & (need === 2 ? 0x1f : need === 3 ? 0x0f : 0x07);
  for (let k = 1; k < need; k++) r = (r << 6) | (p[k]! & 0x3f);
  return [r, need];
}

// unicode.IsSpace
const UNICODE_SPACES = new Set([0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
function isSpace(r: number): boolean {
  return (r >= 0x09 && r <= 0x0d) || r === 0x20 || UNICODE_SPACES.has(r) || (r >= 0x2000 && r <= 0x200a);
}

const utf8 = new TextDecoder();
function trimSpace(b: Uint8Array): string {
  let s = utf8.decode(b);
  while (s.length > 0 && isSpace(s.codePointAt(0)!)) s = s.slice(String.fromCodePoint(s.codePointAt(0)!).length);
  while (s.length > 0 && isSpace(s.charCodeAt(s.length - 1))) s = s.slice(0, -1);
  return s;
}

const NL = 0x0a;
const CR = 0x0d;
const isComment = (r: number): boolean => r === 0x23 || r === 0x3b; // # ;

type Step =
  | { kind: 'nextSection' }
  | { kind: 'sectionName' }
  | { kind: 'sectionSuffix' }
  | { kind: 'ignoreLine'; then: 'nextSection' | 'nextSectionOrOption' }
  | { kind: 'nextSectionOrOption' }
  | { kind: 'optionName' }
  | { kind: 'optionValue' };

class UnitContentError extends Error {}

/** Parse unit file contents as Ignition does; on success, the section of every option found. */
export function parseUnitContents(contents: string): UnitParseResult {
  const rd = new BufReader(new TextEncoder().encode(contents));
  const sections: string[] = [];
  let section = '';

  const toEol = (): { line: Uint8Array; eof: boolean } => {
    const { bytes, eof } = rd.readBytes(NL);
    let line = bytes;
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    if (line[line.length - 1] === NL) line = line.subarray(0, -1);
    return { line, eof };
  };

  const stepOnce = (step: Step): Step | null => {
    switch (step.kind) {
      case 'nextSection': {
        const r = rd.readRune();
        if (r === null) return null;
        if (r === 0x5b) return { kind: 'sectionName' };
        if (isComment(r)) return { kind: 'ignoreLine', then: 'nextSection' };
        return step;
      }
      case 'sectionName': {
        const { bytes, eof } = rd.readBytes(0x5d);
        if (eof) throw new UnitContentError('unable to find end of section');
        section = utf8.decode(bytes.subarray(0, -1));
        return { kind: 'sectionSuffix' };
      }
      case 'sectionSuffix':
        if (trimSpace(toEol().line) !== '') throw new UnitContentError('found garbage after section name');
        return { kind: 'nextSectionOrOption' };
      case 'ignoreLine':
        for (;;) {
          let { line } = toEol();
          if (line[line.length - 1] === 0x20) line = line.subarray(0, -1);
          if (line[line.length - 1] !== 0x5c) break;
        }
        return { kind: step.then };
      case 'nextSectionOrOption': {
        const r = rd.readRune();
        if (r === null) return null;
        if (isSpace(r)) return step;
        if (r === 0x5b) return { kind: 'sectionName' };
        if (isComment(r)) return { kind: 'ignoreLine', then: 'nextSectionOrOption' };
        rd.unreadRune();
        return { kind: 'optionName' };
      }
      case 'optionName':
        for (;;) {
          const r = rd.readRune();
          if (r === null) throw new UnitContentError('unexpected end of contents in an option name (missing "=")');
          if (r === NL || r === CR) throw new UnitContentError('unexpected newline encountered while parsing option name');
          if (r === 0x3d) return { kind: 'optionValue' };
        }
      case 'optionValue': {
        const { line, eof } = toEol();
        const continued = line.length > 0 && line[line.length - 1] === 0x5c && trimSpace(line) !== '';
        if (continued && !eof) return step; // the value goes on on the next line (a new lexer step)
        sections.push(section);
        return { kind: 'nextSectionOrOption' };
      }
    }
  };

  let step: Step | null = { kind: 'nextSection' };
  try {
    while (step !== null) {
      if (rd.buffered() >= LINE_MAX && !rd.peek(LINE_MAX).some((b) => b === NL || b === CR)) {
        throw new UnitContentError(`line too long (max ${LINE_MAX} bytes)`);
      }
      step = stepOnce(step);
    }
  } catch (err) {
    if (err instanceof UnitContentError) return { ok: false, reason: err.message };
    throw err;
  }
  return { ok: true, sections };
}
