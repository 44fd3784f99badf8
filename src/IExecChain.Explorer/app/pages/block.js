// One block: its header, the commit that finalized it (and the parent's commit it carries), and its
// transactions with their type, sender, what they did and their status (receipts fetched per page).
import { h, replace } from '../dom.js';
import { account, block, errorText, fields, full, idLink, problem, section, start, status, table, when, ZERO_HASH } from './parts.js';
import { payloadSummary } from './payload.js';

const TX_PAGE = 50;

function commitTable(ctx, commit) {
  return h('div', null,
    fields([
      ['Height', ctx.format.int(commit.height)],
      ['Round', String(commit.round)],
      ['Block hash', full(commit.blockHash)],
      ['Signatures', String(commit.signatures.length)],
    ]),
    table([{ label: 'Validator' }, { label: 'Vote time' }, { label: 'Signature' }],
      commit.signatures.map((s) => [account(ctx, s.validator), when(ctx, s.timestamp), h('span', { class: 'hash', title: s.signature }, ctx.format.shortHash(s.signature))]),
      'No signatures (genesis).'));
}

export default {
  path: /^\/block\/([^/?]*)$/,
  title: 'Block',
  nav: false,
  href: '/blocks',

  async render(el, match, ctx) {
    let raw;
    try {
      raw = decodeURIComponent(match[1] ?? '').trim();
    } catch {
      raw = String(match[1] ?? ''); // a broken %-escape: shown as typed, refused below
    }
    const byHash = /^0x[0-9a-fA-F]{64}$/.test(raw);
    const body = start(el, byHash ? `Block ${ctx.format.shortHash(raw.toLowerCase())}` : `Block ${raw}`);
    if (!byHash && !/^\d+$/.test(raw)) {
      replace(body, problem(`Not a block number or block hash: “${raw}” (a number such as 12, or 0x followed by 64 hex digits).`));
      return;
    }
    const b = byHash
      ? await ctx.rpc('iex_getBlockByHash', [raw.toLowerCase(), true])
      : await ctx.rpc('iex_getBlockByNumber', [raw, true]);
    if (!b) {
      const head = await ctx.rpc('iex_blockNumber').catch(() => null);
      replace(body, h('p', { class: 'error', role: 'alert', 'data-not-found': 'true' },
        byHash ? `No block has the hash ${raw}.` : `No block ${raw} yet: the head is ${head === null ? 'unknown' : ctx.format.int(head)}.`));
      return;
    }
    const number = ctx.format.num(b.number);
    el.querySelector('h1').textContent = `Block ${ctx.format.int(number)}`;

    const nav = h('p', { class: 'pager' },
      number > 0 ? h('a', { href: ctx.link('block', number - 1) }, `← Block ${ctx.format.int(number - 1)}`) : null,
      ' ',
      h('a', { href: ctx.link('block', number + 1) }, `Block ${ctx.format.int(number + 1)} →`));

    const header = fields([
      ['Height', ctx.format.int(b.number), 'number'],
      ['Hash', full(b.hash), 'hash'],
      ['Parent', b.parentHash === ZERO_HASH ? 'none (genesis)' : h('span', null, idLink(ctx, 'block', number - 1, `Block ${ctx.format.int(number - 1)}`), ' ', full(b.parentHash)), 'parentHash'],
      ['Time', when(ctx, b.timestamp), 'timestamp'],
      ['Proposer', number === 0 ? 'none (genesis)' : account(ctx, b.proposer), 'proposer'],
      ['Transactions', ctx.format.int(b.transactionCount), 'transactionCount'],
      ['Chain id', ctx.format.int(b.chainId)],
      ['State root', full(b.stateRoot)],
      ['Transactions root', full(b.transactionsRoot)],
      ['Receipts root', full(b.receiptsRoot)],
      ['Validator set hash', full(b.validatorSetHash)],
      ['Next validator set hash', full(b.nextValidatorSetHash)],
      ['Last commit hash', full(b.lastCommitHash)],
      ['Evidence hash', full(b.evidenceHash)],
    ], { 'data-record': 'block' });

    const txs = b.transactions ?? [];
    const txBody = h('div');
    let txPage = 0;
    let generation = 0; // the newest page asked for wins; an earlier answer landing late is dropped
    async function showTransactions(page) {
      const mine = ++generation;
      for (const button of txBody.querySelectorAll('.pager button')) button.disabled = true;
      const slice = txs.slice(page * TX_PAGE, (page + 1) * TX_PAGE);
      // A receipt per shown transaction, for its status; a failure to fetch one shows in its row.
      const receipts = await Promise.all(slice.map((t) => ctx.rpc('iex_getReceipt', [t.hash]).catch((e) => ({ error: errorText(e) }))));
      if (mine !== generation) return;
      txPage = page;
      const rows = slice.map((t, i) => {
        const r = receipts[i];
        return [
          ctx.format.int(t.transactionIndex),
          idLink(ctx, 'tx', t.hash),
          h('span', { 'data-type': t.type }, t.type),
          account(ctx, t.from),
          payloadSummary(ctx, t),
          r?.status ? status(r.status) : r?.error ? h('span', { class: 'warn', title: r.error }, 'receipt unavailable') : '—',
        ];
      });
      const pages = Math.ceil(txs.length / TX_PAGE);
      replace(txBody,
        table([{ label: '#' , num: true }, { label: 'Transaction' }, { label: 'Type' }, { label: 'From' }, { label: 'What' }, { label: 'Status' }],
          rows, 'No transactions in this block.', { 'data-list': 'block-transactions' }),
        pages > 1 ? h('div', { class: 'pager' },
          h('button', { type: 'button', disabled: txPage === 0, onclick: () => showTransactions(txPage - 1) }, '← Previous'),
          ` ${txPage + 1} of ${pages} `,
          h('button', { type: 'button', disabled: txPage >= pages - 1, onclick: () => showTransactions(txPage + 1) }, 'Next →')) : null);
    }
    const txSection = section('Transactions', 'block-txs', async () => { await showTransactions(0); return txBody; });

    replace(body,
      nav,
      h('section', { 'aria-labelledby': 'block-header' }, h('h2', { id: 'block-header' }, 'Header'), header),
      txSection.el,
      h('section', { 'aria-labelledby': 'block-commit' }, h('h2', { id: 'block-commit' }, 'Commit'),
        b.commit ? commitTable(ctx, b.commit) : h('p', { class: 'muted' }, 'This node holds no commit for this block.')),
      b.lastCommit ? h('section', { 'aria-labelledby': 'block-last-commit' },
        h('h2', { id: 'block-last-commit' }, `Parent's commit (block ${ctx.format.int(b.lastCommit.height)}) carried by this block`),
        commitTable(ctx, b.lastCommit)) : null);
  },
};
