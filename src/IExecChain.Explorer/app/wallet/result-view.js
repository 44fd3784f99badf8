// A task's result fetched and checked in the page, as `iexchain result get` does: the result comes
// from a worker that revealed it, its digest is recomputed here (result.js) and compared with the
// digest the chain agreed on, and only then is it offered for download. A page can only ask the node
// that served it (the policy allows connections to this origin only), which holds results when it
// runs the worker role; otherwise the page names the revealing workers' nodes, whose own explorer
// can fetch it.
import { h, replace } from '../dom.js';
import { verifyResult } from './result.js';

// The object URLs of the downloads shown, revoked when the next fetch replaces them (each holds a copy
// of the result in memory).
const shownUrls = new Set();
/** Frees the downloads of the result shown (the task page calls it when it is left). */
export function revokeShown() {
  for (const url of shownUrls) URL.revokeObjectURL(url);
  shownUrls.clear();
}

function download(name, bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  shownUrls.add(url);
  // The worker chose the name: keep its last path segment only.
  const file = name.split('/').pop() || 'result';
  return h('a', { href: url, download: file, 'data-download': name }, name);
}

async function workerNodes(ctx, task) {
  const revealed = (task.replicas ?? []).filter((r) => r.status === 'revealed');
  const items = await Promise.all(revealed.map(async (r) => {
    const worker = await ctx.rpc('iex_getWorker', [r.worker]).catch(() => null);
    let href = null;
    try {
      const url = new URL(worker?.endpoint ?? '');
      if (url.protocol === 'http:' || url.protocol === 'https:') href = new URL('/', url).href + '#/task/' + task.id;
    } catch {
      // No usable endpoint: the worker is listed without a link.
    }
    return h('li', null, h('a', { href: ctx.link('account', r.worker), class: 'hash' }, ctx.format.shortHash(r.worker)),
      href ? [': ', h('a', { href, 'data-worker-node': '', rel: 'noopener' }, `this task on ${new URL(href).host}`)] : ' (no endpoint registered)');
  }));
  return items;
}

/**
 * Fetches the task's result from this node, verifies it against task.resultDigest and draws the
 * outcome into el: verified (with downloads), a mismatch (no download), or where to fetch it instead.
 */
export async function fetchAndVerify(el, ctx, task) {
  revokeShown();
  replace(el, h('p', { class: 'muted', role: 'status' }, 'Fetching the result from this node…'));
  const answer = await ctx.rpc('iex_getResult', [task.id]);
  if (!answer) {
    const workers = await workerNodes(ctx, task);
    replace(el, h('p', { role: 'status', 'data-result': 'elsewhere' }, 'This node holds no result for this task (it does not run the worker that computed it). ',
      workers.length ? `The workers that revealed it serve it on their nodes. Their explorers check it against their own node's digest: trust a "verified" there only if it names the digest this chain agreed on, ${task.resultDigest}.` : 'No worker has revealed it.'),
    workers.length ? h('ul', null, workers) : null);
    return { verified: null };
  }
  const checked = verifyResult(answer, task.resultDigest);
  if (!checked.verified) {
    replace(el, h('p', { class: 'error', role: 'alert', 'data-result': 'mismatch' },
      `Mismatch: the result served hashes to ${checked.computed}, not to the digest the chain agreed on, ${checked.expected}. Do not use it.`));
    return checked;
  }
  replace(el,
    h('p', { role: 'status', class: 'ok', 'data-result': 'verified' },
      `Verified: the result hashes to ${checked.computed}, the digest the chain agreed on. Exit code ${checked.exitCode}, ${checked.stdout.length} bytes of output, ${checked.files.length} file(s).`),
    h('ul', { class: 'downloads' },
      h('li', null, download('stdout', checked.stdout)),
      checked.files.map((f) => h('li', null, download(f.name, f.data)))),
    checked.stdout.length <= 4096 ? h('pre', { class: 'stdout', 'data-stdout': '' }, new TextDecoder().decode(checked.stdout)) : null);
  return checked;
}
