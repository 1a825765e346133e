import { describe, expect, it } from 'vitest';
import { MemoryBrick } from '../../../../src/storage/brick/memory.js';
import { brickContract } from './contract.js';
import { put, readData, ref, ts } from './helpers.js';

let n = 0;
brickContract('MemoryBrick', async () => new MemoryBrick(`mem-${++n}`));

describe('MemoryBrick instances', () => {
  it('share nothing: what one holds the other does not', async () => {
    const a = new MemoryBrick('mem-a');
    const b = new MemoryBrick('mem-b');
    await a.open();
    await b.open();
    const rec = await put(a, ref('o'), ts(1), 'only in a');
    expect((await readData(a, rec)).toString()).toBe('only in a');
    expect(await b.getRecord(ref('o'))).toBeUndefined();
    await a.close();
    await b.close();
  });
});
