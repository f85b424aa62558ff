// Rules for the `storage` section: paths, files/directories/links, disks and partitions,
// filesystems, RAID, LUKS (Clevis, Tang, CEX).
import { cleanPath, isAbsPath, joinPath } from '../go-compat.js';
import type { Path } from '../schema-walk.js';
import { MSG } from './messages.js';
import { isJson } from '../json-position.js';
import { urlError } from './resources.js';
import { byteLength, isFalse, isTrue, nilOrEmpty, notEmpty, type RuleContext, type RuleTypes, type Rules } from './types.js';

/** Ignition's validatePath. */
export function pathError(p: string): string | null {
  if (p === '') return MSG.noPath;
  if (!isAbsPath(p)) return MSG.pathRelative;
  if (cleanPath(p) !== p) return MSG.dirtyPath;
  return null;
}

function checkPath(p: string | null | undefined, path: Path, ctx: RuleContext, nilOk = false): void {
  if (nilOk && nilOrEmpty(p)) return;
  const err = pathError(p ?? '');
  if (err !== null) ctx.error(path, err);
}

function checkMode(mode: number | null | undefined, path: Path, ctx: RuleContext): void {
  if (mode === undefined || mode === null) return;
  if (mode < 0 || mode > 0o7777) ctx.error(path, MSG.illegalMode);
  if (ctx.spec.warnSpecialModeBits && (BigInt(mode) & 0o7000n) !== 0n) ctx.warn(path, MSG.specialModeBits);
}

function checkOwner(o: { id?: number | null | undefined; name?: string | null | undefined }, path: Path, ctx: RuleContext): void {
  if (o.id !== undefined && o.id !== null && notEmpty(o.name)) ctx.error(path, MSG.bothIdAndName);
}

const GUID = /^(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

type Partition = RuleTypes['Partition'];

/** Last MiB of a partition with explicit start and size (size 0 = "fill": ends where it starts). */
function partitionEnd(p: Partition): number {
  return p.sizeMiB === 0 ? p.startMiB! : p.startMiB! + p.sizeMiB! - 1;
}

function overlappingPartition(parts: Partition[]): number | null {
  const placed = (p: Partition): boolean => typeof p.startMiB === 'number' && typeof p.sizeMiB === 'number' && p.startMiB !== 0;
  for (let a = 0; a < parts.length; a++) {
    const p = parts[a]!;
    if (!placed(p)) continue;
    for (let i = 0; i < parts.length; i++) {
      const o = parts[i]!;
      if (i === a || !placed(o)) continue;
      const [ps, pe, os, oe] = [p.startMiB!, partitionEnd(p), o.startMiB!, partitionEnd(o)];
      const startInside = ps >= os && ps <= oe;
      const endInside = pe >= os && pe <= oe;
      const straddles = ps < os && pe > oe;
      if (startInside || endInside || straddles) return i;
    }
  }
  return null;
}

/** Index of a partition reusing an earlier partition's number (Go picks one at random; we take the first). */
function collidingNumber(parts: Partition[]): number | null {
  const seen = new Set<number>();
  for (let i = 0; i < parts.length; i++) {
    const n = parts[i]!.number ?? 0;
    if (n === 0) continue;
    if (seen.has(n)) return i;
    seen.add(n);
  }
  return null;
}

function collidingLabel(parts: Partition[]): number | null {
  const seen = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const l = parts[i]!.label;
    if (l === undefined || l === null) continue;
    if (seen.has(l)) return i;
    seen.add(l);
  }
  return null;
}

const LABEL_LIMITS: Record<string, number> = { ext4: 16, btrfs: 256, xfs: 12, swap: 15, vfat: 11 };
const SPARE_LESS_LEVELS = ['linear', 'raid0', '0', 'stripe'];
const RAID_LEVELS = [...SPARE_LESS_LEVELS, 'raid1', '1', 'mirror', 'raid4', '4', 'raid5', '5', 'raid6', '6', 'raid10', '10'];
const CLEVIS_PINS = ['tpm2', 'tang', 'sss'];

type Clevis = NonNullable<RuleTypes['Luks']['clevis']>;
function clevisPresent(c: Clevis | null | undefined): boolean {
  if (c === undefined || c === null) return false;
  return notEmpty(c.custom?.pin) || (c.tang?.length ?? 0) > 0 || isTrue(c.tpm2) || (typeof c.threshold === 'number' && c.threshold !== 0);
}

