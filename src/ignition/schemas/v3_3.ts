// Ignition config spec 3.3.0 (Ignition 2.11.0+): kernel arguments, filesystem format "none", and
// optional link targets / RAID levels / Clevis custom fields (so Ignition can say they are required).
import { z } from 'zod';
import { field, list, ptrBool, ptrStr, struct } from './common.js';
import * as prev from './v3_2.js';

export * from './v3_2.js';

export const VERSION = '3.3.0';

export const KernelArguments = struct('KernelArguments', { shouldExist: list(z.string()), shouldNotExist: list(z.string()) });

export const ClevisCustom = struct('ClevisCustom', { config: ptrStr(), needsNetwork: ptrBool(), pin: ptrStr() });
export const Clevis = struct('Clevis', { ...prev.Clevis.shape, custom: field(ClevisCustom) });
export const Luks = struct('Luks', { ...prev.Luks.shape, clevis: field(Clevis) });
export const Link = struct('Link', { ...prev.Link.shape, target: ptrStr() });
export const Raid = struct('Raid', { ...prev.Raid.shape, level: ptrStr() });
export const Storage = struct('Storage', { ...prev.Storage.shape, links: list(Link), luks: list(Luks), raid: list(Raid) });

export const Config = struct('Config', { ...prev.Config.shape, kernelArguments: field(KernelArguments), storage: field(Storage) });
export type Config = z.infer<typeof Config>;
