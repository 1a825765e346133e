import { MemoryBrick } from '../../../../src/storage/brick/memory.js';
import { brickContract } from './contract.js';

let n = 0;
brickContract('MemoryBrick', async () => new MemoryBrick(`mem-${++n}`));
