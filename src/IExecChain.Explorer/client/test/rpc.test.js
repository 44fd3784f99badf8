import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { RpcError, createRpcClient, prepareTransaction } from '../src/index.js';

// A real HTTP server on 127.0.0.1 answering as the node's RPC does (docs/rpc.md).
let server;
let url;
const requests = [];

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', chunk => { body += chunk; });
    request.on('end', () => {
      const call = JSON.parse(body);
      requests.push({ call, contentType: request.headers['content-type'] });
      const reply = answer => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, ...answer }));
      };
      switch (call.method) {
        case 'iex_blockNumber': return reply({ result: '0x2a' });
        case 'iex_sendRawTransaction':
          return reply({ error: { code: -32000, message: 'transaction rejected: nonce 3 is ahead of account nonce 1', data: { hash: '0xab' } } });
        case 'iex_nodeInfo': return reply({ result: { chainId: '0x539', fees: { transfer: '0x3e8', order: '0x1f4' } } });
        case 'iex_getAccount': return reply({ result: { address: call.params[0], nonce: '0x1', pendingNonce: '0x3' } });
        case 'html':
          response.writeHead(502, { 'Content-Type': 'text/html' });
          return response.end('<html>bad gateway</html>');
        case 'slow': return; // never answers
        default: return reply({ error: { code: -32601, message: `method not found: ${call.method}` } });
      }
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

test('a result comes back as sent, over a JSON POST', async () => {
  const rpc = createRpcClient(url);
  assert.equal(await rpc.call('iex_blockNumber'), '0x2a');
  const last = requests.at(-1);
  assert.equal(last.contentType, 'application/json');
  assert.deepEqual({ ...last.call, id: 0 }, { jsonrpc: '2.0', id: 0, method: 'iex_blockNumber', params: [] });
});

test('an error answer becomes an RpcError with the node\'s code, message and data', async () => {
  const rpc = createRpcClient(url);
  await assert.rejects(rpc.call('iex_sendRawTransaction', ['0x00']), e => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -32000);
    assert.equal(e.message, 'transaction rejected: nonce 3 is ahead of account nonce 1');
    assert.deepEqual(e.data, { hash: '0xab' });
    return true;
  });
  await assert.rejects(rpc.call('nope'), { name: 'RpcError', code: -32601, message: 'method not found: nope' });
});

test('transport failures are RpcErrors with code null and say what happened', async () => {
  await assert.rejects(createRpcClient(url).call('html'), { code: null, message: 'html: HTTP 502 with a body that is not JSON' });
  await assert.rejects(createRpcClient(url, { timeoutMs: 200 }).call('slow'), { code: null, message: 'slow: no answer within 200 ms' });
  await assert.rejects(createRpcClient('http://127.0.0.1:1/').call('iex_blockNumber'), { code: null, message: /could not be reached/ });
});

test('prepareTransaction fills chain id, fee and the pending nonce, and sends nothing', async () => {
  const before = requests.length;
  const tx = await prepareTransaction(createRpcClient(url), '0x00000000000000000000000000000000000a11ce', 'placeOrder', { request: {} });
  assert.deepEqual(tx, { chainId: 1337n, nonce: 3n, fee: 500n, placeOrder: { request: {} } });
  assert.deepEqual(requests.slice(before).map(r => r.call.method).sort(), ['iex_getAccount', 'iex_nodeInfo']);
  await assert.rejects(prepareTransaction(createRpcClient(url), '0x00', 'bribe', {}), /unknown transaction type 'bribe'/);
  await assert.rejects(prepareTransaction(createRpcClient(url), '0x00', 'stake', {}), /lists no fee for stake/);
});
