#!/usr/bin/env bash
# A validator following the RLC bridge (benchmarks/RESULTS.md, "Bridge"): node CPU without a bridge,
# following with no deposits, and at 1 deposit/s for 120 s each, then the credit latency in Ethereum
# blocks. Needs a Release build (dotnet build -c Release) and the test tools (the Ethereum tests'
# js/node_modules: ganache, ethers). Usage: benchmarks/bridge/follow.sh [WORKDIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"; mkdir -p "$work"; cd "$work"
js="$repo/tests/IExecChain.Ethereum.Tests/bin/Release/net10.0/js"
iex=(dotnet "$repo/node/IExecChain.Node/bin/Release/net10.0/iexchain.dll")  # an array, not a function: $! must be dotnet's pid
ethers="$js/node_modules/ethers/lib.commonjs/index.js"
payer=0x$(printf '22%.0s' {1..32}); depositor=0x$(printf '33%.0s' {1..32})
validator=$(node -e 'const {ethers}=require(process.argv[1]);console.log(ethers.keccak256(ethers.toUtf8Bytes("iexecchain-devnet/validator/0")))' "$ethers")
node "$js/node_modules/ganache/dist/node/cli.js" --server.port 18546 --chain.chainId 1337 --chain.hardfork shanghai --logging.quiet --miner.blockTime 1 \
  --wallet.accounts "$payer,1000000000000000000000000" --wallet.accounts "$depositor,1000000000000000000000000" > ganache.log 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
sleep 5
printf 'pw\n' > pw
"${iex[@]}" keys import --private-key "$payer" --out payer.json --password-file pw > /dev/null
"${iex[@]}" keys import --private-key "$validator" --out validator.json --password-file pw > /dev/null
"$repo/scripts/compile-contract.sh" Bridge bridge.bin 2> /dev/null
"$repo/scripts/compile-contract.sh" TestRlc testrlc.bin 2> /dev/null
deployed=$("${iex[@]}" bridge deploy --eth-rpc http://127.0.0.1:18546 --eth-key payer.json --password-file pw --bytecode bridge.bin \
  --test-token-bytecode testrlc.bin --anchor 0x000000000000000000000000000000000000dEaD --sidechain-id 1337 2> /dev/null | grep '^{')
field() { python3 -c "import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])" "$deployed" "$1"; }
token=$(field token); bridge=$(field bridge)
python3 - "$repo/chain-spec/devnet.json" "$bridge" "$(field block)" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec['parameters']['bridge'] = {'ethChainId': 1337, 'contract': sys.argv[2], 'startBlock': int(sys.argv[3])}
spec['accounts'].append({'address': '0xaeaa3d916128a88ceb792199a74879d8df29ae6b', 'balance': '10000000000'})
json.dump(spec, open('bridged.json', 'w'))
PY
node -e '
const {ethers}=require(process.argv[1]);
(async()=>{const w=new ethers.Wallet(process.argv[2],new ethers.JsonRpcProvider("http://127.0.0.1:18546"));
const t=new ethers.Contract(process.argv[3],["function mint(address,uint256)"],w);
await (await t.mint(new ethers.Wallet(process.argv[4]).address,10n**18n)).wait();})()' "$ethers" "$payer" "$token" "$depositor"

cpu_of() {  # PID SECONDS -> percent of one core over that window
  local tck; tck=$(getconf CLK_TCK)
  local c0 c1; c0=$(awk '{print $14+$15}' "/proc/$1/stat"); sleep "$2"; c1=$(awk '{print $14+$15}' "/proc/$1/stat")
  python3 -c "print(round(($c1-$c0)/$tck/$2*100,2))"
}

"${iex[@]}" init --chain-spec "$repo/chain-spec/devnet.json" --data plain > /dev/null
"${iex[@]}" run --data plain --key validator.json --password-file pw --rpc 127.0.0.1:18648 --p2p 127.0.0.1:31501 --log-level Warning > plain.log 2>&1 &
plain=$!; pids+=($plain); sleep 15
echo "no bridge: $(cpu_of $plain 120)% of one core"
kill $plain; wait $plain 2> /dev/null || true

"${iex[@]}" init --chain-spec bridged.json --data bridged > /dev/null
"${iex[@]}" run --data bridged --key validator.json --password-file pw --rpc 127.0.0.1:18647 --p2p 127.0.0.1:31500 --eth-rpc http://127.0.0.1:18546 --log-level Warning > bridged.log 2>&1 &
node_pid=$!; pids+=($node_pid); sleep 15
echo "following, no deposits: $(cpu_of $node_pid 120)% of one core"
cp "$repo/benchmarks/bridge/deposits.mjs" "$js/bench-deposits.mjs"
(cd "$js" && node bench-deposits.mjs http://127.0.0.1:18546 "$token" "$bridge" "$depositor" 120 0x3e2ea26a94d919bc15299aee27d732ce540de549) &
load=$!
echo "following, 1 deposit/s: $(cpu_of $node_pid 120)% of one core"
wait $load; rm -f "$js/bench-deposits.mjs"
sleep 20
python3 - <<'PY'
import json, urllib.request
def rpc(url, method, params):
    request = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode(), {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(request))["result"]
side, eth = "http://127.0.0.1:18647/", "http://127.0.0.1:18546/"
count = int(rpc(side, "iex_bridgeStatus", [])["nextDepositId"], 16)
lags = []
for i in range(count):
    deposit = rpc(side, "iex_getDeposit", [hex(i)])
    block = int(deposit["deposit"]["ethBlockNumber"], 16)
    credited_ms = int(rpc(side, "iex_getBlockByNumber", [deposit["creditedAt"], False])["timestamp"], 16)
    lo, hi = block, int(rpc(eth, "eth_blockNumber", []), 16)
    while lo < hi:  # the newest Ethereum block made before the crediting sidechain block
        mid = (lo + hi + 1) // 2
        if int(rpc(eth, "eth_getBlockByNumber", [hex(mid), False])["timestamp"], 16) * 1000 <= credited_ms: lo = mid
        else: hi = mid - 1
    lags.append(lo - block)
lags.sort()
print(f"{count} deposits credited; Ethereum head past the deposit's block when credited: min {lags[0]}, median {lags[len(lags)//2]}, max {lags[-1]}")
PY
