// Every page of the explorer, in matching order (the first whose `path` matches the hash wins) and
// in nav order for those with `nav: true`. A page module exports:
//   { path: RegExp, title: string, nav: boolean, href?: string (nav target; default: the path's literal start),
//     async render(el, match, ctx) → optional dispose function }
import dashboard from './dashboard.js';
import blocks from './blocks.js';
import block from './block.js';
import tx from './tx.js';
import account from './account.js';
import market from './market.js';
import deal from './deal.js';
import task from './task.js';
import order from './order.js';
import pool from './pool.js';
import app from './app.js';
import dataset from './dataset.js';
import governance from './governance.js';
import proposal from './proposal.js';
import checkpoints from './checkpoints.js';
import checkpoint from './checkpoint.js';
import bridge from './bridge.js';
import deposit from './deposit.js';
import withdrawal from './withdrawal.js';
import search from './search.js';
import wallet from './wallet.js';

export default [
  dashboard, blocks, block, tx, account,
  market, deal, task, order, pool, app, dataset,
  governance, proposal, checkpoints, checkpoint, bridge, deposit, withdrawal,
  search, wallet,
];
