// How the explorer writes the node's values for people (ctx.format). The node sends quantities as
// "0x…" hex strings (docs/rpc.md "Quantities"); amounts are nRLC, 1 RLC = 10^9 nRLC.

const NRLC_PER_RLC = 1_000_000_000n;
const grouping = new Intl.NumberFormat('en-US');

/** A quantity ("0x3e8", "1000" or a number) as a BigInt; null when absent. */
export function big(q) {
  if (q === undefined || q === null) return null;
  return typeof q === 'bigint' ? q : BigInt(q);
}

/** A quantity as a Number (heights, counts: far below 2^53). */
export function num(q) {
  if (q === undefined || q === null) return null;
  return typeof q === 'number' ? q : Number(BigInt(q));
}

/** An integer with thousands separators: 1234567 → "1,234,567". */
export function int(q) {
  const v = big(q);
  return v === null ? '—' : grouping.format(v);
}

/** A plain number to `digits` decimals with separators: 21.4853 → "21.49". */
export function decimal(n, digits = 2) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** An nRLC amount as RLC, exact (no float): "0x3b9aca00" → "1 RLC", 1500 → "0.0000015 RLC". */
export function rlc(q) {
  const v = big(q);
  if (v === null) return '—';
  const negative = v < 0n;
  const a = negative ? -v : v;
  const whole = grouping.format(a / NRLC_PER_RLC);
  const fraction = (a % NRLC_PER_RLC).toString().padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? '.' + fraction : ''} RLC`;
}

/** A hash or address shortened for tables: 0x1234…abcd. The full value belongs in a title. */
export function shortHash(h) {
  if (typeof h !== 'string') return '—';
  return h.length > 14 ? `${h.slice(0, 6)}…${h.slice(-4)}` : h;
}

/** A duration in milliseconds: 200 → "200 ms", 1530 → "1.53 s". */
export function ms(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return n < 1000 ? `${decimal(n, 1)} ms` : `${decimal(n / 1000, 2)} s`;
}

/** A Unix-millisecond time (quantity or number) as an ISO-like UTC string. */
export function time(q) {
  const v = num(q);
  if (v === null) return '—';
  return new Date(v).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** How long ago a Unix-millisecond time was, relative to `now`: "3 s ago", "5 min ago". */
export function ago(q, now = Date.now()) {
  const v = num(q);
  if (v === null) return '—';
  const s = Math.max(0, Math.round((now - v) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
