// The few Go standard-library behaviours Ignition's validation depends on, reimplemented so that our
// verdicts match Ignition's exactly: path.Clean/Ext/Join, net/url.Parse (which inputs it rejects and
// how it splits scheme/opaque/query), url.Values parsing, and go-semver version parsing.

/** Go's path.Clean: the shortest lexically equivalent path. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const n = p.length;
  const out: string[] = [];
  let r = 0;
  let dotdot = 0;
  if (rooted) {
    out.push('/');
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (p[r] === '/') {
      r++;
    } else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) {
      r++;
    } else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        // drop the last element and the slash before it
        let removed: string | undefined;
        do removed = out.pop();
        while (out.length > dotdot && removed !== '/');
      } else if (!rooted) {
        if (out.length > 0) out.push('/');
        out.push('.', '.');
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out.push('/');
      for (; r < n && p[r] !== '/'; r++) out.push(p[r]!);
    }
  }
  return out.length === 0 ? '.' : out.join('');
}

export function isAbsPath(p: string): boolean {
  return p.startsWith('/');
}

/** Go's path.Join. */
export function joinPath(...parts: string[]): string {
  const nonEmpty = parts.filter((x) => x !== '');
  return nonEmpty.length === 0 ? '' : cleanPath(nonEmpty.join('/'));
}

/** Go's path.Ext: the suffix from the last dot of the last element, or "". */
export function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// ---- net/url ----

export interface GoUrl {
  scheme: string; // lower-cased, as Go does
  opaque: string;
  rawQuery: string;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

type Mode = 'path' | 'host' | 'zone' | 'user' | 'fragment';

/** Go's shouldEscape, reduced to the modes unescape() consults. */
function shouldEscapeHost(c: string): boolean {
  if (isAlnum(c)) return false;
  if ("!$&'()*+,;=:[]<>\"".includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  return true;
}

/** Go's url.unescape in validation-only form: returns false where Go returns an error. */
function validEscapes(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      const v = parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === 'host' && v < 0x80 && s.slice(i, i + 3) !== '%25') return false;
      if (mode === 'zone' && s.slice(i, i + 3) !== '%25' && v !== 0x20 && v < 0x80 && shouldEscapeHost(String.fromCharCode(v))) return false;
      i += 3;
      continue;
    }
    if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && shouldEscapeHost(c)) return false;
    i++;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  return /^:[0-9]*$/.test(port);
}

function validHost(host: string): boolean {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return false;
    if (!validOptionalPort(host.slice(close + 1))) return false;
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      return validEscapes(host.slice(0, zone), 'host') && validEscapes(host.slice(zone, close), 'zone') && validEscapes(host.slice(close), 'host');
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return false;
  }
  return validEscapes(host, 'host');
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (!validHost(at < 0 ? authority : authority.slice(at + 1))) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  return validUserinfo(userinfo) && validEscapes(userinfo, 'user');
}

function getScheme(raw: string): { scheme: string; rest: string } | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') {
      if (i === 0) return null; // "missing protocol scheme"
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

/** Go's url.Parse: the parts Ignition uses, or null where Go returns an error. */
export function parseGoUrl(raw: string): GoUrl | null {
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  if (hash >= 0 && !validEscapes(raw.slice(hash + 1), 'fragment')) return null;
  // stringContainsCTLByte
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return null;
  }
  if (u === '*') return { scheme: '', opaque: '', rawQuery: '' };
  const parts = getScheme(u);
  if (parts === null) return null;
  const scheme = parts.scheme.toLowerCase();
  let rest = parts.rest;
  let rawQuery = '';
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, opaque: rest, rawQuery };
    const segment = rest.split('/', 1)[0]!;
    if (segment.includes(':')) return null; // "first path segment in URL cannot contain colon"
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    if (!validAuthority(authority)) return null;
  }
  if (!validEscapes(rest, 'path')) return null;
  return { scheme, opaque: '', rawQuery };
}

function queryUnescape(s: string): string | null {
  if (!validEscapes(s, 'path')) return null;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    // invalid UTF-8 after unescaping is fine for Go; only the escape syntax matters here
    return s;
  }
}

/** Go's url.Values from a raw query, ignoring malformed pairs as URL.Query() does. */
export function parseGoQuery(rawQuery: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const part of rawQuery.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (key === null || value === null) continue;
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return values;
}

// ---- semver (github.com/coreos/go-semver) ----

export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  preRelease: string;
  metadata: string;
}

const IDENTIFIER = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

function goParseInt(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v > INT64_MAX || v < -INT64_MAX - 1n ? null : v;
}

/** go-semver's NewVersion, or null where it fails ("3.3" or "v3.3.0"; it accepts "03.3.0"). */
export function parseSemver(version: string): SemVer | null {
  let rest = version;
  let metadata = '';
  let preRelease = '';
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    metadata = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
  }
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    preRelease = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
  }
  const dots = rest.split('.');
  if (dots.length < 3) return null;
  const parts = [dots[0]!, dots[1]!, dots.slice(2).join('.')];
  if ((preRelease !== '' && !IDENTIFIER.test(preRelease)) || (metadata !== '' && !IDENTIFIER.test(metadata))) return null;
  const nums = parts.map(goParseInt);
  if (nums.some((x) => x === null)) return null;
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, preRelease, metadata };
}

export function sameSemver(a: SemVer, b: SemVer): boolean {
  return a.major === b.major && a.minor === b.minor && a.patch === b.patch && a.preRelease === b.preRelease && a.metadata === b.metadata;
}