function storageLinkChecks(s: RuleTypes['Storage'], path: Path, ctx: RuleContext): void {
  const links = s.links ?? [];
  const dirs = s.directories ?? [];
  const under = (p: string | undefined, l: { path?: string | undefined }): boolean => (p ?? '').startsWith(`${l.path ?? ''}/`);
  dirs.forEach((d, i) => links.forEach((l) => under(d.path, l) && ctx.error([...path, 'directories', i], MSG.directoryUsedSymlink)));
  (s.files ?? []).forEach((f, i) => links.forEach((l) => under(f.path, l) && ctx.error([...path, 'files', i], MSG.fileUsedSymlink)));
  links.forEach((l1, i) => {
    links.forEach((l2) => under(l1.path, l2) && ctx.error([...path, 'links', i], MSG.linkUsedSymlink));
    if (ctx.spec.linkTargetRequired && nilOrEmpty(l1.target)) {
      ctx.error([...path, 'links', i, 'target'], MSG.linkTargetRequired);
      return;
    }
    if (!isTrue(l1.hard)) return;
    const raw = l1.target ?? '';
    let target = cleanPath(raw);
    if (!isAbsPath(target)) target = joinPath(l1.path ?? '', raw);
    dirs.forEach((d) => d.path === target && ctx.error([...path, 'links', i], MSG.hardLinkToDirectory));
    if (ctx.spec.ignition215Checks) {
      for (const [owner, key] of [['user', 'id'], ['user', 'name'], ['group', 'id'], ['group', 'name']] as const) {
        const v = l1[owner]?.[key];
        if (v !== undefined && v !== null) ctx.warn([...path, 'links', i, owner, key], MSG.hardLinkOwner);
      }
    }
  });
  if (ctx.spec.ignition215Checks) {
    const disks = new Map((s.disks ?? []).map((d) => [d.device ?? '', d]));
    (s.filesystems ?? []).forEach((f, i) => {
      const disk = disks.get(f.device ?? '');
      if (disk === undefined) return;
      if ((disk.partitions?.length ?? 0) > 0) ctx.warn([...path, 'filesystems', i, 'device'], MSG.partitionsOverwritten);
      else if (!isTrue(f.wipeFilesystem) && isTrue(disk.wipeTable)) ctx.warn([...path, 'filesystems', i, 'device'], MSG.filesystemImplicitWipe);
    });
  }
}

