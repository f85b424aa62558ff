// Ignition config spec 3.4.0 (Ignition 2.15.0+): offline Tang advertisements, LUKS discard and open
// options, AWS `arn:` S3 URLs, setuid/setgid/sticky modes accepted.
import { z } from 'zod';
import { list, ptrBool, ptrStr, struct, field } from './common.js';
import * as prev from './v3_3.js';

export * from './v3_3.js';

export const VERSION = '3.4.0';

export const Tang = struct('Tang', { ...prev.Tang.shape, advertisement: ptrStr() });
export const Clevis = struct('Clevis', { ...prev.Clevis.shape, tang: list(Tang) });
export const Luks = struct('Luks', { ...prev.Luks.shape, clevis: field(Clevis), discard: ptrBool(), openOptions: list(z.string()) });
export const Storage = struct('Storage', { ...prev.Storage.shape, luks: list(Luks) });

export const Config = struct('Config', { ...prev.Config.shape, storage: field(Storage) });
export type Config = z.infer<typeof Config>;
