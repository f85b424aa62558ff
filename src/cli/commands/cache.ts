// `day0 cache list` and `day0 cache prune`: the content-addressed image cache (blobs, layouts, root filesystems).
import type { Command } from 'commander';

// The implementation is loaded in each action, not here: registering a command must stay cheap (start-up time).
const load = () => import('../../image/cache.js');

export function registerCache(program: Command): void {
  const cache = program
    .command('cache')
    .description('manage day0\'s image cache ($DAY0_CACHE, default ~/.cache/day0)');

  cache
    .command('list')
    .description('list cached images (least recently used first) with their sizes')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { cachePaths, formatSize, listCache } = await load();
      const s = await listCache(cachePaths());
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        return;
      }
      const lines = [`cache: ${s.root}`];
      if (!s.entries.length) lines.push('  (no images)');
      for (const e of s.entries) {
        const what = [e.hasLayout ? 'layout' : '', e.hasRootfs ? 'rootfs' : '', e.liveBytes > 0 ? 'live' : ''].filter(Boolean).join('+') || 'metadata';
        lines.push(
          `  ${e.digest.slice(0, 19)}…  ${formatSize(e.rootfsBytes + e.liveBytes + e.uniqueBlobBytes).padStart(10)}  ${e.lastUsed.toISOString().slice(0, 19).replace('T', ' ')}  ${what}${e.inUse ? '  IN USE' : ''}  ${e.refs.at(-1) ?? ''}`,
        );
      }
      for (const u of s.unmanaged) lines.push(`  ${u.name}/  ${formatSize(u.bytes).padStart(10)}  not day0's cache data (never pruned)`);
      lines.push(
        `total ${formatSize(s.totalBytes)} (blobs ${formatSize(s.blobBytes)}, root filesystems ${formatSize(s.rootfsBytes)}, live images ${formatSize(s.liveBytes)}, metadata ${formatSize(s.metaBytes)}, work dirs ${formatSize(s.tmpBytes)}${s.unmanaged.length ? `, unmanaged ${formatSize(s.unmanaged.reduce((a, u) => a + u.bytes, 0))}` : ''})`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  cache
    .command('prune')
    .description('shrink the cache to a size bound, least recently used images first; images in use are kept')
    .option('--max-size <size>', 'size bound: bytes or K/M/G/T (binary units); 0 empties the cache', '20G')
    .option('--json', 'print JSON')
    .action(async (flags: { maxSize: string; json?: boolean }) => {
      const { cachePaths, formatSize, parseSize, pruneCache } = await load();
      const max = parseSize(flags.maxSize);
      const r = await pruneCache(max, cachePaths());
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ maxBytes: max, ...r }, null, 2)}\n`);
        return;
      }
      const lines = r.removed.map((x) => `removed ${x.digest.slice(0, 19)}…  ${formatSize(x.bytes).padStart(10)}  ${x.refs.at(-1) ?? ''}`);
      for (const d of r.skippedInUse) lines.push(`kept    ${d.slice(0, 19)}…  (in use)`);
      if (r.orphanBlobBytes) lines.push(`removed unreferenced blobs: ${formatSize(r.orphanBlobBytes)}`);
      lines.push(`cache: ${formatSize(r.before)} → ${formatSize(r.after)} (bound ${formatSize(max)})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
