#!/usr/bin/env bash
# Issue 15: "pruned node: disk use stays bounded over a long run". Two single-validator chains run at
# once on this machine under the same transfer load: one node with --retain-blocks 500
# --snapshot-every 5 --snapshot-keep 2 (on the devnet spec, checkpoints every 10 blocks: a snapshot
# every 50 blocks, ~10 s at 200 ms blocks), one with neither (all blocks kept, the default snapshots:
# every 100 checkpoints = 1,000 blocks). Each chain's data directory is prepared by `iexchain devnet`
# (keys, spec, genesis; stopped at height 1), then its node runs with `iexchain run` and `iexchain bench
# transfers` drives it. Every INTERVAL seconds the script samples `du -sb` of each node's db and
# snapshots directories, and the db's write-ahead log files apart, and prints a table; at the end it
# stops the nodes and measures the dbs again.
# Usage: benchmarks/pruned-disk.sh [SECONDS] [RATE] [INTERVAL] (defaults 600, 1,000 transfers/s per
# chain, 30); figures go to stdout and $work/table.txt.
# For an A/B of two builds in one run: PRUNED_DISK_BIN (the first node's iexchain, default this tree's
# Release build), PRUNED_DISK_BIN_FULL and PRUNED_DISK_FLAGS_FULL (the second node's binary and run
# options, default the same binary and no pruning); the columns keep the names "pruned" and "full".
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-600}"
rate="${2:-1000}"
interval="${3:-30}"
bin="${PRUNED_DISK_BIN:-$PWD/node/IExecChain.Node/bin/Release/net10.0/iexchain}"
bins=("$bin" "${PRUNED_DISK_BIN_FULL:-$bin}")
work="${PRUNED_DISK_WORK:-/tmp/pruned-disk}"
rpc=18745; p2p=31700
rm -rf "$work"; mkdir -p "$work"
call() { curl -s "http://127.0.0.1:$1/" -H 'content-type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[${3:-}]}"; }
number() { call "$1" iex_blockNumber | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"],16))' 2>/dev/null || echo 0; }
bytes() { if [ -d "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }
# RocksDB's write-ahead log files (*.log in the db directory), part of the db's bytes.
wal() { find "$1" -maxdepth 1 -name '*.log' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'; }

pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait' EXIT

# name, rpc port, p2p port, extra run options
names=(pruned full)
ports=($rpc $((rpc + 1)))
flags=("--retain-blocks 500 --snapshot-every 5 --snapshot-keep 2" "${PRUNED_DISK_FLAGS_FULL:-}")
for i in 0 1; do
  dir="$work/${names[$i]}"
  "${bins[$i]}" devnet --validators 1 --workers 0 --load 0 --data "$dir" --rpc "127.0.0.1:$((rpc + 10 + i))" \
    --p2p-port "$((p2p + 10 + i))" --stop-at-height 1 > "$work/${names[$i]}-prepare.log" 2>&1
  # shellcheck disable=SC2086 # the flags are words
  "${bins[$i]}" run --data "$dir/node-0" --key "$dir/keys/validator-0.json" --password-file "$dir/password.txt" \
    --rpc "127.0.0.1:${ports[$i]}" --p2p "127.0.0.1:$((p2p + i))" ${flags[$i]} > "$work/${names[$i]}.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do until [ "$(number "$port")" -ge 2 ]; do sleep 1; done; done

for i in 0 1; do
  "${bins[$i]}" bench transfers --rpc "http://127.0.0.1:${ports[$i]}/" --accounts 200 --rate "$rate" --duration "$duration" \
    > "$work/${names[$i]}-bench.log" 2>&1 &
  pids+=($!)
done
loads=("${pids[@]:2}")

start=$(date +%s)
{
  echo "| t (s) | height pruned / full | pruned db | full db | pruned WAL | full WAL | pruned snapshots | full snapshots |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$work/table.txt"
while :; do
  t=$(( $(date +%s) - start ))
  printf '| %d | %d / %d | %d | %d | %d | %d | %d | %d |\n' "$t" "$(number "${ports[0]}")" "$(number "${ports[1]}")" \
    "$(bytes "$work/pruned/node-0/db")" "$(bytes "$work/full/node-0/db")" "$(wal "$work/pruned/node-0/db")" "$(wal "$work/full/node-0/db")" \
    "$(bytes "$work/pruned/node-0/snapshots")" "$(bytes "$work/full/node-0/snapshots")" | tee -a "$work/table.txt"
  running=0
  for p in "${loads[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
  [ "$running" = 1 ] || break
  sleep $(( interval - ( $(date +%s) - start ) % interval ))
done
for i in 0 1; do
  echo "${names[$i]}: $(tail -n 3 "$work/${names[$i]}-bench.log" | tr '\n' ' ')"
  grep -E "Pruned|Snapshot at height" "$work/${names[$i]}.log" | tail -n 2 || true
done | tee -a "$work/table.txt"
# The nodes stop here (flushing their memtables): what is left in tables once the log is gone.
for p in "${pids[@]:0:2}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]:0:2}"; do while kill -0 "$p" 2>/dev/null; do sleep 1; done; done
echo "after the nodes stopped: pruned db $(bytes "$work/pruned/node-0/db") (WAL $(wal "$work/pruned/node-0/db")), full db $(bytes "$work/full/node-0/db") (WAL $(wal "$work/full/node-0/db"))" | tee -a "$work/table.txt"
echo "pruned node: snapshots kept: $(ls "$work/pruned/node-0/snapshots" | tr '\n' ' '); full node: $(ls "$work/full/node-0/snapshots" 2>/dev/null | tr '\n' ' ')" | tee -a "$work/table.txt"
