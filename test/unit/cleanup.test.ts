import { describe, expect, it } from 'vitest';
import { onCleanup, pendingCleanups, runAllCleanups } from '../../src/util/cleanup.js';

describe('cleanup registry', () => {
  it('runs pending steps newest first, once, and forgets released ones', async () => {
    const order: string[] = [];
    onCleanup('a', () => void order.push('a'));
    const b = onCleanup('b', () => void order.push('b'));
    onCleanup('c', () => void order.push('c'));
    b.release();
    expect(pendingCleanups()).toEqual(['a', 'c']);
    await runAllCleanups();
    await runAllCleanups();
    expect(order).toEqual(['c', 'a']);
  });

  it('dispose runs a step now and only once', async () => {
    let n = 0;
    const r = onCleanup('x', () => void n++);
    await r.dispose();
    await r.dispose();
    await runAllCleanups();
    expect(n).toBe(1);
  });

  it('a second call waits for the first, and a failing step does not stop the others', async () => {
    const done: string[] = [];
    onCleanup('slow', () => new Promise<void>((r) => setTimeout(() => { done.push('slow'); r(); }, 50)));
    onCleanup('broken', () => { throw new Error('boom'); });
    const first = runAllCleanups();
    await runAllCleanups();
    expect(done).toEqual(['slow']);
    await first;
  });
});
