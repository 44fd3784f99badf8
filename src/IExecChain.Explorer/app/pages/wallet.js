// The wallet: load a keystore, then transfer, stake, place and cancel orders, register apps and
// datasets (app/wallet/). The code is fetched when this page opens, not with the dashboard.
// #/wallet?app=0x… prefills the request order (the app page links here).
import { h, replace } from '../dom.js';
import { loadWallet } from '../wallet-loader.js';
import { errorText, query } from './parts.js';

export default {
  path: /^\/wallet(?:\?(.*))?$/,
  title: 'Wallet',
  nav: true,
  href: '/wallet',

  async render(el, match, ctx) {
    replace(el, h('h1', null, 'Wallet'), h('p', { class: 'muted', role: 'status' }, 'Loading the wallet…'));
    let wallet;
    try {
      wallet = await loadWallet();
    } catch (e) {
      replace(el, h('h1', null, 'Wallet'), h('p', { class: 'error', role: 'alert' }, `Could not load the wallet: ${errorText(e)}`));
      return;
    }
    const params = query(match[1] ?? '');
    return wallet.renderWalletPage(el, ctx, wallet.session, {
      query: { app: params.app, dataset: params.dataset, workerpool: params.workerpool },
    });
  },
};
