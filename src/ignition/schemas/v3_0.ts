// Ignition config spec 3.0.0 (Ignition 2.0.0+). Reference: ignition-schemas/v3_0.json.
import { z } from 'zod';
import { field, int, list, named, ptrBool, ptrInt, ptrStr, str, struct } from './common.js';

export const VERSION = '3.0.0';

export const Verification = struct('Verification', { hash: ptrStr() });

// -- ignition section
export const ConfigReference = struct('ConfigReference', { source: ptrStr(), verification: field(Verification) });
export const CaReference = struct('CaReference', { source: str(), verification: field(Verification) });
export const IgnitionConfig = struct('IgnitionConfig', { merge: list(ConfigReference), replace: field(ConfigReference) });
export const TLS = struct('TLS', { certificateAuthorities: list(CaReference) });
export const Security = struct('Security', { tls: field(TLS) });
export const Timeouts = struct('Timeouts', { httpResponseHeaders: ptrInt(), httpTotal: ptrInt() });
export const Ignition = struct('Ignition', {
  config: field(IgnitionConfig),
  security: field(Security),
  timeouts: field(Timeouts),
  version: str(),
});

// -- storage section
export const NodeUser = struct('NodeUser', { id: ptrInt(), name: ptrStr() });
export const NodeGroup = struct('NodeGroup', { id: ptrInt(), name: ptrStr() });
/** Fields every file, directory and link has (Go's embedded `Node`). */
export const nodeShape = { group: field(NodeGroup), overwrite: ptrBool(), path: str(), user: field(NodeUser) };
export const FileContents = struct('FileContents', { compression: ptrStr(), source: ptrStr(), verification: field(Verification) });
export const File = struct('File', { ...nodeShape, append: list(FileContents), contents: field(FileContents), mode: ptrInt() });
export const Directory = struct('Directory', { ...nodeShape, mode: ptrInt() });
export const Link = struct('Link', { ...nodeShape, hard: ptrBool(), target: str() });
export const Partition = struct('Partition', {
  guid: ptrStr(),
  label: ptrStr(),
  number: int(),
  shouldExist: ptrBool(),
  sizeMiB: ptrInt(),
  startMiB: ptrInt(),
  typeGuid: ptrStr(),
  wipePartitionEntry: ptrBool(),
});
export const Disk = struct('Disk', { device: str(), partitions: list(Partition), wipeTable: ptrBool() });
export const Filesystem = struct('Filesystem', {
  device: str(),
  format: ptrStr(),
  label: ptrStr(),
  options: list(z.string()),
  path: ptrStr(),
  uuid: ptrStr(),
  wipeFilesystem: ptrBool(),
});
/** A RAID member device path (Go's `Device` string type has its own validation). */
export const Device = named('Device', z.string());
export const Raid = struct('Raid', { devices: list(Device), level: str(), name: str(), options: list(z.string()), spares: ptrInt() });
export const Storage = struct('Storage', {
  directories: list(Directory),
  disks: list(Disk),
  files: list(File),
  filesystems: list(Filesystem),
  links: list(Link),
  raid: list(Raid),
});

// -- systemd section
export const Dropin = struct('Dropin', { contents: ptrStr(), name: str() });
export const Unit = struct('Unit', { contents: ptrStr(), dropins: list(Dropin), enabled: ptrBool(), mask: ptrBool(), name: str() });
export const Systemd = struct('Systemd', { units: list(Unit) });

// -- passwd section
export const PasswdUser = struct('PasswdUser', {
  gecos: ptrStr(),
  groups: list(z.string()),
  homeDir: ptrStr(),
  name: str(),
  noCreateHome: ptrBool(),
  noLogInit: ptrBool(),
  noUserGroup: ptrBool(),
  passwordHash: ptrStr(),
  primaryGroup: ptrStr(),
  sshAuthorizedKeys: list(z.string()),
  shell: ptrStr(),
  system: ptrBool(),
  uid: ptrInt(),
});
export const PasswdGroup = struct('PasswdGroup', { gid: ptrInt(), name: str(), passwordHash: ptrStr(), system: ptrBool() });
export const Passwd = struct('Passwd', { groups: list(PasswdGroup), users: list(PasswdUser) });

export const Config = struct('Config', { ignition: field(Ignition), passwd: field(Passwd), storage: field(Storage), systemd: field(Systemd) });
export type Config = z.infer<typeof Config>;
