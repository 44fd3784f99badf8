// One governance proposal: what it does, who proposed it, the votes, its status and outcome.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, notFound, reason, routeId, start, status, table } from './parts.js';
import { proposalAction } from './gov-parts.js';

export default {
  path: /^\/proposal\/([^/?]*)$/,
  title: 'Proposal',
  nav: false,
  href: '/governance',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Proposal ${id}`);
    if (!checkId(body, id, 'number', 'proposal number')) return;
    const p = await ctx.rpc('iex_getProposal', [id]);
    if (!p) {
      notFound(body, `No proposal ${id} on this chain.`);
      return;
    }
    const votes = [...p.yes.map((v) => [account(ctx, v), 'yes']), ...p.no.map((v) => [account(ctx, v), 'no'])];
    replace(body,
      fields([
        ['Number', ctx.format.int(p.id), 'id'],
        ['Action', proposalAction(ctx, p), 'action'],
        ['Proposer', account(ctx, p.proposer), 'proposer'],
        ['Status', status(p.status), 'status'],
        ['Outcome', p.outcome ?? '—', 'outcome'],
        p.outcomeReason ? ['Outcome recorded', reason(ctx, p.outcomeReason)] : undefined,
        ['Created at block', block(ctx, p.createdHeight)],
        ['Voting ends at block', block(ctx, p.deadlineHeight)],
        ['Description hash', full(p.descriptionHash)],
      ].filter(Boolean), { 'data-record': 'proposal' }),
      h('section', { 'aria-labelledby': 'proposal-votes' },
        h('h2', { id: 'proposal-votes' }, `Votes (${p.yes.length} yes, ${p.no.length} no)`),
        table([{ label: 'Validator' }, { label: 'Vote' }], votes, 'No votes yet.', { 'data-list': 'votes' })));
  },
};
