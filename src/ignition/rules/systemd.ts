// Rules for the `systemd` section, and the config-wide check that files do not collide with units.
import { pathExt } from '../go-compat.js';
import { parseUnitContents } from '../systemd-unit.js';
import { MSG } from './messages.js';
import { isTrue, nilOrEmpty, notEmpty, type Rules } from './types.js';

const UNIT_TYPES = ['.service', '.socket', '.device', '.mount', '.automount', '.swap', '.target', '.path', '.timer', '.snapshot', '.slice', '.scope'];
const SYSTEMD_DIR = '/etc/systemd/system/';
const INSTANCE = /^(.+?)@(.+?)\.service$/;

/** Sections of the parsed contents, or null when there are none or they do not parse. */
function sectionsOf(contents: string | null | undefined): string[] | null {
  if (contents === undefined || contents === null) return [];
  const r = parseUnitContents(contents);
  return r.ok ? r.sections : null;
}

export const systemdRules: Rules = {
  Unit(u, path, ctx) {
    if (!UNIT_TYPES.includes(pathExt(u.name ?? ''))) ctx.error([...path, 'name'], MSG.unitExtension);
    const at = [...path, 'contents'];
    const parsed = u.contents === undefined || u.contents === null ? { ok: true as const, sections: [] } : parseUnitContents(u.contents);
    if (!parsed.ok) return ctx.error(at, MSG.unitContent(parsed.reason));
    if (isTrue(u.enabled) && !nilOrEmpty(u.contents) && !parsed.sections.includes('Install')) ctx.warn(at, MSG.noInstallSection);
  },
  Dropin(d, path, ctx) {
    if (d.contents !== undefined && d.contents !== null) {
      const parsed = parseUnitContents(d.contents);
      if (!parsed.ok) ctx.error([...path, 'contents'], MSG.unitContent(parsed.reason));
    }
    if (pathExt(d.name ?? '') !== '.conf') ctx.error([...path, 'name'], MSG.dropinExtension);
  },
  Systemd(s, path, ctx) {
    if (!ctx.spec.ignition215Checks) return;
    const units = new Map((s.units ?? []).map((u) => [u.name ?? '', u]));
    (s.units ?? []).forEach((u, i) => {
      const m = INSTANCE.exec(u.name ?? '');
      if (m === null || !isTrue(u.enabled)) return;
      const template = `${m[1]}@.service`;
      const t = units.get(template);
      if (t === undefined || !notEmpty(t.contents)) return;
      const sections = sectionsOf(t.contents);
      if (sections !== null && !sections.includes('Install')) ctx.warn([...path, 'units', i, 'contents'], MSG.templateNoInstall);
    });
  },
  Config(cfg, path, ctx) {
    if (!ctx.spec.ignition215Checks) return;
    const unitPaths = new Set<string>();
    for (const u of cfg.systemd?.units ?? []) {
      if (notEmpty(u.contents)) unitPaths.add(SYSTEMD_DIR + (u.name ?? ''));
      for (const d of u.dropins ?? []) if (notEmpty(d.contents)) unitPaths.add(`${SYSTEMD_DIR}${u.name ?? ''}.d/${d.name ?? ''}`);
    }
    for (const list of ['files', 'directories', 'links'] as const) {
      (cfg.storage?.[list] ?? []).forEach((n, i) => {
        if (unitPaths.has(n.path ?? '')) ctx.error([...path, 'storage', list, i, 'path'], MSG.pathConflictsSystemd);
      });
    }
  },
};
