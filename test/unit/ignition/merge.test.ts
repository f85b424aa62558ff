import { describe, expect, it } from 'vitest';
import { addFile, addUnit, mergeConfigs, type IgnitionJson } from '../../../src/ignition/merge.js';
import { validateIgnition } from '../../../src/ignition/validate.js';
import { Day0Error } from '../../../src/util/errors.js';

const userConfig = (): IgnitionJson => ({
  ignition: { version: '3.3.0', timeouts: { httpTotal: 30 } },
  passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAA user'] }] },
  storage: {
    files: [
      { path: '/etc/b', contents: { source: 'data:,b' } },
      { path: '/etc/a', mode: 420, contents: { source: 'data:,a' } },
    ],
    links: [{ path: '/etc/l', target: '/t' }],
  },
  systemd: { units: [{ name: 'user.service', enabled: true, contents: '[Install]\nWantedBy=multi-user.target\n' }] },
  comment: 'kept as is',
});

describe('mergeConfigs', () => {
  it("adds a fragment's entries after the user's, keeping every user entry and its order", () => {
    const parent = userConfig();
    const before = structuredClone(parent);
    const merged = mergeConfigs(parent, {
      storage: { files: [{ path: '/usr/local/bin/day0-check', mode: 493, contents: { source: 'data:,x' } }] },
      systemd: { units: [{ name: 'day0-boot-check.service', enabled: true }] },
    });
    expect(parent).toEqual(before); // inputs are not modified
    expect(merged).toEqual({
      ...before,
      storage: { ...(before.storage as object), files: [...((before.storage as { files: unknown[] }).files), { path: '/usr/local/bin/day0-check', mode: 493, contents: { source: 'data:,x' } }] },
      systemd: { units: [...((before.systemd as { units: unknown[] }).units), { name: 'day0-boot-check.service', enabled: true }] },
    });
    expect(validateIgnition(JSON.stringify(merged)).errors).toEqual([]);
  });

  it('merges entries with the same key field by field: set child values win, unset ones keep the parent\'s', () => {
    const merged = mergeConfigs(userConfig(), { storage: { files: [{ path: '/etc/a', overwrite: true, contents: { compression: 'gzip' } }] } });
    const files = (merged.storage as { files: unknown[] }).files;
    expect(files).toEqual([
      { path: '/etc/b', contents: { source: 'data:,b' } },
      { path: '/etc/a', mode: 420, overwrite: true, contents: { source: 'data:,a', compression: 'gzip' } },
    ]);
  });

  it('lets a child entry in another list of the same key space replace the parent\'s (link → file)', () => {
    const merged = mergeConfigs(userConfig(), { storage: { files: [{ path: '/etc/l', contents: { source: 'data:,now-a-file' } }] } });
    const storage = merged.storage as { files: { path: string }[]; links?: unknown[] };
    expect(storage.links).toBeUndefined();
    expect(storage.files.map((f) => f.path)).toEqual(['/etc/b', '/etc/a', '/etc/l']);
  });

  it('merges units and their drop-ins by name', () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.0.0' }, systemd: { units: [{ name: 'a.service', enabled: true, dropins: [{ name: '1.conf', contents: 'x' }] }] } },
      { systemd: { units: [{ name: 'a.service', mask: true, dropins: [{ name: '2.conf' }, { name: '1.conf', contents: 'y' }] }] } },
    );
    expect(merged.systemd).toEqual({ units: [{ name: 'a.service', enabled: true, mask: true, dropins: [{ name: '1.conf', contents: 'y' }, { name: '2.conf' }] }] });
  });

  it('appends lists that may hold duplicates (file append, filesystem options)', () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.1.0' }, storage: { files: [{ path: '/f', append: [{ source: 'data:,1' }] }], filesystems: [{ device: '/dev/vdb', format: 'ext4', options: ['-F'] }] } },
      { storage: { files: [{ path: '/f', append: [{ source: 'data:,1' }] }], filesystems: [{ device: '/dev/vdb', options: ['-F'] }] } },
    );
    expect(merged.storage).toEqual({
      files: [{ path: '/f', append: [{ source: 'data:,1' }, { source: 'data:,1' }] }],
      filesystems: [{ device: '/dev/vdb', format: 'ext4', options: ['-F', '-F'] }],
    });
  });

  it('removes a parent HTTP header when the child names it without a value', () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.2.0' }, storage: { files: [{ path: '/f', contents: { source: 'https://x/f', httpHeaders: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] } }] } },
      { storage: { files: [{ path: '/f', contents: { httpHeaders: [{ name: 'A' }] } }] } },
    );
    expect((merged.storage as { files: { contents: unknown }[] }).files[0]!.contents).toEqual({ source: 'https://x/f', httpHeaders: [{ name: 'B', value: '2' }] });
  });

  it('treats kernel arguments that should and should not exist as one key space', () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.3.0' }, kernelArguments: { shouldExist: ['quiet', 'rhgb'] } },
      { kernelArguments: { shouldNotExist: ['rhgb'], shouldExist: ['quiet'] } },
    );
    expect(merged.kernelArguments).toEqual({ shouldExist: ['quiet'], shouldNotExist: ['rhgb'] });
  });

  it('replaces a struct behind a pointer whole (3.2 Clevis)', () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.2.0' }, storage: { luks: [{ name: 'r', device: '/dev/a', clevis: { tpm2: true, threshold: 1 } }] } },
      { storage: { luks: [{ name: 'r', clevis: { tang: [{ url: 'http://t', thumbprint: 'z' }] } }] } },
    );
    expect(merged.storage).toEqual({ luks: [{ name: 'r', device: '/dev/a', clevis: { tang: [{ url: 'http://t', thumbprint: 'z' }] } }] });
  });

  it("takes plain (non-nullable) values from the child even when it leaves them unset, as Ignition's Go merge does", () => {
    const merged = mergeConfigs(
      { ignition: { version: '3.0.0' }, storage: { raid: [{ name: 'md0', level: 'raid1', devices: ['/dev/a'] }], disks: [{ device: '/dev/v', partitions: [{ number: 3, label: 'x', sizeMiB: 5 }] }] } },
      { storage: { raid: [{ name: 'md0', devices: ['/dev/b'] }], disks: [{ device: '/dev/v', partitions: [{ number: 3, sizeMiB: 8 }, { label: 'y' }] }] } },
    );
    expect(merged.storage).toEqual({
      // 3.0's raid level is a plain string: the child's empty one wins; devices merge as keyed strings
      raid: [{ name: 'md0', devices: ['/dev/a', '/dev/b'] }],
      // partitions merge by number (else label); label is nullable, so the parent's stays
      disks: [{ device: '/dev/v', partitions: [{ number: 3, label: 'x', sizeMiB: 8 }, { label: 'y' }] }],
    });
  });

  it('refuses configs of different or unknown versions', () => {
    expect(() => mergeConfigs(userConfig(), { ignition: { version: '3.2.0' } })).toThrow(/different spec versions \(3\.3\.0 and 3\.2\.0\)/);
    expect(() => mergeConfigs({ ignition: { version: '9.9.9' } }, {})).toThrow(Day0Error);
    expect(() => mergeConfigs({}, {})).toThrow(/no ignition.version/);
    expect(() => mergeConfigs({ ignition: { version: '3.3.0' }, storage: { files: {} } }, {})).toThrow(/\$\.storage\.files should be a list/);
  });
});

describe('addUnit / addFile', () => {
  it('add to the user config', () => {
    const withUnit = addUnit(userConfig(), { name: 'day0-boot-check.service', enabled: true, contents: '[Unit]\n' });
    const withFile = addFile(withUnit, { path: '/etc/day0', contents: { source: 'data:,1' } });
    expect((withFile.systemd as { units: { name: string }[] }).units.map((u) => u.name)).toEqual(['user.service', 'day0-boot-check.service']);
    expect((withFile.storage as { files: { path: string }[] }).files.map((f) => f.path)).toEqual(['/etc/b', '/etc/a', '/etc/day0']);
    expect(validateIgnition(JSON.stringify(withFile)).errors).toEqual([]);
  });

  it("refuse to change the user's own units and paths", () => {
    expect(() => addUnit(userConfig(), { name: 'user.service' })).toThrow(/already defines systemd unit user.service/);
    expect(() => addFile(userConfig(), { path: '/etc/l' })).toThrow(/already has an entry for \/etc\/l in storage.links/);
  });
});
