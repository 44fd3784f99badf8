import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDrawScheduler, BucketSeries } from '../app/live.js';

// A fake clock with timers and animation frames (one frame per 16 ms).
function fakeTime() {
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  const env = {
    now: () => now,
    setTimeout: (fn, ms) => { const id = nextId++; timers.set(id, { at: now + ms, fn }); return id; },
    clearTimeout: (id) => timers.delete(id),
    requestAnimationFrame: (fn) => env.setTimeout(fn, 16),
    cancelAnimationFrame: (id) => timers.delete(id),
  };
  function advance(ms) {
    const end = now + ms;
    for (;;) {
      let due = null;
      for (const [id, t] of timers) if (t.at <= end && (!due || t.at < due[1].at)) due = [id, t];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  }
  return { env, advance };
}

test('the dashboard draws at most every 250 ms however many events arrive', () => {
  const { env, advance } = fakeTime();
  let draws = 0;
  const scheduler = createDrawScheduler(() => draws++, 250, env);
  // 1,000 task events and 5 blocks a second for 10 s, each asking for a drawing.
  for (let ms = 0; ms < 10_000; ms++) {
    scheduler.schedule();
    advance(1);
  }
  advance(1000);
  assert.ok(draws >= 30, `drew ${draws} times in 10 s: the page must keep up`);
  assert.ok(draws <= 41, `drew ${draws} times in 10 s: at most every 250 ms`);
});

test('a drawing asked for after a quiet spell comes within a frame', () => {
  const { env, advance } = fakeTime();
  let draws = 0;
  const scheduler = createDrawScheduler(() => draws++, 250, env);
  advance(5000);
  scheduler.schedule();
  advance(20);
  assert.equal(draws, 1);
  scheduler.stop();
  scheduler.schedule();
  advance(1000);
  assert.equal(draws, 1, 'nothing is drawn after stop()');
});

test('bucket series sums values per bucket and keeps only the newest buckets', () => {
  const series = new BucketSeries(2000, 3);
  series.add(0, 4);
  series.add(1999, 6);
  series.add(2000, 1);
  series.add(6500, 2);
  assert.deepEqual(series.points().map((p) => [p.t, p.sum, p.count]), [[2000, 1, 1], [4000, 0, 0], [6000, 2, 1]]);
  series.add(100, 50); // older than the window: dropped
  series.advance(14_000);
  assert.deepEqual(series.points().map((p) => p.sum), [0, 0, 0]);
});
