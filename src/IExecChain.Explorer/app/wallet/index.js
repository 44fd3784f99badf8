// The wallet bundle (built apart from the app, loaded on demand by app/wallet-loader.js): the
// signing, keystore and result-checking code of the client module with the pages that use it, so
// the dashboard does not fetch it. One session per document: the key stays while the page lives.
import { createSession } from './session.js';

export const session = createSession();
export { renderWalletPage } from './wallet-page.js';
export { fetchAndVerify, revokeShown } from './result-view.js';
export { actionForm } from './action-view.js';
export { readCancelOrder } from './forms.js';
