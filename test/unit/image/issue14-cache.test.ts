// Issue 14 item 13 (cache side): `cache list` / `cache prune` account for every folder, live/ included, and
// partial files of killed runs (root.squashfs.tmp-<pid>, day0-*-p<pid>-* work dirs) are reclaimed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachePaths, ensureCache, listCache, liveDirOf, pruneCache } from '../../../src/image/cache.js';
import { writeViaTemp } from '../../../src/util/atomic.js';
import { makeTempDir } from '../../../src/util/tmp.js';

const roots: string[] = [];
afterAll(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));
const DEAD = 999_999_9; // beyond pid_max: never alive
const hex = (c: string) => c.repeat(64);

async function fresh() {
  const root = mkdtempSync(join(tmpdir(), 'day0-issue14-cache-'));
  roots.push(root);
  return ensureCache(cachePaths(root));
}

describe('issue14 item 13: cache accounting and leftovers', () => {
  it('item 13: list counts live/ images per entry; prune --max-size 0 removes them and reports what really stays', async () => {
    const p = await fresh();
    const h = hex('a');
    mkdirSync(join(p.rootfs, h), { recursive: true });
    writeFileSync(join(p.meta, `${h}.json`), JSON.stringify({ digest: `sha256:${h}`, refs: ['r/a'] }));
    mkdirSync(liveDirOf(h, p), { recursive: true });
    writeFileSync(join(liveDirOf(h, p), 'root.squashfs'), Buffer.alloc(3 << 20, 1));
    // An orphan live image (its entry already gone) and an unmanaged folder.
    mkdirSync(liveDirOf(hex('b'), p), { recursive: true });
    writeFileSync(join(liveDirOf(hex('b'), p), 'root.erofs'), Buffer.alloc(2 << 20, 1));
    mkdirSync(join(p.root, 'demo'));
    writeFileSync(join(p.root, 'demo', 'demo.oci.tar'), Buffer.alloc(1 << 20, 1));

    const s = await listCache(p);
    expect(s.liveBytes).toBeGreaterThanOrEqual(5 << 20);
    expect(s.entries.find((e) => e.digest === `sha256:${h}`)!.liveBytes).toBeGreaterThanOrEqual(3 << 20);
    expect(s.unmanaged.map((u) => u.name)).toEqual(['demo']);
    expect(s.totalBytes).toBeGreaterThanOrEqual(6 << 20);

    const r = await pruneCache(0, p);
    expect(existsSync(liveDirOf(h, p))).toBe(false);
    expect(existsSync(liveDirOf(hex('b'), p))).toBe(false);
    expect(existsSync(join(p.root, 'demo', 'demo.oci.tar'))).toBe(true); // never day0's to delete
    expect(r.removed.reduce((a, x) => a + x.bytes, 0)).toBeGreaterThanOrEqual(5 << 20);
    const after = await listCache(p);
    expect(r.after).toBe(after.totalBytes);
    expect(after.liveBytes).toBe(0);
    expect(r.after).toBeGreaterThanOrEqual(1 << 20); // the unmanaged MiB is reported as staying
    expect(r.after).toBeLessThan((1 << 20) + (256 << 10));
  });

  it('item 13: partial live images and work dirs of dead pids are reclaimed; a live pid\'s are kept', async () => {
    const p = await fresh();
    const d = liveDirOf(hex('c'), p);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `root.squashfs.tmp-${DEAD}`), 'partial');
    writeFileSync(join(d, `root.squashfs.tmp-${process.pid}`), 'mine');
    await ensureCache(p);
    expect(existsSync(join(d, `root.squashfs.tmp-${DEAD}`))).toBe(false);
    expect(existsSync(join(d, `root.squashfs.tmp-${process.pid}`))).toBe(true);

    // writeViaTemp removes a dead sibling of its own output before starting.
    writeFileSync(join(d, `root.erofs.tmp-${DEAD}`), 'partial');
    await writeViaTemp(join(d, 'root.erofs'), async (tmp) => writeFileSync(tmp, 'done'));
    expect(existsSync(join(d, `root.erofs.tmp-${DEAD}`))).toBe(false);

    // makeTempDir names carry the pid and reclaim dead siblings (check-boot copies, pull work dirs).
    mkdirSync(join(p.tmp, `day0-check-x86_64-iso-p${DEAD}-AbC123`));
    writeFileSync(join(p.tmp, `day0-check-x86_64-iso-p${DEAD}-AbC123`, 'copy.iso'), 'secret config inside');
    const t = await makeTempDir('check-x86_64-iso', p.tmp);
    expect(t.path).toMatch(new RegExp(`day0-check-x86_64-iso-p${process.pid}-[A-Za-z0-9]{6}$`));
    expect(existsSync(join(p.tmp, `day0-check-x86_64-iso-p${DEAD}-AbC123`))).toBe(false);
    await t.dispose();
  });
});
