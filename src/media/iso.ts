// Execute a live ISO plan (src/media/iso-plan.ts): lay out the tree, make the bootloader images in the builder
// (grub-mkimage from the profile's GRUB target and modules; FAT images with mkfs.fat + mtools, nothing mounted),
// run xorriso, and read the result back with day0's own ISO 9660 reader.
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { check, type Executor } from '../executor/index.js';
import { Iso9660, fileHandleSource } from '../formats/iso9660.js';
import { isoPathOf } from '../formats/embed-areas.js';
import { writeCdbootImage } from '../s390x/cdboot-image.js';
import { writeViaTemp } from '../util/atomic.js';
import { Day0Error } from '../util/errors.js';
import { OUT, TREE, type IsoPlan, type IsoStep } from './iso-plan.js';
import { placeFile, writeText } from './stage-files.js';

export interface IsoRun {
  exec: Executor;
  plan: IsoPlan;
  /** Scratch dir for the staging tree and step outputs (bind-mounted into the builder). */
  workDir: string;
  out: string;
}

export async function buildIso(r: IsoRun): Promise<void> {
  const { plan, exec, workDir } = r;
  const tree = join(workDir, 'iso-tree');
  const steps = join(workDir, 'steps');
  const binds = [{ path: workDir }];
  const run = async (argv: string[], what: string) =>
    check(await exec.run({ argv, binds, label: argv[0] }), what, 'see the tool output above; `day0 doctor` checks the builder');
  const stepOut = (id: string) => join(steps, id);

  await writeText(join(steps, '.keep'), '');
  for (const s of plan.steps) await runStep(s, run, stepOut, workDir);

  const fromBuilder: [string, string][] = [];
  for (const e of plan.tree) {
    const dst = join(tree, e.path);
    switch (e.source.kind) {
      case 'file': await placeFile(e.source.from, dst); break;
      case 'text': await writeText(dst, e.source.text, e.mode ?? 0o644); break;
      case 'bytes': await writeText(dst, e.source.data, e.mode ?? 0o644); break;
      case 'cdboot': await writeCdbootImage(dst, e.source); break;
      case 'zeros': await writeText(dst, Buffer.alloc(e.source.size)); break;
      case 'step': await placeFile(stepOut(e.source.id), dst); break;
      case 'builder-file': fromBuilder.push([e.source.from, dst]); break;
    }
  }
  if (fromBuilder.length) {
    await run(['sh', '-euc', 'while [ $# -gt 0 ]; do mkdir -p "$(dirname "$2")"; cp "$1" "$2"; shift 2; done', 'sh', ...fromBuilder.flat()], 'copying bootloader files from the builder');
  }

  await writeViaTemp(r.out, async (tmp) => {
    const argv = plan.xorriso.map((a) => a.replaceAll(TREE, tree).replaceAll(OUT, tmp));
    check(await exec.run({ argv, binds: [{ path: workDir }, { path: dirname(r.out) }], label: 'xorriso' }), 'xorriso (ISO assembly)');
    await verifyIsoLayout(tmp, plan.volumeLabel, plan.embed.ignition.file);
  });
}

async function runStep(s: IsoStep, run: (argv: string[], what: string) => Promise<unknown>, out: (id: string) => string, workDir: string): Promise<void> {
  switch (s.kind) {
    case 'grub-mkimage': {
      const cfg = join(workDir, `${s.id}.embedded.cfg`);
      await writeText(cfg, s.embeddedConfig);
      await run(['grub-mkimage', '-d', `/usr/lib/grub/${s.target}`, '-O', s.target, '-o', out(s.id), '-p', s.prefix, '-c', cfg, ...s.modules],
        `grub-mkimage (${s.target})`);
      return;
    }
    case 'fat-image': {
      let bytes = 0;
      for (const f of s.files) bytes += (await stat(out(f.step))).size;
      const kib = Math.ceil((bytes + 512 * 1024) / 1024 / 64) * 64;
      const dirs = [...new Set(s.files.flatMap((f) => {
        const parts = f.path.split('/').slice(0, -1);
        return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
      }))];
      const script = [
        'img=$1; label=$2; kib=$3; shift 3',
        'rm -f "$img"; mkfs.fat -C -n "$label" "$img" "$kib" >/dev/null',
        ...dirs.map((d) => `mmd -i "$img" "::/${d}"`),
        'while [ $# -gt 0 ]; do mcopy -i "$img" "$1" "::/$2"; shift 2; done',
      ].join('\n');
      await run(['sh', '-euc', script, 'sh', out(s.id), s.label, String(kib), ...s.files.flatMap((f) => [out(f.step), f.path])], `building the FAT image ${s.id} (mtools)`);
      return;
    }
  }
}

/** Read back what coreos-installer will look for, with day0's own ISO 9660 reader. */
export async function verifyIsoLayout(path: string, label: string, ignitionFile: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const iso = await Iso9660.open(await fileHandleSource(fh));
    if (iso.volumeId !== label) throw new Day0Error(`ISO volume label is "${iso.volumeId}", expected "${label}"`, { fix: 'report this as a day0 bug' });
    for (const f of ['COREOS/IGNINFO.JSO', 'COREOS/KARGS.JSO', isoPathOf(ignitionFile), 'IMAGES/PXEBOOT/ROOTFS.IMG']) {
      if (!(await iso.lookup(f))) throw new Day0Error(`ISO lacks ${f} in its primary directory`, { fix: 'report this as a day0 bug' });
    }
  } finally {
    await fh.close();
  }
}
