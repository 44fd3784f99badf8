#!/usr/bin/env bash
# Compiles one contract of src/IExecChain.Ethereum/Contracts with solc-js (pinned in
# tests/IExecChain.Ethereum.Tests/js/package-lock.json) and writes its creation code as hex, for
# `iexchain anchor deploy --bytecode FILE` and `iexchain bridge deploy --bytecode FILE`.
# Usage: scripts/compile-contract.sh NAME [OUT]   NAME: Anchor, Bridge or TestRlc (default OUT: name.bin)
set -euo pipefail
name="${1:?usage: scripts/compile-contract.sh Anchor|Bridge|TestRlc [OUT]}"
out="$(realpath -m "${2:-$(echo "$name" | tr '[:upper:]' '[:lower:]').bin}")"
cd "$(dirname "$0")/.."
source="src/IExecChain.Ethereum/Contracts/$name.sol"
[ -f "$source" ] || { echo "no contract $source" >&2; exit 2; }
js=tests/IExecChain.Ethereum.Tests/js
[ -d "$js/node_modules/solc" ] || npm ci --prefix "$js" --no-audit --no-fund --loglevel=error
node "$js/compile.mjs" "$source" "$name" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).bytecode))' > "$out"
echo "wrote $(wc -c < "$out") hex characters of $name's creation code to $out" >&2
