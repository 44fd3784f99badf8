// Loads the wallet bundle (app/wallet/index.js, built apart by build.mjs) on first use: its
// secp256k1, keccak, scrypt and AES code is most of its weight, and the dashboard and browse pages
// need none of it. index.html names the file (<meta name="iexec-wallet">); it is one more
// same-origin script, which the policy's script-src 'self' allows, fetched only when a page asks.
let loaded = null;
let loading = null;

export function loadWallet() {
  if (!loading) {
    const url = document.querySelector('meta[name="iexec-wallet"]')?.getAttribute('content');
    loading = url
      ? import(url).then((m) => (loaded = m), (e) => { loading = null; throw e; })
      : Promise.reject(new Error('this page names no wallet bundle'));
  }
  return loading;
}

/** The wallet module if a page already loaded it, else null (does not fetch it). */
export function loadedWallet() {
  return loaded;
}
