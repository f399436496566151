import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';

/** The room the old generation keeps above its live size before V8 marks it again, at least. */
const ROOM = 64 * 2 ** 20;
/** The largest growing factor set, in percent above the live size (a heap of 9 MiB may grow to 64 MiB). */
const MOST = 600;
/** Below this factor V8's own choice (from 1.1 to 4 times the live size) is left alone. */
const LEAST = 100;
/**
 * External memory at a full GC from which the process is taken to churn through buffers (64 KiB uploads: 6 to
 * 40 MiB in both processes; 2 to 3 MiB serving small answers or holding 10,000 idle connections).
 */
const CHURN = 8 * 2 ** 20;
/** The young generation's spaces: all the others make the old generation, whose limit the factor sets. */
const YOUNG = new Set(['new_space', 'new_large_object_space']);

let observer: PerformanceObserver | undefined;
/** The last full GC found the process churning: it stays so until one finds under half of CHURN. */
let churning = false;

/** Bytes the old generation holds now: right after a full GC, its live size. */
function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!YOUNG.has(space.space_name)) bytes += space.space_used_size;
  }
  return bytes;
}

/**
 * Sets V8's heap growing factor so that the next limit leaves ROOM above the live size while the process
 * churns through buffers; else leaves it to V8.
 */
function apply(): void {
  const external = getHeapStatistics().external_memory;
  churning = external >= (churning ? CHURN / 2 : CHURN);
  const percent = churning ? Math.ceil((100 * ROOM) / Math.max(oldGenerationBytes(), 1)) : 0;
  // Set after every full GC, not only on a change: a worker thread's start may reset V8's flags (Node 20).
  setFlagsFromString(`--heap-growing-percent=${percent < LEAST ? 0 : Math.min(percent, MOST)}`);
}

/**
 * Keeps at least 64 MiB of room above the old generation's live size before V8 starts a full GC, for a
 * process whose heap is small and which moves bulk bytes through sockets (httpserver and webframe).
 *
 * V8 counts the external memory allocated since the last full GC against the old generation's limit, and
 * every socket read is a new ArrayBuffer (64 KiB for a large body), freed only by the next scavenge, which
 * comes after 32 MiB of them. A server whose start-up ran a full GC has a limit a few MiB above its live size
 * (about 11 MiB for each Tandem process), so under a stream of 64 KiB uploads V8 marked the whole heap
 * every 50 to 100 ms in both processes: 42 % of the webframe's CPU (perf, scenario (c) of bench/compare.mjs).
 * A process that never ran a full GC at start-up (node:http alone) keeps V8's large initial limit and never
 * meets this. The growing factor is set again after each full GC from the live size then: up to 7 times a
 * small heap, and V8's own factor once the heap is 64 MiB or more, so large apps are not let grow further.
 */
export function keepRoomForExternalMemory(): void {
  if (observer !== undefined) return;
  apply();
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { detail } = entry as { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) return apply();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
