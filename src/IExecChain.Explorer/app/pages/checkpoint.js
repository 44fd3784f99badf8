// One checkpoint: range, roots, next validators, signatures, and its anchors on Ethereum.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, notFound, routeId, short, start, table } from './parts.js';
import { anchoring } from './checkpoints.js';

export default {
  path: /^\/checkpoint\/([^/?]*)$/,
  title: 'Checkpoint',
  nav: false,
  href: '/checkpoints',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Checkpoint ${id}`);
    if (!checkId(body, id, 'number', 'checkpoint number')) return;
    const c = await ctx.rpc('iex_getCheckpoint', [id]);
    if (!c) {
      notFound(body, `No checkpoint ${id} is recorded.`);
      return;
    }
    const f = ctx.format;
    replace(body,
      fields([
        ['Number', f.int(c.number), 'number'],
        ['Blocks', h('span', null, block(ctx, c.firstHeight), ' to ', block(ctx, c.lastHeight)), 'range'],
        ['Recorded at block', block(ctx, c.recordedAtHeight), 'recordedAtHeight'],
        ['On Ethereum', anchoring(ctx, c), 'anchoring'],
        ['Digest (signed)', full(c.digest), 'digest'],
        ['Blocks root', full(c.blocksRoot)],
        ['State root', full(c.stateRoot)],
        ['Withdrawals root', c.withdrawalsRoot === '0x' + '0'.repeat(64) ? 'none (no withdrawals in the period)' : full(c.withdrawalsRoot)],
        ['Next validator set hash', full(c.nextValidatorSetHash)],
        ['Chain id', f.int(c.chainId)],
        c.latest !== undefined ? ['Newest checkpoint', f.int(c.latest)] : undefined,
      ].filter(Boolean), { 'data-record': 'checkpoint' }),
      h('section', { 'aria-labelledby': 'cp-anchors' },
        h('h2', { id: 'cp-anchors' }, 'Anchors on Ethereum'),
        table([{ label: 'Relayer' }, { label: 'Ethereum chain', num: true }, { label: 'Anchor contract' }, { label: 'Ethereum transaction' }, { label: 'Ethereum block', num: true }, { label: 'Reported at' }],
          (c.anchors ?? []).map((a) => [account(ctx, a.relayer), f.int(a.ethChainId), short(ctx, a.anchorContract), short(ctx, a.ethTxHash), f.int(a.ethBlockNumber), block(ctx, a.reportedAtHeight)]),
          'No relayer has reported this checkpoint anchored.')),
      h('section', { 'aria-labelledby': 'cp-validators' },
        h('h2', { id: 'cp-validators' }, 'Next validators'),
        table([{ label: 'Validator' }, { label: 'Power', num: true }], (c.nextValidators ?? []).map((v) => [account(ctx, v.address), f.int(v.power)]))),
      h('section', { 'aria-labelledby': 'cp-signatures' },
        h('h2', { id: 'cp-signatures' }, `Signatures (${c.signatures?.length ?? 0})`),
        table([{ label: 'Validator' }, { label: 'Signature' }], (c.signatures ?? []).map((s) => [account(ctx, s.validator), short(ctx, s.signature)]), 'No signatures.')));
  },
};
