/**
 * KeyedLock: runs async sections one at a time per key (FIFO), different keys in parallel.
 * LocalBrick holds it per object around "check newest-wins, place the file, commit the row", so two
 * writes of one object in this process can never interleave between the check and the rename.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key); // nobody queued behind: forget the key
    }
  }
}
