// The unlocked key. It lives only in this module's memory: never in storage, never sent; the
// keystore is decrypted here (client/src/keystore.js) and the password is not kept. lock() zeroes the
// key bytes held here. Copies the signing library makes while it signs are its own and short-lived;
// JavaScript gives no way to zero those, nor the BigInt the curve code derives.
import { decryptKeystore, signTransaction } from '../../client/src/index.js';

/** A wallet session: unlock(keystoreText, password) → address; sign(tx); lock(). */
export function createSession({ decrypt = decryptKeystore } = {}) {
  let key = null;
  let address = null;
  const listeners = new Set();
  const notify = () => { for (const listener of listeners) listener(address); };

  function forget() {
    if (key) key.fill(0);
    key = null;
    address = null;
  }

  return {
    get address() { return address; },
    get unlocked() { return key !== null; },

    /** Decrypts a v3 keystore; rejects with the KeystoreError's message (a wrong password says so). */
    async unlock(keystoreText, password, options) {
      const opened = await decrypt(keystoreText, password, options);
      forget();
      key = opened.privateKey;
      address = opened.address;
      notify();
      return address;
    },

    /** Signs a transaction object with the unlocked key (client/src/transactions.js, signTransaction). */
    sign(tx) {
      if (!key) throw new Error('the wallet is locked: load a keystore first');
      return signTransaction(tx, key);
    },

    lock() {
      const had = key !== null;
      forget();
      if (had) notify();
    },

    /** Calls listener(address or null) on unlock and lock; returns the unsubscribe function. */
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
