// Ignition config spec 3.2.0 (Ignition 2.7.0+): LUKS volumes (Clevis, key files), partition resize,
// and users/groups that should not exist.
import { z } from 'zod';
import { field, list, ptr, ptrBool, ptrInt, ptrStr, str, struct } from './common.js';
import * as prev from './v3_1.js';

export * from './v3_1.js';

export const VERSION = '3.2.0';

export const Tang = struct('Tang', { thumbprint: ptrStr(), url: str() });
/** Custom Clevis config; a pointer in 3.2 (`"custom": {}` counts as present). */
export const Custom = struct('Custom', { config: str(), needsNetwork: ptrBool(), pin: str() });
export const Clevis = struct('Clevis', { custom: ptr(Custom), tang: list(Tang), threshold: ptrInt(), tpm2: ptrBool() });
export const Luks = struct('Luks', {
  clevis: ptr(Clevis),
  device: ptrStr(),
  keyFile: field(prev.Resource),
  label: ptrStr(),
  name: str(),
  options: list(z.string()),
  uuid: ptrStr(),
  wipeVolume: ptrBool(),
});
export const Partition = struct('Partition', { ...prev.Partition.shape, resize: ptrBool() });
export const Disk = struct('Disk', { ...prev.Disk.shape, partitions: list(Partition) });
export const Storage = struct('Storage', { ...prev.Storage.shape, disks: list(Disk), luks: list(Luks) });

export const PasswdUser = struct('PasswdUser', { ...prev.PasswdUser.shape, shouldExist: ptrBool() });
export const PasswdGroup = struct('PasswdGroup', { ...prev.PasswdGroup.shape, shouldExist: ptrBool() });
export const Passwd = struct('Passwd', { groups: list(PasswdGroup), users: list(PasswdUser) });

export const Config = struct('Config', { ...prev.Config.shape, passwd: field(Passwd), storage: field(Storage) });
export type Config = z.infer<typeof Config>;
