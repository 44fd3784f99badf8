// Governance: proposals with their votes and status (iex_listProposals, newest first, paged) and
// the governable parameters with the value in force, the chain spec's and the bounds.
import { h, replace } from '../dom.js';
import { block, idLink, pagedList, section, status, table } from './parts.js';
import { proposalAction } from './gov-parts.js';

export default {
  path: /^\/governance$/,
  title: 'Governance',
  nav: true,

  async render(el, _match, ctx) {
    const f = ctx.format;
    const proposals = pagedList('proposals', (cursor) => ctx.rpc('iex_listProposals', { limit: 20, ...(cursor ? { cursor } : {}) }), (items) => table(
      [{ label: 'Proposal' }, { label: 'Action' }, { label: 'Status' }, { label: 'Yes', num: true }, { label: 'No', num: true }, { label: 'Created at' }, { label: 'Voting ends at' }, { label: 'Outcome' }],
      items.map((p) => [idLink(ctx, 'proposal', f.num(p.id), `#${f.int(p.id)}`), proposalAction(ctx, p), status(p.status), String(p.yes.length), String(p.no.length),
        block(ctx, p.createdHeight), block(ctx, p.deadlineHeight), p.outcome ?? '—']),
      'No proposals yet.',
      { 'data-list': 'proposals' }));
    const parameters = section('Governable parameters', 'gov-parameters', async () => {
      const r = await ctx.rpc('iex_getGovernableParameters', []);
      return [
        h('p', { class: 'muted' }, `In force for the block after ${f.int(r.blockNumber)}. A change-parameter proposal must lie within the bounds.`),
        table([{ label: 'Parameter' }, { label: 'In force', num: true }, { label: 'Chain spec', num: true }, { label: 'Min', num: true }, { label: 'Max', num: true }, { label: 'Meaning' }],
          r.parameters.map((p) => {
            const v = (q) => (p.unit === 'nRLC' ? f.rlc(q) : `${f.int(q)} ${p.unit}`);
            return [h('code', null, p.name), v(p.value), v(p.specValue), v(p.min), p.max === '0xffffffffffffffff' ? 'no limit' : v(p.max), p.doc];
          }),
          'No governable parameters.', { 'data-list': 'parameters' }),
      ];
    });
    replace(el,
      h('h1', null, 'Governance'),
      h('section', { 'aria-labelledby': 'gov-proposals' }, h('h2', { id: 'gov-proposals' }, 'Proposals'), proposals.el),
      parameters.el);
  },
};
