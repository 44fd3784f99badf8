// The explorer's entry point: builds ctx (docs/explorer.md, "Pages"), the nav and the router, and
// marks the page ready (performance mark 'explorer-ready', <html data-ready>) once the first page
// has rendered its data: what the browser test measures as "interactive".
import './style.css';
import * as format from './format.js';
import { createRpc, createSubscriptions, socketUrl, RpcError } from './rpc.js';
import { createRouter } from './router.js';
import { setText } from './dom.js';
import pages from './pages/index.js';

const LINK_KINDS = new Set(['block', 'tx', 'account', 'app', 'dataset', 'pool', 'order', 'deal', 'task', 'checkpoint', 'proposal']);

/** '#/block/12' style hrefs; link('search', 'text') → '#/search?q=text'. */
function link(kind, id) {
  if (kind === 'search') return '#/search?q=' + encodeURIComponent(id);
  if (!LINK_KINDS.has(kind)) throw new Error(`unknown link kind '${kind}'`);
  return `#/${kind}/${encodeURIComponent(String(id))}`;
}

function start() {
  // Empty until a page subscribes (the socket opens with the first subscription): a page with no
  // live data, such as the wallet, says nothing about a connection it does not use.
  const status = document.getElementById('conn');
  const showStatus = (state, delay) => {
    status.dataset.state = state;
    setText(status, state === 'live' ? 'live' : state === 'reconnecting' ? `reconnecting in ${Math.ceil(delay / 1000)} s` : 'connecting…');
  };
  const ctx = {
    rpc: createRpc('/'),
    subscribe: createSubscriptions(socketUrl(), showStatus),
    format,
    link,
    RpcError,
  };
  const main = document.getElementById('main');
  // The skip link targets <main> without touching the hash, which holds the route.
  document.querySelector('.skip')?.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  const router = createRouter({
    pages,
    main,
    nav: document.getElementById('nav'),
    ctx,
    onFirstRender: () => {
      performance.mark('explorer-ready');
      document.documentElement.dataset.ready = 'true';
    },
  });
  router.show();
}

start();
