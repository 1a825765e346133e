/**
 * Young-generation collections paced by the bytes a process streams.
 *
 * Why: object bytes travel in Buffers whose memory lies outside V8's heap. V8 counts that memory
 * against the old generation's headroom, yet frees a dead Buffer only at a young-generation
 * collection (a scavenge), which it starts by itself only after ~32 MB of them. A Cairn process keeps
 * a small heap (~15 MB live, so ~16 MB of headroom): streaming a large object used that headroom up
 * every few megabytes, and V8 answered each time with a full mark-compact, 60-90 per GiB. With a
 * scavenge asked for every 4 MiB streamed, 2 GiB of PUTs and 2 GiB of GETs ran 2 mark-compacts
 * in all; a 1 GiB PUT (curl client, 2 sets x 1 brick) went from 356-383 to 442-452 MB/s and its GET
 * from 1.5-1.7 to 2.3 GB/s. 8 MiB was not often enough; 2 MiB made GETs slower. A larger initial old
 * generation (`--initial-old-space-size=64`) stops the mark-compacts too, but kept ~25 MiB more RSS
 * for the life of the process. Counted where object bytes stream: gateway PUT bodies (FanOut), responses
 * (sendBody), brick-server uploads and handle reads, heal copies.
 *
 * A scavenge with little alive costs well under a millisecond. Small objects stream little, so they
 * see one per ~1,000 4 KiB bodies.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes streamed between two scavenges: well under the headroom (see above). */
export const SCAVENGE_EVERY_BYTES = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;
let collect: Collect | null | undefined;
let since = 0;

/** V8's collector, reached without putting `gc` on the global object (null where it cannot be had). */
function collector(): Collect | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** `bytes` of object data went through this process (into or out of it). */
export function streamed(bytes: number): void {
  since += bytes;
  if (since < SCAVENGE_EVERY_BYTES) return;
  since = 0;
  collector()?.({ type: 'minor' });
}
