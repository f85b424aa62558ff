// Ignition config spec 3.5.0 (Ignition 2.20.0+): LUKS with IBM CEX secure keys (s390x).
import { z } from 'zod';
import { field, list, ptrBool, struct } from './common.js';
import * as prev from './v3_4.js';

export * from './v3_4.js';

export const VERSION = '3.5.0';

export const Cex = struct('Cex', { enabled: ptrBool() });
export const Luks = struct('Luks', { ...prev.Luks.shape, cex: field(Cex) });
export const Storage = struct('Storage', { ...prev.Storage.shape, luks: list(Luks) });

export const Config = struct('Config', { ...prev.Config.shape, storage: field(Storage) });
export type Config = z.infer<typeof Config>;
