// The wallet page (#/wallet): load a v3 keystore file, decrypt it here, see the account, act.
// The file is read with FileReader and the password taken from the field; neither leaves the page
// and neither is stored (no localStorage, no cookie). Lock zeroes the key (session.js) and clears
// the password field.
import { h, replace } from '../dom.js';
import { actionForm } from './action-view.js';
import {
  readTransfer, readStake, readRequestOrder, readAppOrder, readDatasetOrder, readWorkerpoolOrder,
  readCancelOrder, readRegisterApp, readRegisterDataset, FormError,
} from './forms.js';

const ROLE_OPTIONS = [['worker', 'worker'], ['validator', 'validator']];

function unlockForm(session, onError) {
  const file = h('input', { id: 'wallet-file', type: 'file', accept: '.json,application/json' });
  const password = h('input', { id: 'wallet-password', type: 'password', autocomplete: 'off' });
  const status = h('p', { class: 'muted', role: 'status', 'data-wallet-status': '' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true, 'data-wallet-error': '' });
  const button = h('button', { type: 'submit' }, 'Unlock');
  const form = h('form', {
    class: 'action', 'data-form': 'unlock',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      const chosen = file.files?.[0];
      if (!chosen) {
        error.textContent = 'Choose a keystore file (a v3 JSON keystore, as `iexchain keys new` writes).';
        error.hidden = false;
        return;
      }
      button.disabled = true;
      status.textContent = 'Decrypting in this page…';
      try {
        const text = await chosen.text();
        await session.unlock(text, password.value, {
          onProgress: (fraction) => { status.textContent = `Decrypting in this page… ${Math.round(fraction * 100)} %`; },
        });
        password.value = '';
      } catch (err) {
        status.textContent = '';
        error.textContent = `Could not open this keystore: ${err.message}`;
        error.hidden = false;
        onError?.(err);
        password.focus();
      } finally {
        button.disabled = false;
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'wallet-file' }, 'Keystore file'), file),
  h('div', { class: 'field' }, h('label', { for: 'wallet-password' }, 'Password'), password),
  h('p', null, button), status, error);
  return h('section', { 'aria-labelledby': 'wallet-key' },
    h('h2', { id: 'wallet-key' }, 'Your key'),
    h('p', { class: 'muted' }, 'The keystore is decrypted in this page and never sent: transactions are signed here and only the signed bytes go to the node. Nothing is stored; reloading the page or Lock forgets the key.'),
    form);
}

/** The sell form names its resource 'resource' whatever its kind; its errors are shown there too. */
function readSellOrder(values) {
  const read = { app: readAppOrder, dataset: readDatasetOrder, workerpool: readWorkerpoolOrder }[values.kind];
  if (!read) throw new FormError({ kind: 'choose app, dataset or workerpool' });
  try {
    return read({ ...values, [values.kind]: values.resource });
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    const { [values.kind]: resource, ...rest } = e.errors;
    throw new FormError(resource ? { ...rest, resource } : rest);
  }
}

async function accountSummary(ctx, address) {
  const a = await ctx.rpc('iex_getAccount', [address]);
  return h('table', { class: 'kv', 'data-record': 'wallet-account' }, h('tbody', null,
    [
      ['Address', h('a', { href: ctx.link('account', address), class: 'hash', 'data-wallet-address': '' }, address), 'address'],
      ['Balance', ctx.format.rlc(a.balance), 'balance'],
      ['Frozen', ctx.format.rlc(a.frozen), 'frozen'],
      ['Worker stake', ctx.format.rlc(a.workerStake), 'workerStake'],
      ['Validator stake', ctx.format.rlc(a.validatorStake), 'validatorStake'],
      ['Nonce', ctx.format.int(a.pendingNonce ?? a.nonce), 'nonce'],
    ].map(([label, value, key]) => h('tr', { 'data-field': key }, h('th', { scope: 'row' }, label), h('td', null, value)))));
}

