#!/usr/bin/env bash
# Compiles src/IExecChain.Ethereum/Contracts/Anchor.sol with solc-js (pinned in
# tests/IExecChain.Ethereum.Tests/js/package-lock.json) and writes its creation code as hex, for
# `iexchain anchor deploy --bytecode FILE`. Usage: scripts/compile-anchor.sh [OUT] (default anchor.bin)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-anchor.bin}"
js=tests/IExecChain.Ethereum.Tests/js
[ -d "$js/node_modules/solc" ] || npm ci --prefix "$js" --no-audit --no-fund --loglevel=error
node "$js/compile.mjs" src/IExecChain.Ethereum/Contracts/Anchor.sol Anchor \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).bytecode))' > "$out"
echo "wrote $(wc -c < "$out") hex characters of creation code to $out" >&2
