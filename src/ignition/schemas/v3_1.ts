// Ignition config spec 3.1.0 (Ignition 2.3.0+): one `Resource` type for every fetched thing (files,
// merged/replaced configs, CA bundles) with HTTP headers; proxies; filesystem mount options.
import { z } from 'zod';
import { field, list, ptrStr, str, struct } from './common.js';
import * as prev from './v3_0.js';

export * from './v3_0.js';

export const VERSION = '3.1.0';

export const HTTPHeader = struct('HTTPHeader', { name: str(), value: ptrStr() });
export const Resource = struct('Resource', {
  compression: ptrStr(),
  httpHeaders: list(HTTPHeader),
  source: ptrStr(),
  verification: field(prev.Verification),
});

export const Proxy = struct('Proxy', { httpProxy: ptrStr(), httpsProxy: ptrStr(), noProxy: list(z.string()) });
export const IgnitionConfig = struct('IgnitionConfig', { merge: list(Resource), replace: field(Resource) });
export const TLS = struct('TLS', { certificateAuthorities: list(Resource) });
export const Security = struct('Security', { tls: field(TLS) });
export const Ignition = struct('Ignition', {
  ...prev.Ignition.shape,
  config: field(IgnitionConfig),
  proxy: field(Proxy),
  security: field(Security),
});

export const File = struct('File', { ...prev.File.shape, append: list(Resource), contents: field(Resource) });
export const Filesystem = struct('Filesystem', { ...prev.Filesystem.shape, mountOptions: list(z.string()) });
export const Storage = struct('Storage', { ...prev.Storage.shape, files: list(File), filesystems: list(Filesystem) });

export const Config = struct('Config', { ...prev.Config.shape, ignition: field(Ignition), storage: field(Storage) });
export type Config = z.infer<typeof Config>;
