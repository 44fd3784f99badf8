// One action from form to receipt, as a state machine the page draws:
//   idle → preparing → confirming → sending → pending → success | failed
// with refused (the node would not take the transaction: its message), error (something before
// the send went wrong) and lost (sent, but no receipt in time). Nothing is signed or sent before
// confirm() is called in `confirming`, and a confirm in any other phase does nothing: a double
// click cannot send twice. The receipt is polled (iex_getReceipt) until it exists or the flow stops.
import { prepareTransaction } from '../../client/src/index.js';
import { describeTransaction } from './describe.js';

export const PHASES = ['idle', 'preparing', 'confirming', 'sending', 'pending', 'success', 'failed', 'refused', 'error', 'lost'];

/**
 * rpc(method, params) → result (ctx.rpc); session: createSession(); onChange(state) after each step.
 * pollMs between receipt look-ups; give up waiting (phase lost) after waitMs.
 */
export function createFlow({ rpc, session, onChange = () => {}, pollMs = 400, waitMs = 120_000, sleep = (ms) => new Promise((r) => setTimeout(r, ms)), now = () => Date.now() }) {
  let state = { phase: 'idle' };
  let generation = 0;
  let stopped = false;

  const set = (next) => {
    state = next;
    onChange(state);
  };

  async function prepare(payloadName, payload) {
    // One transaction at a time: while one is being sent or followed to its block, a new one would stop
    // following it, and the user would not learn whether it landed.
    if (state.phase === 'sending' || state.phase === 'pending') return state;
    if (!session.unlocked) {
      set({ phase: 'error', message: 'Load a keystore first: the wallet is locked.' });
      return state;
    }
    const mine = ++generation;
    set({ phase: 'preparing' });
    try {
      const tx = await prepareTransaction({ call: rpc }, session.address, payloadName, payload);
      const description = describeTransaction(tx, session.address);
      if (mine === generation) set({ phase: 'confirming', tx, description });
    } catch (e) {
      if (mine === generation) set({ phase: 'error', message: e.message });
    }
    return state;
  }

  function cancel() {
    if (state.phase !== 'confirming' && state.phase !== 'preparing') return;
    generation++;
    set({ phase: 'idle' });
  }

  async function confirm() {
    if (state.phase !== 'confirming') return state;
    const { tx, description } = state;
    const mine = ++generation;
    let signed;
    try {
      signed = session.sign(tx);
    } catch (e) {
      set({ phase: 'error', message: e.message });
      return state;
    }
    const id = signed.id;
    set({ phase: 'sending', tx, description, id });
    try {
      await rpc('iex_sendRawTransaction', [signed.signedHex]);
      if (mine !== generation) return state;
    } catch (e) {
      if (mine !== generation) return state;
      // An answer from the node is a refusal; no answer leaves it unknown whether it arrived.
      if (e.code === null || e.code === undefined) set({ phase: 'lost', tx, description, id, message: `No answer from the node (${e.message}); the transaction may have arrived: look it up.` });
      else set({ phase: 'refused', tx, description, id, message: e.message });
      return state;
    }
    set({ phase: 'pending', tx, description, id });
    const started = now();
    while (!stopped && mine === generation) {
      let receipt = null;
      try {
        receipt = await rpc('iex_getReceipt', [id]);
      } catch {
        // A missed poll is retried; the deadline below still holds.
      }
      if (stopped || mine !== generation) break;
      if (receipt) {
        set(receipt.status === 'success'
          ? { phase: 'success', tx, description, id, receipt }
          : { phase: 'failed', tx, description, id, receipt, message: receipt.error ?? receipt.failure?.name ?? 'failed' });
        break;
      }
      if (now() - started > waitMs) {
        set({ phase: 'lost', tx, description, id, message: `Not in a block after ${Math.round(waitMs / 1000)} s; it may still be included: look it up.` });
        break;
      }
      await sleep(pollMs);
    }
    return state;
  }

  return {
    get state() { return state; },
    prepare,
    confirm,
    cancel,
    /** Stops following the receipt (the page was left). */
    stop() { stopped = true; },
  };
}
