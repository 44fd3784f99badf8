// The task page's result section: once the task is completed, "Fetch and verify" gets the result
// and checks it against the chain's result digest (app/wallet/result-view.js, loaded on click).
// Not a page: pages/index.js does not list it.
import { h, replace } from '../dom.js';
import { loadWallet, loadedWallet } from '../wallet-loader.js';
import { errorText } from './parts.js';

export function resultSection(ctx) {
  let task = null;
  const outcome = h('div', { 'aria-live': 'polite' });
  const note = h('p', { class: 'muted' });
  const button = h('button', {
    type: 'button', 'data-action': 'fetch-result', hidden: true,
    onclick: async () => {
      button.disabled = true;
      try {
        const wallet = await loadWallet();
        await wallet.fetchAndVerify(outcome, ctx, task);
      } catch (e) {
        replace(outcome, h('p', { class: 'error', role: 'alert' }, `Could not fetch the result: ${errorText(e)}`));
      } finally {
        button.disabled = false;
      }
    },
  }, 'Fetch and verify the result');
  const el = h('section', { 'aria-labelledby': 'task-result', 'data-section': 'task-result' },
    h('h2', { id: 'task-result' }, 'Result'), note, h('p', null, button), outcome);
  return {
    el,
    /** Frees the result's downloads (the page is left). */
    stop() {
      loadedWallet()?.revokeShown();
    },
    /** Called with each fresh copy of the task. */
    update(t) {
      task = t;
      const ready = t.status === 'completed' && Boolean(t.resultDigest);
      button.hidden = !ready;
      note.textContent = ready
        ? 'Fetched from a worker that revealed it and checked here against the result digest the chain agreed on.'
        : `The result can be fetched once the task is completed (now ${t.status}).`;
    },
  };
}
