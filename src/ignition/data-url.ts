// RFC 2397 data URL checking with the exact acceptance of the decoder Ignition uses
// (github.com/vincent-petithory/dataurl): which media types, parameters and data characters pass.
// Returns a reason on failure. Reasons never quote the URL: file contents are often secrets.

const TSPECIALS = new Set('()<>@,;:\\"/[]?=');
const URL_DATA_EXCLUDED = new Set(' <>#"{}|\\^[]`');

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code <= 0x7f && code > 0x20 && code !== 0x7f && !TSPECIALS.has(c);
}

function isUrlDataChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code <= 0x7f && code > 0x1f && code !== 0x7f && !URL_DATA_EXCLUDED.has(c);
}

const DISCRETE_OR_COMPOSITE = ['text', 'image', 'audio', 'video', 'application', 'message', 'multipart'];

function validRfc2396Escapes(s: string): boolean {
  return !/%(?![0-9a-fA-F]{2})/.test(s);
}

/** strconv.Unquote acceptance for the inside of a double-quoted Go string. */
function validGoQuoted(s: string): boolean {
  if (s.includes('\n')) return false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') continue;
    const e = s[++i];
    if (e !== undefined && 'abfnrtv\\"'.includes(e)) continue;
    const hex = (n: number): string | null => {
      const h = s.slice(i + 1, i + 1 + n);
      return /^[0-9a-fA-F]+$/.test(h) && h.length === n ? h : null;
    };
    if (e === 'x') {
      if (hex(2) === null) return false;
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const h = hex(e === 'u' ? 4 : 8);
      if (h === null) return false;
      const v = parseInt(h, 16);
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
      i += h.length;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const o = s.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return false;
      i += 2;
    } else return false;
  }
  return true;
}

function validBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s);
}

/** null when `url` is a data URL Ignition accepts, else a short reason. */
export function dataUrlError(url: string): string | null {
  if (!url.startsWith('data:')) return 'missing data prefix';
  let pos = 5;
  const next = (): string | undefined => url[pos++];
  let base64 = false;

  // media type: [type "/" subtype] or nothing
  const first = url[pos];
  if (first === undefined) return 'missing comma before data';
  if (first !== ';' && first !== ',') {
    if (!isTokenChar(first)) return 'invalid character after data prefix';
    const start = pos;
    // dataurl treats "x-..." as an extension type and does not check it against the known types
    const xToken = (first === 'x' || first === 'X') && url[pos + 1] === '-';
    pos += xToken ? 2 : first === 'x' || first === 'X' ? 2 : 1;
    for (;;) {
      const c = next();
      if (c === undefined) return 'missing media type slash';
      if (c === '/') break;
      if (!isTokenChar(c)) return 'invalid character for media type';
    }
    const type = url.slice(start, pos - 1);
    if (!xToken && !DISCRETE_OR_COMPOSITE.some((t) => type.startsWith(t))) return 'invalid media type';
    for (;;) {
      const c = url[pos];
      if (c === undefined) return 'incomplete media type';
      if (c === ';' || c === ',') break;
      if (!isTokenChar(c)) return 'invalid character for media subtype';
      pos++;
    }
  }

  // parameters, then ","
  for (;;) {
    const c = next();
    if (c === ',') break;
    if (c !== ';') return c === undefined ? 'missing comma before data' : 'expected semicolon or comma';
    const attrStart = pos;
    const a = url[pos];
    if (a === undefined || a === '=' || a === ',') return 'unterminated parameter sequence';
    if (!isTokenChar(a)) return 'invalid character for parameter attribute';
    let sep: string | undefined;
    for (;;) {
      sep = url[pos];
      if (sep === undefined) return 'unterminated parameter sequence';
      if (sep === '=' || sep === ',') break;
      if (!isTokenChar(sep)) return 'invalid character for parameter attribute';
      pos++;
    }
    if (sep === ',') {
      if (url.slice(attrStart, pos) !== 'base64') return 'expected base64 encoding';
      base64 = true;
      continue; // the loop consumes ","
    }
    pos++; // "="
    const v = next();
    if (v === undefined) return 'missing comma before data';
    if (v === '"') {
      const valStart = pos;
      for (;;) {
        const q = next();
        if (q === undefined) return 'unclosed quoted string';
        if (q === '\\') {
          const esc = next();
          if (esc !== undefined && esc.charCodeAt(0) > 0x7f) return 'invalid escaped character';
          if (esc === undefined) return 'unclosed quoted string';
          continue;
        }
        if (q === '"') break;
        if (q.charCodeAt(0) > 0x7f) return 'invalid character for parameter value';
      }
      if (!validGoQuoted(url.slice(valStart, pos - 1))) return 'invalid quoted parameter value';
    } else {
      if (!isTokenChar(v)) return 'invalid character for parameter value';
      const valStart = pos - 1;
      for (;;) {
        const p = url[pos];
        if (p === undefined) return 'missing comma before data';
        if (p === ';' || p === ',') break;
        if (!isTokenChar(p)) return 'invalid character for parameter value';
        pos++;
      }
      if (!validRfc2396Escapes(url.slice(valStart, pos))) return 'invalid percent-escape in parameter value';
    }
  }

  const data = url.slice(pos);
  if (base64) {
    if (!/^[A-Za-z0-9+/=]*$/.test(data)) return 'invalid data character';
    if (!validBase64(data)) return 'invalid base64 data';
  } else {
    for (const c of data) if (!isUrlDataChar(c)) return 'invalid data character';
    if (!validRfc2396Escapes(data)) return 'invalid percent-escape in data';
  }
  return null;
}