async function openOrders(ctx, session, cancelFlow) {
  const page = await ctx.rpc('iex_listOrders', { owner: session.address, limit: 25 });
  const open = (page.items ?? []).filter((o) => o.status === 'open');
  if (!open.length) return h('p', { class: 'muted' }, 'No open orders among your latest 25.');
  return h('ul', { class: 'orders' }, open.map((o) => h('li', null,
    h('a', { href: ctx.link('order', o.hash), class: 'hash' }, ctx.format.shortHash(o.hash)), ` ${o.kind} order `,
    h('button', { type: 'button', 'data-cancel': o.hash, onclick: () => cancelFlow(o.hash) }, 'Cancel…'))));
}

/** Draws the wallet page into el; returns the dispose function. */
export function renderWalletPage(el, ctx, session, { query = {} } = {}) {
  const body = h('div');
  let stops = [];
  const stopAll = () => { for (const s of stops) s(); stops = []; };

  function draw() {
    stopAll();
    if (!session.unlocked) {
      replace(body, unlockForm(session));
      return;
    }
    const summary = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
    const refresh = async () => {
      try {
        replace(summary, await accountSummary(ctx, session.address));
      } catch (e) {
        replace(summary, h('p', { class: 'error', role: 'alert' }, `Could not read the account: ${e.message}`));
      }
    };
    // After any action the balances and the open orders are read again.
    const settled = () => { refresh(); drawOrders(); };
    const forms = [
      actionForm(ctx, session, {
        id: 'transfer', title: 'Transfer', read: readTransfer, onSettled: settled,
        fields: [{ name: 'to', label: 'To (address)', placeholder: '0x…' }, { name: 'amount', label: 'Amount', placeholder: '2.5', hint: 'RLC, or nRLC with the unit: 1000 nRLC', inputmode: 'decimal' }],
      }),
      actionForm(ctx, session, {
        id: 'stake', title: 'Stake', read: (v) => readStake(v, 'stake'), onSettled: settled,
        fields: [{ name: 'role', label: 'Role', options: ROLE_OPTIONS }, { name: 'amount', label: 'Amount', inputmode: 'decimal' }],
      }),
      actionForm(ctx, session, {
        id: 'unstake', title: 'Unstake', read: (v) => readStake(v, 'unstake'), onSettled: settled,
        intro: 'Unstaked funds return after the chain\'s unbonding period.',
        fields: [{ name: 'role', label: 'Role', options: ROLE_OPTIONS }, { name: 'amount', label: 'Amount', inputmode: 'decimal' }],
      }),
      actionForm(ctx, session, {
        id: 'request', title: 'Place a request order', read: (v) => readRequestOrder(v, session.address), onSettled: settled,
        intro: 'Buy runs of an app: the chain matches the order with app, dataset and workerpool orders at the end of a block. Prices are the most you pay per task.',
        fields: [
          { name: 'app', label: 'App (address)', value: query.app ?? '' },
          { name: 'appMaxPrice', label: 'Most paid to the app', value: '0.001' },
          { name: 'dataset', label: 'Dataset (address, empty for none)', value: query.dataset ?? '' },
          { name: 'datasetMaxPrice', label: 'Most paid to the dataset', value: '0' },
          { name: 'workerpool', label: 'Workerpool (address, empty for any)', value: query.workerpool ?? '' },
          { name: 'workerpoolMaxPrice', label: 'Most paid to the workerpool', value: '0.01' },
          { name: 'volume', label: 'Volume (tasks)', value: '1', inputmode: 'numeric' },
          { name: 'category', label: 'Category', value: '0', inputmode: 'numeric', hint: '0 XS, 1 S, 2 M (see the market page)' },
          { name: 'trust', label: 'Trust', value: '1', inputmode: 'numeric', hint: '1: one contribution suffices; higher: more replicas must agree' },
          { name: 'params', label: 'Parameters (the app\'s arguments)' },
          { name: 'beneficiary', label: 'Beneficiary (address, empty for you)' },
        ],
      }),
      actionForm(ctx, session, {
        id: 'sell', title: 'Place an app, dataset or workerpool order', onSettled: settled,
        intro: 'Sell runs of your app, uses of your dataset or your pool\'s work.',
        read: readSellOrder,
        fields: [
          { name: 'kind', label: 'Kind', options: [['app', 'app order'], ['dataset', 'dataset order'], ['workerpool', 'workerpool order']] },
          { name: 'resource', label: 'Your app, dataset or workerpool (address)' },
          { name: 'price', label: 'Price per task', value: '0.001' },
          { name: 'volume', label: 'Volume (tasks)', value: '1000', inputmode: 'numeric' },
          { name: 'category', label: 'Category (workerpool orders)', value: '0', inputmode: 'numeric' },
          { name: 'trust', label: 'Highest trust accepted (workerpool orders)', value: '1000', inputmode: 'numeric' },
        ],
      }),
    ];
    const cancel = actionForm(ctx, session, {
      id: 'cancel', title: 'Cancel an order', read: readCancelOrder, onSettled: settled,
      intro: 'Only the order\'s owner can cancel it; what it still locks is released.',
      fields: [{ name: 'orderHash', label: 'Order hash', placeholder: '0x…' }],
    });
    const orderList = h('div');
    const cancelInput = cancel.el.querySelector('input[name=orderHash]');
    const drawOrders = async () => {
      try {
        replace(orderList, await openOrders(ctx, session, (hash) => {
          cancelInput.value = hash;
          cancel.el.querySelector('form').requestSubmit();
        }));
      } catch (e) {
        replace(orderList, h('p', { class: 'error', role: 'alert' }, `Could not list your orders: ${e.message}`));
      }
    };
    cancel.el.insertBefore(orderList, cancel.el.querySelector('form'));
    const registrations = [
      actionForm(ctx, session, {
        id: 'register-app', title: 'Register an app', read: readRegisterApp, onSettled: settled,
        intro: 'A WebAssembly module already served (`iexchain content put` prints its content root and size), or a native executable on the workers\' machines (its keccak-256 and size).',
        fields: [
          { name: 'name', label: 'Name' },
          { name: 'runtime', label: 'Runtime', options: [['wasm', 'WebAssembly'], ['native', 'native']] },
          { name: 'contentRoot', label: 'Content root (or the executable\'s keccak-256)' },
          { name: 'contentSize', label: 'Size in bytes', inputmode: 'numeric' },
          { name: 'endpoint', label: 'Endpoint serving it (WebAssembly)', value: location.origin + '/' },
          { name: 'manifest', label: 'Path on the workers (native)' },
        ],
      }),
      actionForm(ctx, session, {
        id: 'register-dataset', title: 'Register a dataset', read: readRegisterDataset, onSettled: settled,
        intro: 'A dataset already served in chunks (`iexchain content put`).',
        fields: [
          { name: 'name', label: 'Name' },
          { name: 'contentRoot', label: 'Content root' },
          { name: 'size', label: 'Size in bytes', inputmode: 'numeric' },
          { name: 'endpoint', label: 'Endpoint serving it', value: location.origin + '/' },
        ],
      }),
    ];
    stops = [...forms, cancel, ...registrations].map((f) => f.stop);
    const lock = h('button', { type: 'button', 'data-action': 'lock', onclick: () => session.lock() }, 'Lock');
    replace(body,
      h('section', { 'aria-labelledby': 'wallet-key' }, h('h2', { id: 'wallet-key' }, 'Your account'), summary,
        h('p', { class: 'controls' }, lock, h('span', { class: 'muted' }, 'Forgets the key in this page.'))),
      forms.map((f) => f.el), cancel.el, registrations.map((f) => f.el));
    refresh();
    drawOrders();
  }

  const unsubscribe = session.onChange(draw);
  replace(el, h('h1', null, 'Wallet'), body);
  draw();
  return () => {
    unsubscribe();
    stopAll();
  };
}
