#!/usr/bin/env bash
# A node joins a long-running 4-validator devnet by state sync (issue 15's end-to-end proof, run by
# hand: it takes about half an hour). The devnet runs its market demo (workers, orders, tasks) and
# transfer load; 500 more accounts are funded by `bench transfers`. Once the devnet is past HEIGHT
# and has a snapshot there (the default: one every 100 checkpoints = 1,000 blocks), a fifth node
# starts with --state-sync, trusting a recent checkpoint read from node 0. The script reports the
# time to restore and to reach the tip, and compares block hashes and state roots over 50 blocks.
# Then, in the same run, a sixth node joins from genesis by block sync (replaying every block): the
# time it takes to reach the tip is the figure state sync is compared with.
# The trust root is the checkpoint the snapshot ends, read from node 0 as soon as the snapshot exists
# (so it is within the devnet's 50-block unbonding period when the node joins).
# Usage: benchmarks/state-sync-join.sh [HEIGHT] (default 5000); figures go to stdout and $work/report.txt.
# STATE_SYNC_REUSE=1 keeps the devnet of an earlier run (its data directory) and joins at the next
# multiple of 1,000 blocks past where it stands.
set -euo pipefail
cd "$(dirname "$0")/.."
height="${1:-5000}"
bin=node/IExecChain.Node/bin/Release/net10.0/iexchain
work="${STATE_SYNC_WORK:-/tmp/state-sync-join}"
rpc=18645; p2p=31400
if [ "${STATE_SYNC_REUSE:-0}" = 1 ]; then rm -rf "$work/joiner" "$work/replayer"; else rm -rf "$work"; fi
mkdir -p "$work"
call() { curl -s "http://127.0.0.1:$1/" -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[${3:-}]}"; }
number() { call "$1" iex_blockNumber | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"],16))' 2>/dev/null || echo 0; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['result']['$1'])"; }

"$bin" devnet --validators 4 --data "$work/devnet" --rpc "127.0.0.1:$rpc" --p2p-port "$p2p" --workers 3 --load 20 > "$work/devnet.log" 2>&1 &
devnet=$!
trap 'kill -TERM $devnet 2>/dev/null; [ -n "${joiner:-}" ] && kill -TERM $joiner 2>/dev/null; wait' EXIT
until [ "$(number $rpc)" -ge 50 ]; do sleep 2; done
if [ "${STATE_SYNC_REUSE:-0}" = 1 ]; then
  height=$(( ($(number $rpc) / 1000 + 1) * 1000 ))
else
  "$bin" bench transfers --rpc "http://127.0.0.1:$rpc/" --accounts 500 --rate 100 --duration 10 > "$work/bench.log" 2>&1
fi
echo "devnet at $(number $rpc); waiting for height $height and its snapshot"
start=$(date +%s)
interval=$(python3 -c "import json; print(json.load(open('$work/devnet/chain-spec.json'))['parameters']['checkpointInterval'])")
until [ "$(number $rpc)" -ge $((height + interval + 1)) ] && ls -d "$work"/devnet/node-0/snapshots/$height >/dev/null 2>&1; do sleep 2; done
echo "devnet reached $(number $rpc) in $(( $(date +%s) - start )) s; snapshots: $(ls "$work"/devnet/node-0/snapshots | tr '\n' ' ')"
du -sh "$work"/devnet/node-0/snapshots/$height "$work"/devnet/node-0/db | tee -a "$work/report.txt"

root=$((height / interval))
digest=$(call $rpc iex_getCheckpoint "\"$root\"" | field digest)
"$bin" init --chain-spec "$work/devnet/chain-spec.json" --data "$work/joiner" > /dev/null
peers=(); for i in 0 1 2 3; do peers+=(--peer "127.0.0.1:$((p2p + i))"); done
t0=$(date +%s.%N)
"$bin" run --data "$work/joiner" --rpc 127.0.0.1:$((rpc + 50)) --p2p 127.0.0.1:$((p2p + 50)) "${peers[@]}" \
  --state-sync --trust-checkpoint "$root@$digest" > "$work/joiner.log" 2>&1 &
joiner=$!
until grep -q "State sync: restored the state" "$work/joiner.log"; do sleep 0.5; kill -0 $joiner || { tail -20 "$work/joiner.log"; exit 1; }; done
t1=$(date +%s.%N)
until [ "$(number $((rpc + 50)))" -ge "$(number $rpc)" ]; do sleep 0.5; done
t2=$(date +%s.%N)
tip=$(number $rpc)
{
  echo "state sync at the devnet's height $tip: restored in $(python3 -c "print(round($t1-$t0,1))") s, at the tip in $(python3 -c "print(round($t2-$t0,1))") s"
  grep -E "State sync: (restoring|restored|banned)" "$work/joiner.log"
} | tee -a "$work/report.txt"
sleep 15
mismatch=0
from=$(( $(number $((rpc + 50))) - 50 ))
for h in $(seq $from $((from + 49))); do
  q=$(printf '"0x%x", false' "$h")
  a=$(call $rpc iex_getBlockByNumber "$q" | field stateRoot); b=$(call $((rpc + 50)) iex_getBlockByNumber "$q" | field stateRoot)
  [ "$a" = "$b" ] || { echo "height $h: $a vs $b"; mismatch=1; }
done
echo "state roots of blocks $from..$((from + 49)): $([ $mismatch = 0 ] && echo identical || echo DIFFERENT)" | tee -a "$work/report.txt"

# The same join by replaying every block from genesis.
"$bin" init --chain-spec "$work/devnet/chain-spec.json" --data "$work/replayer" > /dev/null
t3=$(date +%s.%N)
"$bin" run --data "$work/replayer" --rpc 127.0.0.1:$((rpc + 60)) --p2p 127.0.0.1:$((p2p + 60)) "${peers[@]}" > "$work/replayer.log" 2>&1 &
replayer=$!
trap 'kill -TERM $devnet $replayer 2>/dev/null; [ -n "${joiner:-}" ] && kill -TERM $joiner 2>/dev/null; wait' EXIT
until [ "$(number $((rpc + 60)))" -ge "$(number $rpc)" ]; do sleep 1; kill -0 $replayer || { tail -20 "$work/replayer.log"; exit 1; }; done
t4=$(date +%s.%N)
echo "block sync from genesis to the tip ($(number $rpc)): $(python3 -c "print(round($t4-$t3,1))") s; state sync to the tip: $(python3 -c "print(round($t2-$t0,1))") s; ratio $(python3 -c "print(round(($t4-$t3)/($t2-$t0),1))")x" | tee -a "$work/report.txt"
exit $mismatch
