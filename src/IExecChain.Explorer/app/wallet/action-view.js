// An action as the page shows it: a form whose fields say in place what is wrong, then the
// confirmation (what will be signed, from describe.js), then the transaction followed to its receipt
// (flow.js). Only the "Sign and send" button of the confirmation sends.
import { h, replace } from '../dom.js';
import { FormError } from './forms.js';
import { createFlow } from './flow.js';

let formCount = 0;

function control(field, id) {
  const common = { id, name: field.name, 'aria-describedby': id + '-error' };
  if (field.options) {
    return h('select', common, field.options.map(([value, label]) => h('option', { value, selected: value === field.value }, label)));
  }
  return h('input', { ...common, type: field.type ?? 'text', value: field.value ?? '', placeholder: field.placeholder ?? null, autocomplete: 'off', spellcheck: 'false', inputmode: field.inputmode ?? null });
}

/** A transaction's outcome links: its page, and what it made (an order, an app, a dataset). */
function outcomeLinks(ctx, state) {
  const links = [h('a', { href: ctx.link('tx', state.id), 'data-tx-link': '' }, 'the transaction\'s page')];
  for (const [label, text] of state.description?.rows ?? []) {
    if (label === 'Order hash' && state.tx?.placeOrder) links.push(h('a', { href: ctx.link('order', text), 'data-order-link': '' }, 'the order'));
    if (label === 'The app\'s address will be') links.push(h('a', { href: ctx.link('app', text) }, 'the app'));
    if (label === 'The dataset\'s address will be') links.push(h('a', { href: ctx.link('dataset', text) }, 'the dataset'));
  }
  return links.flatMap((a, i) => (i ? [', ', a] : [a]));
}

function drawFlow(panel, ctx, flow, state, onSettled) {
  const confirmRows = (rows) => h('table', { class: 'kv', 'data-confirm': '' }, h('tbody', null,
    rows.map(([label, text]) => h('tr', null, h('th', { scope: 'row' }, label), h('td', { class: /^0x/.test(text) ? 'mono' : null }, text)))));
  switch (state.phase) {
    case 'idle':
      replace(panel);
      break;
    case 'preparing':
      replace(panel, h('p', { class: 'muted', role: 'status' }, 'Reading the chain id, fee and your next nonce…'));
      break;
    case 'confirming': {
      const send = h('button', { type: 'button', class: 'primary', 'data-action': 'send', onclick: () => flow.confirm() }, 'Sign and send');
      replace(panel,
        h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm' },
          h('h3', null, `Confirm: ${state.description.title}`),
          h('p', null, 'This is what will be signed with your key and sent. Nothing has been sent yet.'),
          confirmRows(state.description.rows),
          h('p', { class: 'controls' }, send, h('button', { type: 'button', 'data-action': 'cancel', onclick: () => flow.cancel() }, 'Cancel'))));
      send.focus();
      break;
    }
    case 'sending':
    case 'pending':
      replace(panel, h('p', { role: 'status', 'data-outcome': 'pending' },
        state.phase === 'sending' ? 'Sending… ' : 'Sent; waiting for its block… ', h('code', { class: 'hash' }, state.id)));
      break;
    case 'success':
      replace(panel, h('p', { role: 'status', class: 'ok', 'data-outcome': 'success' },
        `Done: included in block ${ctx.format.int(state.receipt.blockNumber)}. See `, outcomeLinks(ctx, state), '.'));
      onSettled?.(state);
      break;
    case 'failed':
      replace(panel, h('p', { class: 'error', role: 'alert', 'data-outcome': 'failed' },
        `The chain refused it: ${state.message}. The fee was paid and the nonce used. See `, outcomeLinks(ctx, state), '.'));
      onSettled?.(state);
      break;
    case 'refused':
      replace(panel, h('p', { class: 'error', role: 'alert', 'data-outcome': 'refused' }, `The node refused it, nothing was done: ${state.message}`));
      break;
    case 'lost':
      replace(panel, h('p', { class: 'error', role: 'alert', 'data-outcome': 'lost' }, state.message, ' ', outcomeLinks(ctx, state)));
      break;
    default:
      replace(panel, h('p', { class: 'error', role: 'alert', 'data-outcome': 'error' }, state.message));
  }
}

/**
 * A form for one action. fields: [{ name, label, type?, options?: [[value, label]], value?, hint? }];
 * read(values) → [payloadName, payload] or throws FormError. Returns { el, stop }.
 */
export function actionForm(ctx, session, { id, title, intro, fields, read, submit = 'Review', onSettled }) {
  const prefix = `${id}-${++formCount}`;
  const panel = h('div', { class: 'flow', 'aria-live': 'polite' });
  const flow = createFlow({ rpc: ctx.rpc, session, onChange: (state) => drawFlow(panel, ctx, flow, state, onSettled) });
  const inputs = new Map();
  const errors = new Map();
  const rows = fields.map((field) => {
    const inputId = `${prefix}-${field.name}`;
    const input = control(field, inputId);
    const error = h('p', { class: 'field-error', id: inputId + '-error', hidden: true });
    inputs.set(field.name, input);
    errors.set(field.name, error);
    return h('div', { class: 'field' },
      h('label', { for: inputId }, field.label), input,
      field.hint ? h('p', { class: 'hint muted' }, field.hint) : null, error);
  });
  const formError = h('p', { class: 'error', role: 'alert', hidden: true });

  function showErrors(found) {
    let first = null;
    for (const [name, error] of errors) {
      const message = found[name];
      error.hidden = !message;
      error.textContent = message ?? '';
      inputs.get(name).setAttribute('aria-invalid', message ? 'true' : 'false');
      if (message && !first) first = inputs.get(name);
    }
    return first;
  }

  const form = h('form', {
    class: 'action', 'data-form': id, novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      formError.hidden = true;
      const values = Object.fromEntries([...inputs].map(([name, input]) => [name, input.value]));
      let payload;
      try {
        payload = read(values);
      } catch (err) {
        if (!(err instanceof FormError)) {
          formError.textContent = err.message;
          formError.hidden = false;
          return;
        }
        showErrors(err.errors)?.focus();
        return;
      }
      showErrors({});
      flow.prepare(payload[0], payload[1]);
    },
  }, rows, formError, h('p', null, h('button', { type: 'submit' }, submit)));

  const el = h('section', { 'aria-labelledby': prefix, 'data-action-section': id },
    h('h2', { id: prefix }, title), intro ? h('p', { class: 'muted' }, intro) : null, form, panel);
  return { el, flow, stop: () => flow.stop() };
}
