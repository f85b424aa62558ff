// Device and mount resolution for day0's executor (org.osbuild.loopback; mounts of those devices).
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import type { ResolvedDevice, ResolvedMount, StageEnv } from './types.js';

export function resolveDevices(stage: Stage, tree: string): Record<string, ResolvedDevice> {
  const out: Record<string, ResolvedDevice> = {};
  for (const [name, d] of Object.entries(stage.devices ?? {})) {
    if (d.type !== 'org.osbuild.loopback') {
      throw new Day0Error(`device type ${d.type} (stage ${stage.type}) is not supported by day0's executor`, { fix: 'use loopback devices, or run the manifest with --engine osbuild' });
    }
    if (d.parent) throw new Day0Error(`nested devices (${name} on ${d.parent}) are not supported by day0's executor`, { fix: 'run the manifest with --engine osbuild' });
    const o = (d.options ?? {}) as { filename: string; start?: number; size?: number; 'sector-size'?: number };
    const ss = o['sector-size'] ?? 512;
    if (ss !== 512 && ss !== 4096) throw new Day0Error(`loopback sector size ${ss} is not supported`, { fix: 'use 512 or 4096' });
    if (o.filename.split('/').includes('..')) throw new Day0Error(`loopback filename ${o.filename} leaves the tree`, { fix: 'name a file inside the pipeline tree' });
    out[name] = { name, file: join(tree, o.filename), start: o.start ?? 0, ...(o.size !== undefined ? { size: o.size } : {}), sectorSize: ss };
  }
  return out;
}

export function resolveMounts(stage: Stage, devices: Record<string, ResolvedDevice>): ResolvedMount[] {
  return (stage.mounts ?? []).map((m) => {
    const device = m.source ? devices[m.source] : undefined;
    if (!device) throw new Day0Error(`mount ${m.name} (stage ${stage.type}) names no device of the stage`, { fix: 'set the mount\'s "source" to one of the stage\'s devices' });
    if (m.partition !== undefined) throw new Day0Error(`mount ${m.name}: partition mounts are not supported by day0's executor`, { fix: 'use a loopback device with start and size' });
    return { name: m.name, type: m.type, device, target: m.target ?? '/' };
  });
}

/** The stage's `device` (mkfs, sfdisk). */
export function device(stage: Stage, env: StageEnv): ResolvedDevice {
  const d = env.devices.device;
  if (!d) throw new Day0Error(`stage ${stage.type} needs a device named "device"`, { fix: 'add devices.device (org.osbuild.loopback)' });
  return d;
}
