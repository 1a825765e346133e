/**
 * GlusterFS's placement hash, `gf_dm_hashfn` (libglusterfs/src/hashfn.c): the ext3-htree "TEA"
 * legacy hash in Davies-Meyer mode, 32-bit output. Implemented bit for bit so a name lands where
 * GlusterFS's DHT would put it; pinned by the vectors in GLUSTER.md §1.1 (test/unit/storage/hash.test.ts).
 *
 * Format decision: the C code reads the 0–3 tail bytes through `const char *`, and on x86 (signed
 * char) a byte >= 0x80 is sign-extended before it is OR-ed in; on ARM it is not. Cairn always does
 * what x86 GlusterFS does, whatever machine it runs on, so placement never depends on the CPU.
 *
 * The input is the UTF-8 bytes of the string. Names are bytes to hash, never paths.
 */

const DM_DELTA = 0x9e3779b9;
const DM_FULLROUNDS = 10;
const DM_PARTROUNDS = 6;

const utf8 = new TextEncoder();

/** One TEA-like compression of the 4-word block `a` into the state `h` (mutated). */
function dmRound(rounds: number, a: Uint32Array, h: Uint32Array): void {
  let b0 = h[0]!;
  let b1 = h[1]!;
  let sum = 0;
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!;
  for (let n = 0; n < rounds; n++) {
    sum = (sum + DM_DELTA) >>> 0;
    b0 = (b0 + ((((b1 << 4) + a0) >>> 0) ^ ((b1 + sum) >>> 0) ^ (((b1 >>> 5) + a1) >>> 0))) >>> 0;
    b1 = (b1 + ((((b0 << 4) + a2) >>> 0) ^ ((b0 + sum) >>> 0) ^ (((b0 >>> 5) + a3) >>> 0))) >>> 0;
  }
  h[0] = (h[0]! + b0) >>> 0;
  h[1] = (h[1]! + b1) >>> 0;
}

/** A little-endian u32 of `bytes` at `off` (the C code casts the message to `uint32_t *` on x86). */
function le32(bytes: Uint8Array, off: number): number {
  return (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24)) >>> 0;
}

/** `gf_dm_hashfn` of raw bytes: an unsigned 32-bit integer. */
export function dmHashBytes(msg: Uint8Array): number {
  const len = msg.length;
  const h = new Uint32Array([0x9464a485, 0x542e1a94]);
  const a = new Uint32Array(4);
  // __pad(len): the length smeared over all four bytes (uint32 arithmetic, so long names wrap as in C).
  let pad = (len | (len << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;

  let off = 0;
  let fullWords = len >>> 2;
  let fullBytes = len;
  const fullQuads = len >>> 4;
  for (let i = 0; i < fullQuads; i++) {
    for (let j = 0; j < 4; j++) {
      a[j] = le32(msg, off);
      off += 4;
      fullWords--;
      fullBytes -= 4;
    }
    dmRound(DM_PARTROUNDS, a, h);
  }

  for (let j = 0; j < 4; j++) {
    if (fullWords > 0) {
      a[j] = le32(msg, off);
      off += 4;
      fullWords--;
      fullBytes -= 4;
    } else {
      let w = pad;
      while (fullBytes > 0) {
        const byte = msg[len - fullBytes]!;
        // x86 `char` is signed: a byte >= 0x80 becomes 0xffffffXX before the OR.
        const ext = byte >= 0x80 ? (byte | 0xffffff00) >>> 0 : byte;
        w = ((w << 8) | ext) >>> 0;
        fullBytes--;
      }
      a[j] = w;
    }
  }
  dmRound(DM_FULLROUNDS, a, h);
  return (h[0]! ^ h[1]!) >>> 0;
}

/** `gf_dm_hashfn` of the UTF-8 bytes of `name`. */
export function dmHash(name: string): number {
  return dmHashBytes(utf8.encode(name));
}

/** GlusterFS's default `rsync-hash-regex` (dht-shared.c): `.foo.txt.a1b2` hashes like `foo.txt`. */
const RSYNC_RE = /^\.(.+)\.[^.]+$/s;

/**
 * The name DHT would hash for `name` with the default rsync munge: the first capture of
 * `^\.(.+)\.[^.]+$`, or the name itself. Cairn's own temporary files live in each brick's `tmp/`,
 * so placement does not munge object names (see layout.ts); this is kept for tools that want to
 * predict where GlusterFS would place an rsync temporary.
 */
export function rsyncMunge(name: string): string {
  const m = RSYNC_RE.exec(name);
  return m ? m[1]! : name;
}
