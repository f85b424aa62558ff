// How Ignition identifies list entries: the Key() of each list element type, the lists exempt from
// duplicate checks, and the lists that share one key space. Both the duplicate check and the config
// merge use these (Ignition's config/validate and config/merge).

type Obj = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const byField = (name: string) => (o: Obj) => str(o[name]);

const KEY_BY_TYPE: Readonly<Record<string, (o: Obj) => string>> = {
  File: byField('path'),
  Directory: byField('path'),
  Link: byField('path'),
  Disk: byField('device'),
  Filesystem: byField('device'),
  Raid: byField('name'),
  Luks: byField('name'),
  Unit: byField('name'),
  Dropin: byField('name'),
  PasswdUser: byField('name'),
  PasswdGroup: byField('name'),
  Resource: byField('source'),
  ConfigReference: byField('source'),
  CaReference: byField('source'),
  FileContents: byField('source'),
  HTTPHeader: byField('name'),
  Tang: byField('url'),
  Partition: (p) => {
    if (typeof p.number === 'number' && p.number !== 0) return `number:${p.number}`;
    if (typeof p.label === 'string') return `label:${p.label}`;
    return '';
  },
};

/** The key of one list element: strings are their own key; structs use their type's Key(). */
export function entryKey(typeName: string | undefined, value: unknown): string {
  if (typeof value === 'string') return value;
  const fn = typeName === undefined ? undefined : KEY_BY_TYPE[typeName];
  return fn && value !== null && typeof value === 'object' ? fn(value as Obj) : '';
}

/** List fields (by struct type) that may hold duplicates and are appended on merge. */
export const IGNORE_DUPLICATES: Readonly<Record<string, readonly string[]>> = {
  File: ['append'],
  Raid: ['options'],
  Filesystem: ['options', 'mountOptions'],
  Luks: ['options'],
};

/** List fields (by struct type) that share one key space; the value names the shared space. */
export const MERGED_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Storage: { directories: 'Node', files: 'Node', links: 'Node' },
  KernelArguments: { shouldExist: 'KernelArgument', shouldNotExist: 'KernelArgument' },
};

export function ignoresDuplicates(typeName: string | undefined, field: string): boolean {
  return typeName !== undefined && (IGNORE_DUPLICATES[typeName]?.includes(field) ?? false);
}

export function keySpace(typeName: string | undefined, field: string): string {
  return (typeName === undefined ? undefined : MERGED_KEYS[typeName]?.[field]) ?? field;
}
