// A tiny ISO 9660 writer for tests: primary volume descriptor + primary directory tree only, byte-exact and
// without xorriso. Paths are used as given (give level-1 names: "COREOS/IGNINFO.JSO"); files get ";1".
// Each directory must fit in one sector. Not for real media.

export const SECTOR = 2048;

export interface IsoWriterFile {
  path: string;
  data: Uint8Array;
  /** Record the file as two extents (first record flagged multi-extent), to test refusal. */
  multiExtent?: boolean;
}

export interface IsoWriterOptions {
  volumeId?: string;
  files: IsoWriterFile[];
  /** Pad the image with this many extra zero sectors at the end. */
  extraSectors?: number;
}

export interface WrittenIso {
  image: Buffer;
  /** Where each file's data starts (byte offset) and its size. */
  files: Map<string, { offset: number; size: number }>;
}

interface Dir {
  name: string;
  children: Map<string, Dir>;
  files: IsoWriterFile[];
  lba: number;
  parent?: Dir;
}

function both32(buf: Buffer, at: number, v: number): void {
  buf.writeUInt32LE(v, at);
  buf.writeUInt32BE(v, at + 4);
}

function both16(buf: Buffer, at: number, v: number): void {
  buf.writeUInt16LE(v, at);
  buf.writeUInt16BE(v, at + 2);
}

function record(name: Buffer, lba: number, size: number, flags: number): Buffer {
  const len = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const r = Buffer.alloc(len);
  r[0] = len;
  both32(r, 2, lba);
  both32(r, 10, size);
  r.set([125, 1, 1, 0, 0, 0, 0], 18); // 2025-01-01 00:00:00 GMT
  r[25] = flags;
  both16(r, 28, 1);
  r[32] = name.length;
  name.copy(r, 33);
  return r;
}

export function writeIso(opts: IsoWriterOptions): WrittenIso {
  const root: Dir = { name: '', children: new Map(), files: [], lba: 0 };
  for (const f of opts.files) {
    const parts = f.path.split('/');
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      let child = dir.children.get(p);
      if (!child) {
        child = { name: p, children: new Map(), files: [], lba: 0, parent: dir };
        dir.children.set(p, child);
      }
      dir = child;
    }
    dir.files.push({ ...f, path: f.path });
  }

  const dirs: Dir[] = [];
  const walk = (d: Dir): void => {
    dirs.push(d);
    for (const c of [...d.children.values()].sort((a, b) => a.name.localeCompare(b.name))) walk(c);
  };
  walk(root);

  let next = 18; // 16 = PVD, 17 = terminator
  for (const d of dirs) d.lba = next++;
  const fileLba = new Map<IsoWriterFile, number>();
  for (const d of dirs) {
    for (const f of d.files) {
      fileLba.set(f, next);
      next += Math.max(1, Math.ceil(f.data.length / SECTOR));
    }
  }
  const total = next + (opts.extraSectors ?? 0);
  const image = Buffer.alloc(total * SECTOR);
  const files = new Map<string, { offset: number; size: number }>();

  for (const d of dirs) {
    const recs: Buffer[] = [
      record(Buffer.from([0]), d.lba, SECTOR, 2),
      record(Buffer.from([1]), (d.parent ?? d).lba, SECTOR, 2),
    ];
    const entries: { name: string; rec: Buffer[] }[] = [];
    for (const c of d.children.values()) entries.push({ name: c.name, rec: [record(Buffer.from(c.name), c.lba, SECTOR, 2)] });
    for (const f of d.files) {
      const lba = fileLba.get(f)!;
      const name = Buffer.from(`${f.path.split('/').pop()!};1`);
      files.set(f.path, { offset: lba * SECTOR, size: f.data.length });
      image.set(f.data, lba * SECTOR);
      if (f.multiExtent) {
        const half = Math.floor(f.data.length / 2);
        entries.push({ name: name.toString(), rec: [record(name, lba, half, 0x80), record(name, lba, f.data.length - half, 0)] });
      } else {
        entries.push({ name: name.toString(), rec: [record(name, lba, f.data.length, 0)] });
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    const body = Buffer.concat([...recs, ...entries.flatMap((e) => e.rec)]);
    if (body.length > SECTOR) throw new Error(`test ISO writer: directory ${d.name || '/'} exceeds one sector`);
    body.copy(image, d.lba * SECTOR);
  }

  const pvd = image.subarray(16 * SECTOR, 17 * SECTOR);
  pvd[0] = 1;
  pvd.write('CD001', 1, 'ascii');
  pvd[6] = 1;
  pvd.fill(0x20, 8, 72);
  pvd.write(opts.volumeId ?? 'TESTISO', 40, 'ascii');
  both32(pvd, 80, total);
  both16(pvd, 120, 1);
  both16(pvd, 124, 1);
  both16(pvd, 128, SECTOR);
  record(Buffer.from([0]), root.lba, SECTOR, 2).copy(pvd, 156);
  pvd[881] = 1;

  const term = image.subarray(17 * SECTOR, 18 * SECTOR);
  term[0] = 255;
  term.write('CD001', 1, 'ascii');
  term[6] = 1;

  return { image, files };
}