export const storageRules: Rules = {
  Storage: storageLinkChecks,

  File(f, path, ctx) {
    checkPath(f.path, [...path, 'path'], ctx);
    checkMode(f.mode, [...path, 'mode'], ctx);
    if (isTrue(f.overwrite) && (f.contents?.source === undefined || f.contents.source === null)) {
      ctx.error([...path, 'overwrite'], MSG.overwriteNoSource);
    }
  },
  Directory(d, path, ctx) {
    checkPath(d.path, [...path, 'path'], ctx);
    checkMode(d.mode, [...path, 'mode'], ctx);
  },
  Link(l, path, ctx) {
    checkPath(l.path, [...path, 'path'], ctx);
  },
  NodeUser: checkOwner,
  NodeGroup: checkOwner,

  Disk(d, path, ctx) {
    if ((d.device ?? '') === '') return ctx.error([...path, 'device'], MSG.diskDeviceRequired);
    checkPath(d.device, [...path, 'device'], ctx);
    const parts = d.partitions ?? [];
    const collide = collidingNumber(parts);
    if (collide !== null) ctx.error([...path, 'partitions', collide], MSG.partitionNumbersCollide);
    const overlap = overlappingPartition(parts);
    if (overlap !== null) ctx.error([...path, 'partitions', overlap], MSG.partitionsOverlap);
    if (parts.some((p) => (p.number ?? 0) === 0) && parts.some((p) => isFalse(p.shouldExist))) {
      ctx.error([...path, 'partitions'], MSG.zeroesWithShouldNotExist);
    }
    const label = collidingLabel(parts);
    if (label !== null) ctx.error([...path, 'partitions', label], MSG.duplicateLabels);
  },
  Partition(p, path, ctx) {
    const hasLabel = p.label !== undefined && p.label !== null;
    if (isFalse(p.shouldExist) && (hasLabel || notEmpty(p.typeGuid) || notEmpty(p.guid) || p.startMiB != null || p.sizeMiB != null)) {
      ctx.error(path, MSG.shouldNotExistWithOthers);
    }
    if ((p.number ?? 0) === 0 && !hasLabel) ctx.error(path, MSG.needLabelOrNumber);
    if (hasLabel) {
      if (byteLength(p.label!) > 36) ctx.error([...path, 'label'], MSG.partitionLabelTooLong);
      else if (p.label!.includes(':')) ctx.error([...path, 'label'], MSG.partitionLabelColon);
    }
    for (const key of ['guid', 'typeGuid'] as const) {
      const g = p[key];
      if (g !== undefined && g !== null && !GUID.test(g)) ctx.error([...path, key], MSG.guidFormat);
    }
  },

  Filesystem(f, path, ctx) {
    checkPath(f.path, [...path, 'path'], ctx, true);
    checkPath(f.device, [...path, 'device'], ctx);
    if (nilOrEmpty(f.format)) {
      const others =
        notEmpty(f.path) || notEmpty(f.label) || notEmpty(f.uuid) || isTrue(f.wipeFilesystem) || (f.mountOptions?.length ?? 0) > 0 || (f.options?.length ?? 0) > 0;
      if (others) ctx.error([...path, 'format'], MSG.formatNilWithOthers);
    } else if (!ctx.spec.filesystemFormats.includes(f.format!)) {
      ctx.error([...path, 'format'], MSG.invalidFormat);
    }
    if (nilOrEmpty(f.label)) return;
    if (nilOrEmpty(f.format)) return ctx.error([...path, 'label'], MSG.labelNeedsFormat);
    const max = LABEL_LIMITS[f.format!];
    if (max !== undefined && byteLength(f.label!) > max) ctx.error([...path, 'label'], MSG.labelTooLong(f.format!, max));
  },

  Raid(r, path, ctx) {
    const level = r.level;
    if (ctx.spec.raidLevelRequired && nilOrEmpty(level)) ctx.error([...path, 'level'], MSG.raidLevelRequired);
    else if (!RAID_LEVELS.includes(level ?? '')) ctx.error([...path, 'level'], MSG.unrecognizedRaidLevel);
    else if (SPARE_LESS_LEVELS.includes(level!) && typeof r.spares === 'number' && r.spares !== 0) ctx.error([...path, 'level'], MSG.sparesUnsupported);
    if ((r.devices?.length ?? 0) === 0) ctx.error([...path, 'devices'], MSG.raidDevicesRequired);
  },
  Device(d, path, ctx) {
    checkPath(d, path, ctx);
  },

  Luks(l, path, ctx) {
    if ((l.name ?? '').includes('/')) ctx.error([...path, 'name'], MSG.luksNameSlash);
    if (notEmpty(l.label) && byteLength(l.label) > 47) ctx.error([...path, 'label'], MSG.luksLabelTooLong);
    if (nilOrEmpty(l.device)) ctx.error([...path, 'device'], MSG.diskDeviceRequired);
    else checkPath(l.device, [...path, 'device'], ctx);
    const c = l.clevis;
    const customSet = ctx.spec.clevisCustomIsPointer ? c?.custom !== undefined && c.custom !== null : notEmpty(c?.custom?.pin);
    if (c && customSet && ((c.tang?.length ?? 0) > 0 || isTrue(c.tpm2) || (typeof c.threshold === 'number' && c.threshold !== 0))) {
      ctx.error([...path, 'clevis'], MSG.clevisCustomWithOthers);
    }
    if (notEmpty(l.keyFile?.source) && urlError(l.keyFile.source, ctx.spec) !== null) ctx.error([...path, 'keys'], MSG.luksKeyFile);
    if (isTrue(l.cex?.enabled)) {
      if (clevisPresent(c)) ctx.error([...path, 'cex'], MSG.cexWithClevis);
      if (notEmpty(l.keyFile?.source)) ctx.error([...path, 'cex'], MSG.cexWithKeyFile);
    }
  },
  Custom(c, path, ctx) {
    if ((c.pin ?? '') === '' && (c.config ?? '') === '') return;
    if (!CLEVIS_PINS.includes(c.pin ?? '')) ctx.error([...path, 'pin'], MSG.unknownClevisPin);
    if ((c.config ?? '') === '') ctx.error([...path, 'config'], MSG.clevisConfigRequired);
  },
  ClevisCustom(c, path, ctx) {
    if (nilOrEmpty(c.pin) && nilOrEmpty(c.config) && !isTrue(c.needsNetwork)) return;
    if (notEmpty(c.pin)) {
      if (!CLEVIS_PINS.includes(c.pin)) ctx.error([...path, 'pin'], MSG.unknownClevisPin);
    } else ctx.error([...path, 'pin'], MSG.clevisPinRequired);
    if (nilOrEmpty(c.config)) ctx.error([...path, 'config'], MSG.clevisConfigRequired);
  },
  Tang(t, path, ctx) {
    const u = t.url ?? '';
    const err = urlError(u, { ...ctx.spec, urlSchemes: ['http', 'https'] });
    if (err !== null) ctx.error([...path, 'url'], err);
    if (nilOrEmpty(t.thumbprint)) ctx.error([...path, 'thumbprint'], MSG.tangThumbprintRequired);
    if (notEmpty(t.advertisement) && !isJson(t.advertisement)) ctx.error([...path, 'advertisement'], MSG.tangAdvertisement);
  },
};
