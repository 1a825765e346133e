/** Member's down->up transition (the healer's brick-up hook) and the brick probe (down, read-only, full). */
import { describe, expect, it } from 'vitest';
import { FaultyBrick } from '../../../src/storage/brick/faulty.js';
import { MemoryBrick } from '../../../src/storage/brick/memory.js';
import { BrickUnavailable } from '../../../src/storage/errors.js';
import { Member } from '../../../src/storage/member.js';
import { probeMember } from '../../../src/storage/member-status.js';

function member(brick = new FaultyBrick(new MemoryBrick('m'))): { m: Member; brick: FaultyBrick; clock: { t: number } } {
  const clock = { t: 1000 };
  const m = new Member(brick, { timeoutMs: 1000, retryMs: 100, minFreeDiskPercent: 10, now: () => clock.t });
  return { m, brick, clock };
}

describe('Member.onUp', () => {
  it('fires on the first successful call once the retry time has come, not during the hold', async () => {
    const { m, brick, clock } = member();
    const seen: string[] = [];
    m.onUp((x) => seen.push(x.id));
    await m.call((b) => b.health());
    expect(seen).toEqual([]); // never down: no transition
    brick.fail('all');
    await expect(m.call((b) => b.listMarks(1))).rejects.toBeInstanceOf(BrickUnavailable);
    expect(m.up).toBe(false);
    brick.heal();
    await m.call((b) => b.listMarks(1)); // answers, but still held out
    expect(seen).toEqual([]);
    clock.t += 150;
    await m.call((b) => b.listMarks(1));
    expect(seen).toEqual(['m']);
    await m.call((b) => b.listMarks(1));
    expect(seen).toEqual(['m']); // once per transition
  });

  it('markUp is a transition too; unsubscribing stops the calls', async () => {
    const { m } = member();
    let n = 0;
    const off = m.onUp(() => { n++; });
    m.markDown(new BrickUnavailable('m'));
    m.markUp();
    expect(n).toBe(1);
    off();
    m.markDown(new BrickUnavailable('m'));
    m.markUp();
    expect(n).toBe(1);
  });
});

describe('probeMember', () => {
  it('up and in service', async () => {
    const { m } = member();
    expect(await probeMember(m, 10)).toMatchObject({ id: 'm', up: true, readOnly: false, full: false });
  });

  it('read-only: reported and held out', async () => {
    const { m, brick } = member();
    brick.fail('writes');
    const st = await probeMember(m, 10);
    expect(st).toMatchObject({ up: false, readOnly: true });
    expect(m.up).toBe(false);
    expect(m.downReason).toBeInstanceOf(BrickUnavailable);
  });

  it('unreachable: reported with the reason and held out', async () => {
    const { m, brick } = member();
    brick.fail('all');
    const st = await probeMember(m, 10);
    expect(st.up).toBe(false);
    expect(st.detail).toMatch(/^brick unavailable: m: .* refused \(fault mode all\)$/);
    expect(m.up).toBe(false);
  });

  it('full: reported, but kept up (reads and deletes still go there)', async () => {
    const { m, brick } = member();
    brick.health = async () => ({ id: 'm', ok: true, readOnly: false, totalBytes: 1000, freeBytes: 99 });
    const st = await probeMember(m, 10);
    expect(st).toMatchObject({ up: true, full: true, freeBytes: 99, totalBytes: 1000 });
    expect(st.detail).toBe('full: 9.9% free, below min-free-disk 10%');
    expect(m.up).toBe(true);
  });
});
