// Keeping up with a busy chain (5 blocks/s, 1,000 task events/s): an event only updates numbers in
// memory (O(1), no DOM); the page draws at most once per animation frame and per `intervalMs`, from
// those numbers. Drawing per event would lay out the page thousands of times a second.

/**
 * Coalesces requests to draw: schedule() may be called per event; `draw` runs at most once per
 * `intervalMs`, in an animation frame (so never while the tab is hidden), and stop() ends it.
 * `env` replaces the clock, timers and animation frames (for the unit tests).
 */
export function createDrawScheduler(draw, intervalMs = 250, env = {}) {
  const now = env.now ?? (() => performance.now());
  const setTimer = env.setTimeout ?? globalThis.setTimeout;
  const clearTimer = env.clearTimeout ?? globalThis.clearTimeout;
  const frameOf = env.requestAnimationFrame ?? ((f) => requestAnimationFrame(f));
  const cancelFrame = env.cancelAnimationFrame ?? ((id) => cancelAnimationFrame(id));
  let last = -Infinity;
  let timer = null;
  let frame = null;
  let stopped = false;

  function run() {
    frame = null;
    if (stopped) return;
    last = now();
    draw();
  }

  return {
    schedule() {
      if (stopped || timer !== null || frame !== null) return;
      const wait = Math.max(0, last + intervalMs - now());
      timer = setTimer(() => {
        timer = null;
        frame = frameOf(run);
      }, wait);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      if (frame !== null) cancelFrame(frame);
    },
  };
}

/**
 * A time series in fixed buckets (`bucketMs`) keeping the last `length` buckets: add(timeMs, value)
 * sums into the bucket of that time. points() gives `length` buckets ending at the newest one, each
 * { t, sum, count } (count 0: nothing arrived).
 */
export class BucketSeries {
  constructor(bucketMs, length) {
    this.bucketMs = bucketMs;
    this.length = length;
    this.buckets = new Map();
    this.newest = -Infinity;
  }

  add(timeMs, value) {
    const index = Math.floor(timeMs / this.bucketMs);
    if (index <= this.newest - this.length) return;
    const bucket = this.buckets.get(index);
    if (bucket) {
      bucket.sum += value;
      bucket.count += 1;
    } else {
      this.buckets.set(index, { sum: value, count: 1 });
    }
    if (index > this.newest) {
      this.newest = index;
      for (const key of this.buckets.keys()) if (key <= index - this.length) this.buckets.delete(key);
    }
  }

  /** Moves the newest bucket forward to `timeMs` without a value (time passes with nothing to add). */
  advance(timeMs) {
    const index = Math.floor(timeMs / this.bucketMs);
    if (index > this.newest) {
      this.newest = index;
      for (const key of this.buckets.keys()) if (key <= index - this.length) this.buckets.delete(key);
    }
  }

  points() {
    if (this.newest === -Infinity) return [];
    const out = [];
    for (let i = this.newest - this.length + 1; i <= this.newest; i++) {
      const b = this.buckets.get(i);
      out.push({ t: i * this.bucketMs, sum: b ? b.sum : 0, count: b ? b.count : 0 });
    }
    return out;
  }
}
