#!/usr/bin/env bash
# Compiles Anchor.sol: scripts/compile-contract.sh Anchor [OUT] (default anchor.bin).
set -euo pipefail
exec "$(dirname "$0")/compile-contract.sh" Anchor "${1:-anchor.bin}"
