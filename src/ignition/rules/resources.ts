// Rules for fetched resources: URLs, data URLs, verification hashes, HTTP headers, proxies, and the
// config/CA references of the `ignition` section.
import { dataUrlError } from '../data-url.js';
import { parseGoQuery, parseGoUrl, type GoUrl } from '../go-compat.js';
import type { Path } from '../schema-walk.js';
import { MSG } from './messages.js';
import type { SpecRules } from './spec-rules.js';
import { nilOrEmpty, notEmpty, type RuleContext, type Rules } from './types.js';

function s3VersionIdError(u: GoUrl): string | null {
  const v = parseGoQuery(u.rawQuery).get('versionId');
  return v !== undefined && (v.length === 0 || v[0] === '') ? MSG.invalidS3VersionId : null;
}

/** AWS `arn:` URLs must name an S3 object or access point object (aws-sdk arn.Parse + Ignition's checks). */
function arnError(u: GoUrl): string | null {
  const full = `${u.scheme}:${u.opaque}`;
  if (!full.startsWith('arn:') || full.split(':').length - 1 < 5) return MSG.invalidS3Arn;
  const sections = full.split(':');
  const service = sections[2];
  const resource = sections.slice(5).join(':');
  if (service !== 's3') return MSG.invalidS3Arn;
  const slashParts = full.split('/').length;
  if (resource.startsWith('accesspoint/') ? slashParts < 3 : slashParts < 2) return MSG.invalidS3Arn;
  return s3VersionIdError(u);
}

/** Ignition's validateURL: null when `source` is a URL Ignition can fetch under `spec`. */
export function urlError(source: string, spec: SpecRules): string | null {
  const u = parseGoUrl(source);
  if (u === null) return MSG.invalidUrl;
  if (!spec.urlSchemes.includes(u.scheme)) return MSG.invalidScheme;
  switch (u.scheme) {
    case 's3':
      return s3VersionIdError(u);
    case 'arn':
      return arnError(u);
    case 'data': {
      const reason = dataUrlError(source);
      return reason === null ? null : MSG.invalidDataUrl(reason);
    }
    default:
      return null;
  }
}

function checkUrlNilOK(source: string | null | undefined, path: Path, ctx: RuleContext): void {
  if (notEmpty(source)) {
    const err = urlError(source, ctx.spec);
    if (err !== null) ctx.error(path, err);
  }
}

function requiredSourceError(source: string | null | undefined, spec: SpecRules): string | null {
  return nilOrEmpty(source) ? MSG.sourceRequired : urlError(source as string, spec);
}

function compressionError(c: string | null | undefined): string | null {
  return c === undefined || c === null || c === '' || c === 'gzip' ? null : MSG.compressionInvalid;
}

const HASH_HEX_LENGTH: Record<string, number> = { sha512: 128, sha256: 64 };

interface Fetched {
  compression?: string | null | undefined;
  source?: string | null | undefined;
  verification?: { hash?: string | null | undefined } | undefined;
}

/** The checks shared by 3.0's FileContents and 3.1+'s Resource. */
function checkFetched(r: Fetched, path: Path, ctx: RuleContext): void {
  const c = compressionError(r.compression);
  if (c !== null) ctx.error([...path, 'compression'], c);
  const hash = r.verification?.hash;
  if (hash !== undefined && hash !== null && (r.source === undefined || r.source === null)) {
    ctx.error([...path, 'verification', 'hash'], MSG.verificationNoSource);
  }
  checkUrlNilOK(r.source, [...path, 'source'], ctx);
}

function proxyCheck(value: string | null | undefined, path: Path, ctx: RuleContext, httpOk: boolean): void {
  if (value === undefined || value === null) return;
  const u = parseGoUrl(value);
  if (u === null) ctx.error(path, MSG.invalidUrl);
  else if (u.scheme !== 'http' && u.scheme !== 'https') ctx.error(path, MSG.invalidProxy);
  else if (u.scheme === 'http' && !httpOk) ctx.warn(path, MSG.insecureProxy);
}

export const resourceRules: Rules = {
  Verification(v, path, ctx) {
    const hash = v.hash;
    if (hash === undefined || hash === null) return;
    const dash = hash.indexOf('-');
    const at = [...path, 'hash'];
    if (dash < 0) return ctx.error(at, MSG.hashMalformed);
    const fn = hash.slice(0, dash);
    if (!ctx.spec.hashFunctions.includes(fn)) return ctx.error(at, MSG.hashUnrecognized);
    if (hash.length - dash - 1 !== HASH_HEX_LENGTH[fn]) ctx.error(at, MSG.hashWrongSize);
  },

  // 3.0
  FileContents: checkFetched,
  ConfigReference(r, path, ctx) {
    checkUrlNilOK(r.source, [...path, 'source'], ctx);
  },
  CaReference(r, path, ctx) {
    const err = urlError(r.source ?? '', ctx.spec);
    if (err !== null) ctx.error([...path, 'source'], err);
  },

  // 3.1+
  Resource(r, path, ctx) {
    checkFetched(r, path, ctx);
    if ((r.httpHeaders?.length ?? 0) === 0) return;
    const u = nilOrEmpty(r.source) ? null : parseGoUrl(r.source as string);
    if (u === null) ctx.error([...path, 'httpHeaders'], MSG.invalidUrl);
    else if (u.scheme !== 'http' && u.scheme !== 'https') ctx.error([...path, 'httpHeaders'], MSG.headersScheme);
  },
  HTTPHeader(h, path, ctx) {
    if ((h.name ?? '') === '') ctx.error([...path, 'name'], MSG.headerNameEmpty);
    if (h.value === '') ctx.error([...path, 'value'], MSG.headerValueInvalid);
  },
  IgnitionConfig(ic, path, ctx) {
    if (!ctx.spec.requireResourceSources) return;
    (ic.merge ?? []).forEach((r, i) => {
      const err = requiredSourceError(r.source, ctx.spec);
      if (err !== null) ctx.error([...path, 'merge', i], err);
    });
  },
  TLS(tls, path, ctx) {
    if (!ctx.spec.requireResourceSources) return;
    (tls.certificateAuthorities ?? []).forEach((r, i) => {
      const err = requiredSourceError(r.source, ctx.spec);
      if (err !== null) ctx.error([...path, 'certificateAuthorities', i], err);
    });
  },
  Proxy(p, path, ctx) {
    proxyCheck(p.httpProxy, [...path, 'httpProxy'], ctx, true);
    proxyCheck(p.httpsProxy, [...path, 'httpsProxy'], ctx, false);
  },
};
