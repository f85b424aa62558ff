// org.osbuild.qemu: convert the raw disk image to qcow2 / vmdk / vpc (VHD) / vdi / vhdx with qemu-img(1).
import { join } from 'node:path';
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import { opts, tool, type StageEnv } from './types.js';

type Format = { type: string; compression?: boolean; compat?: string; adapter_type?: string; compat6?: boolean; subformat?: string; force_size?: boolean };

export function qemuImgArgv(src: string, dst: string, f: Format): string[] {
  const o: string[] = [];
  let compress = false;
  switch (f.type) {
    case 'qcow2':
      compress = f.compression ?? true;
      if (f.compat) o.push(`compat=${f.compat}`);
      break;
    case 'vmdk':
      if (f.adapter_type) o.push(`adapter_type=${f.adapter_type}`);
      if (f.subformat) o.push(`subformat=${f.subformat}`);
      if (f.compat6) o.push('compat6=on');
      // As osbuild's stage: compressed unless `compression: false` (qemu-img takes -c for every vmdk subformat).
      compress = f.compression ?? true;
      break;
    case 'vpc':
      o.push(`subformat=${f.subformat ?? 'fixed'}`);
      if (f.force_size ?? true) o.push('force_size=on');
      break;
    case 'vdi':
    case 'vhdx':
      break;
    default:
      throw new Day0Error(`qemu image format ${f.type} is not supported`, { fix: 'use qcow2, vmdk, vpc, vdi or vhdx' });
  }
  return ['qemu-img', 'convert', '-f', 'raw', '-O', f.type, ...(compress ? ['-c'] : []), ...(o.length ? ['-o', o.join(',')] : []), src, dst];
}

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  const o = opts<{ filename: string; format: Format }>(stage);
  const input = env.inputs.image;
  const files = input?.kind === 'files' ? Object.values(input.files) : [];
  if (files.length !== 1) throw new Day0Error('org.osbuild.qemu needs exactly one input file "image"', { fix: 'reference the raw image pipeline with its file' });
  await tool(env, qemuImgArgv(files[0]!, join(env.tree, o.filename), o.format), `qemu-img convert to ${o.format.type}`);
}
