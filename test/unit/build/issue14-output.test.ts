// Issue 14 items 10, 12, 13 (output side): the output dir's lock, ownership, atomic publish and leftover reclaim.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, OutputDir, type Artifact } from '../../../src/build/output.js';

const DEAD = 999_999_9;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'day0-issue14-out-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One build as build.ts does it: publish each file, checksums, build.json, close. `fail` throws before the end. */
async function build(out: string, files: Record<string, string>, opts: { fail?: boolean; secret?: string } = {}): Promise<Artifact[]> {
  const o = await OutputDir.open(out);
  try {
    const artifacts: Artifact[] = [];
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(o.staging, name), text);
      artifacts.push(await o.publish(name, join(o.staging, name), 'x86_64', { secret: name === opts.secret }));
      if (opts.fail) throw new Error('disk build failed');
    }
    await o.writeChecksums(artifacts);
    await o.writeFile('build.json', `${JSON.stringify({ day0: { version: 't' }, artifacts }, null, 2)}\n`);
    return artifacts;
  } finally {
    await o.close();
  }
}

describe('issue14 item 10: exclusive lock', () => {
  it('item 10: a second build into the same dir fails at once naming the holder pid; the lock goes with close()', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    const first = await OutputDir.open(out);
    // Another live process holds it (pid 1 is always alive): refused at once, naming it.
    await first.close();
    await writeFile(join(out, LOCK_FILE), '1\n');
    await expect(OutputDir.open(out)).rejects.toThrow(`the output directory ${out} is in use by another day0 build (pid 1)`);
    await rm(join(out, LOCK_FILE));
    const a = await OutputDir.open(out);
    expect((await readFile(join(out, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    // Re-entrant in one process (the CLI may hold it around the whole build).
    const inner = await OutputDir.open(out);
    await inner.close();
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    await a.close();
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('item 10: with wait, a build queues behind the holder; a dead holder\'s lock is taken over', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    await writeFile(join(out, LOCK_FILE), '1\n');
    let waitedFor: number | undefined;
    const opening = OutputDir.open(out, { wait: true, pollMs: 20, onWait: (pid) => (waitedFor = pid) });
    await new Promise((r) => setTimeout(r, 100));
    expect(waitedFor).toBe(1);
    await rm(join(out, LOCK_FILE)); // the holder finished
    const o = await opening;
    await o.close();
    await writeFile(join(out, LOCK_FILE), `${DEAD}\n`);
    const taken = await OutputDir.open(out);
    expect((await readFile(join(out, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await taken.close();
  });
});

describe('issue14 item 12: the build owns DIR/<arch>/', () => {
  it('item 12: a rebuild removes files the previous build made and this one did not (and their SHA256SUMS lines)', async () => {
    const out = join(dir, 'out');
    await build(out, { 'a.iso': 'iso', 'a-ignition.img': 'config' }, { secret: 'a-ignition.img' });
    await writeFile(join(out, 'x86_64', 'mine.txt'), 'the user put this here');
    await build(out, { 'a.iso': 'iso2' });
    expect((await readdir(join(out, 'x86_64'))).sort()).toEqual(['a.iso', 'mine.txt']);
    const sums = await readFile(join(out, 'SHA256SUMS'), 'utf8');
    expect(sums).toContain('x86_64/a.iso');
    expect(sums).not.toContain('a-ignition.img');
    const record = JSON.parse(await readFile(join(out, 'build.json'), 'utf8')) as { artifacts: Artifact[] };
    expect(record.artifacts.map((a) => a.path)).toEqual(['x86_64/a.iso']);
  });

  it('item 12: a non-empty dir that is not a day0 output is refused before anything is built', async () => {
    const out = join(dir, 'photos');
    await mkdir(out);
    await writeFile(join(out, 'holiday.jpg'), 'x');
    await expect(OutputDir.open(out)).rejects.toThrow(/is not empty and is not a day0 output \(no build\.json; it holds holiday\.jpg\)/);
    expect(await readdir(out)).toEqual(['holiday.jpg']); // no lock, no staging left
    await writeFile(join(dir, 'file'), 'x');
    await expect(OutputDir.open(join(dir, 'file'))).rejects.toThrow(/exists and is not a directory/);
    // An empty dir, or one holding only day0's own files, is fine.
    await mkdir(join(dir, 'empty'));
    await (await OutputDir.open(join(dir, 'empty'))).close();
  });
});

describe('issue14 item 11/12: atomic publish', () => {
  it('publishes nothing when the build fails after the first artifact; earlier outputs stay as they were', async () => {
    const out = join(dir, 'out');
    await build(out, { 'a.iso': 'old' });
    const before = await readFile(join(out, 'build.json'), 'utf8');
    await expect(build(out, { 'b.iso': 'new', 'c.raw': 'new' }, { fail: true })).rejects.toThrow(/disk build failed/);
    expect(await readdir(join(out, 'x86_64'))).toEqual(['a.iso']);
    expect(await readFile(join(out, 'x86_64', 'a.iso'), 'utf8')).toBe('old');
    expect(await readFile(join(out, 'build.json'), 'utf8')).toBe(before);
    expect((await readdir(out)).filter((n) => n.startsWith('.day0-'))).toEqual([]);
  });

  it('secret artifacts are 0600 when they appear', async () => {
    const out = join(dir, 'out');
    await build(out, { 'a-ignition.img': 'config' }, { secret: 'a-ignition.img' });
    expect((await stat(join(out, 'x86_64', 'a-ignition.img'))).mode & 0o777).toBe(0o600);
  });
});

describe('issue14 item 13: leftovers of killed builds', () => {
  it('item 13: staging dirs and check-boot copies of dead pids are removed when DIR is opened; a live pid\'s are kept', async () => {
    const out = join(dir, 'out');
    await build(out, { 'a.iso': 'iso' });
    await mkdir(join(out, `.day0-staging-${DEAD}-AbCdEf`, 'iso-work'), { recursive: true });
    await writeFile(join(out, `.day0-staging-${DEAD}-AbCdEf`, 'iso-work', 'config.ign'), 'plaintext secret');
    await mkdir(join(out, '.day0-staging-Legacy'));
    await mkdir(join(out, 'check-boot', `day0-check-x86_64-iso-bios-p${DEAD}-XyZ123`), { recursive: true });
    await mkdir(join(out, 'check-boot', `day0-check-x86_64-iso-bios-p${process.pid}-Live12`), { recursive: true });
    const o = await OutputDir.open(out);
    const names = await readdir(out);
    expect(names.filter((n) => n.startsWith('.day0-staging-'))).toEqual([o.staging.slice(out.length + 1)]);
    expect(await readdir(join(out, 'check-boot'))).toEqual([`day0-check-x86_64-iso-bios-p${process.pid}-Live12`]);
    await o.close();
  });
});

describe('issue14 item 12: multi-arch build.json', () => {
  it('item 12: files listed under builds.<arch>.artifacts of the previous build.json are owned too', async () => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'x86_64'), { recursive: true });
    await writeFile(join(out, 'x86_64', 'old-ignition.img'), 'config');
    await writeFile(join(out, 'build.json'), JSON.stringify({ day0: { version: 't' }, arches: ['x86_64'], builds: { x86_64: { artifacts: [{ path: 'x86_64/old-ignition.img' }] } } }));
    await build(out, { 'a.iso': 'iso' });
    expect(await readdir(join(out, 'x86_64'))).toEqual(['a.iso']);
  });
});

describe('issue14 item 15: the output dir is checked first, and a refused build leaves no dir behind', () => {
  it('item 15: a dir on /proc is refused at once (no recursive mkdir that hangs)', async () => {
    const t0 = Date.now();
    await expect(OutputDir.open('/proc/day0-x/out')).rejects.toThrow(/is on proc \(\/proc\), a kernel interface that holds no files/);
    await expect(OutputDir.open('/sys/kernel/day0-x')).rejects.toThrow(/is on sysfs/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('item 15: a path below a file is named, with a fix, before anything else', async () => {
    await writeFile(join(dir, 'plain-file'), 'x');
    await expect(OutputDir.open(join(dir, 'plain-file', 'out'))).rejects.toThrow(`the output directory ${join(dir, 'plain-file', 'out')} cannot be made: ${join(dir, 'plain-file')} is a file`);
  });

  it('item 15: dirs open() created are removed again when the build closes without publishing', async () => {
    const out = join(dir, 'new-parent', 'deeper', 'out');
    const o = await OutputDir.open(out);
    expect(existsSync(out)).toBe(true);
    await o.close(); // nothing published (a refused or failed build)
    expect(existsSync(join(dir, 'new-parent'))).toBe(false);
    // A dir that existed before stays, and one that now holds a published build stays.
    await mkdir(join(dir, 'kept'));
    await (await OutputDir.open(join(dir, 'kept'))).close();
    expect(existsSync(join(dir, 'kept'))).toBe(true);
    const made = join(dir, 'made', 'out');
    await build(made, { 'a.iso': 'x' });
    expect(existsSync(join(made, 'x86_64', 'a.iso'))).toBe(true);
  });

  it('item 15: nested opens (the CLI holds the dir around the build) remove it only with the outermost close', async () => {
    const out = join(dir, 'nested-new');
    const outer = await OutputDir.open(out);
    const inner = await OutputDir.open(out);
    await inner.close();
    expect(existsSync(out)).toBe(true);
    await outer.close();
    expect(existsSync(out)).toBe(false);
  });
});
