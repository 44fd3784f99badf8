// A small line chart in hand-written SVG: the SVG is built once, and update() changes its path and
// the caption. The figures are also written as text (caption and aria-label), for screen readers
// and for anyone who wants the number rather than the shape.
import { h, svg, setText } from './dom.js';

const WIDTH = 300;
const HEIGHT = 80;

/** createLineChart({ title, format }) → { el, update(values: (number|null)[]) }; null is a gap. */
export function createLineChart({ title, format }) {
  const area = svg('path', { class: 'chart-area' });
  const line = svg('path', { class: 'chart-line' });
  // The newest value as a dot: a zero-length stroke with round caps stays round when the SVG is stretched.
  const dot = svg('path', { class: 'chart-dot' });
  const picture = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': title, focusable: 'false' },
    svg('line', { class: 'chart-axis', x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }), area, line, dot);
  const latest = h('span', { class: 'chart-latest' }, '—');
  const peak = h('span', { class: 'chart-peak' }, '');
  const el = h('figure', { class: 'chart' },
    h('figcaption', null, h('span', { class: 'chart-title' }, title), ' ', latest, ' ', peak),
    picture);
  let lastLabel = '';

  function update(values) {
    const present = values.filter((v) => v !== null && v !== undefined);
    const max = present.length ? Math.max(...present) : 0;
    const top = max > 0 ? max * 1.1 : 1;
    const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
    let d = '';
    let fill = '';
    let open = false;
    let runStart = 0;
    let lastPoint = '';
    values.forEach((v, i) => {
      if (v === null || v === undefined) {
        if (open) fill += `L${((i - 1) * step).toFixed(1)},${HEIGHT}L${(runStart * step).toFixed(1)},${HEIGHT}Z`;
        open = false;
        return;
      }
      const x = (i * step).toFixed(1);
      const y = (HEIGHT - (v / top) * (HEIGHT - 4)).toFixed(1);
      d += `${open ? 'L' : 'M'}${x},${y}`;
      lastPoint = `M${x},${y}L${x},${y}`;
      fill += `${open ? 'L' : 'M'}${x},${y}`;
      if (!open) runStart = i;
      open = true;
    });
    if (open) fill += `L${((values.length - 1) * step).toFixed(1)},${HEIGHT}L${(runStart * step).toFixed(1)},${HEIGHT}Z`;
    line.setAttribute('d', d);
    dot.setAttribute('d', lastPoint);
    area.setAttribute('d', fill);
    const last = present.length ? present[present.length - 1] : null;
    setText(latest, last === null ? '—' : format(last));
    setText(peak, present.length ? `(peak ${format(max)})` : '');
    const label = `${title}: latest ${last === null ? 'none' : format(last)}, peak ${format(max)}`;
    if (label !== lastLabel) {
      picture.setAttribute('aria-label', label);
      lastLabel = label;
    }
  }

  return { el, update };
}
