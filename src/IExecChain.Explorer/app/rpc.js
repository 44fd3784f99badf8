// The page's link to the node that served it: JSON-RPC calls over HTTP POST to the same origin, and
// subscriptions over ONE WebSocket shared by every page, reopened with backoff when it drops (the
// node restarted, the network blinked) and its subscriptions made again.

/** An error the node answered (JSON-RPC error object), or a transport failure (code null). */
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

let nextId = 1;

/** How long one call may take before the page says the node did not answer. */
export const RPC_TIMEOUT_MS = 15_000;

/** ctx.rpc: one call, answered with its result or thrown as an RpcError. */
export function createRpc(endpoint = '/', { timeoutMs = RPC_TIMEOUT_MS } = {}) {
  return async function rpc(method, params) {
    const body = { jsonrpc: '2.0', id: nextId++, method };
    if (params !== undefined) body.params = params;
    let response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        // A node that stops answering must not leave a page on "Loading…" for good.
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if (e?.name === 'TimeoutError') throw new RpcError(null, `the node did not answer ${method} within ${timeoutMs / 1000} s`);
      throw new RpcError(null, `the node did not answer ${method}: ${e.message}`);
    }
    let answer;
    try {
      answer = await response.json();
    } catch {
      throw new RpcError(null, `the node answered ${method} with HTTP ${response.status} and no JSON-RPC body`);
    }
    if (answer.error) throw new RpcError(answer.error.code, answer.error.message, answer.error.data);
    if (!response.ok) throw new RpcError(null, `the node answered ${method} with HTTP ${response.status}`);
    return answer.result;
  };
}

/** The WebSocket URL of the node that served this page (same host and port, path /ws). */
export function socketUrl(location = window.location) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15000;

/**
 * ctx.subscribe over one shared socket. The socket opens with the first subscription and stays
 * open; when it closes, every subscription is made again on the next socket.
 * subscribe(topic, filter, handler, onSubscribed): `onSubscribed()` runs each time the node confirms
 * the subscription, the first time and after every reconnection. Events from before that moment are
 * not delivered (between a page's first fetch and the confirmation, or while the socket was down), so
 * a page that shows state refetches it there instead of showing it as live while stale. `onStatus` hears
 * 'connecting', 'live' and 'reconnecting' (with the delay in ms). `env` replaces WebSocket,
 * setTimeout and Math.random (the unit tests drive reconnection with them).
 */
export function createSubscriptions(url, onStatus = () => {}, env = {}) {
  const Socket = env.WebSocket ?? globalThis.WebSocket;
  const setTimer = env.setTimeout ?? globalThis.setTimeout;
  const random = env.random ?? Math.random;
  const subscriptions = new Map(); // local key -> { topic, filter, handler, remoteId }
  const byRemoteId = new Map();
  const pending = new Map(); // request id -> callback(answer)
  let socket = null;
  let backoff = MIN_BACKOFF_MS;
  let retryTimer = null;
  let nextKey = 1;

  function send(message) {
    if (socket && socket.readyState === Socket.OPEN) socket.send(JSON.stringify(message));
  }

  function request(method, params, callback) {
    const id = nextId++;
    pending.set(id, callback);
    send({ jsonrpc: '2.0', id, method, params });
  }

  function subscribeRemote(key) {
    const sub = subscriptions.get(key);
    if (!sub || !socket || socket.readyState !== Socket.OPEN) return;
    const params = sub.filter ? [sub.topic, sub.filter] : [sub.topic];
    const opened = socket;
    request('iex_subscribe', params, (answer) => {
      if (answer.error) {
        console.warn(`subscription to ${sub.topic} refused: ${answer.error.message}`);
        return;
      }
      if (!subscriptions.has(key) || socket !== opened) {
        // Unsubscribed (or reconnected) while the node was answering: cancel the orphan.
        send({ jsonrpc: '2.0', method: 'iex_unsubscribe', params: [answer.result] });
        return;
      }
      sub.remoteId = answer.result;
      byRemoteId.set(answer.result, sub);
      sub.onSubscribed?.();
    });
  }

  function connect() {
    retryTimer = null;
    onStatus('connecting');
    const ws = new Socket(url);
    socket = ws;
    ws.onopen = () => {
      backoff = MIN_BACKOFF_MS;
      onStatus('live');
      for (const key of subscriptions.keys()) subscribeRemote(key);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.method === 'iex_subscription') {
        const sub = byRemoteId.get(message.params?.subscription);
        if (sub) sub.handler(message.params.result);
        return;
      }
      const callback = pending.get(message.id);
      if (callback) {
        pending.delete(message.id);
        callback(message);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      pending.clear();
      byRemoteId.clear();
      for (const sub of subscriptions.values()) sub.remoteId = null;
      if (subscriptions.size === 0) return;
      // Jitter spreads the reconnections of many open pages after a node restart.
      const delay = Math.round(backoff * (0.75 + random() * 0.5));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      onStatus('reconnecting', delay);
      retryTimer = setTimer(connect, delay);
    };
    // An error is always followed by close, which reconnects; nothing to add here.
    ws.onerror = () => {};
  }

  return function subscribe(topic, filter, handler, onSubscribed) {
    const key = nextKey++;
    subscriptions.set(key, { topic, filter: filter ?? null, handler, onSubscribed, remoteId: null });
    if (!socket && !retryTimer) connect();
    else subscribeRemote(key);
    return function unsubscribe() {
      const sub = subscriptions.get(key);
      if (!sub) return;
      subscriptions.delete(key);
      if (sub.remoteId) {
        byRemoteId.delete(sub.remoteId);
        send({ jsonrpc: '2.0', method: 'iex_unsubscribe', params: [sub.remoteId] });
      }
    };
  };
}
