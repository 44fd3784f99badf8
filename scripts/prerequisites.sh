#!/usr/bin/env bash
# Installs what iExecChain needs beyond the .NET 10 SDK, idempotently:
#   - libsecp256k1-1 (Debian package): the fast signature backend (a managed fallback exists)
#   - nodejs + npm: only for tests that check our encodings against ethers and run ganache
set -euo pipefail

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libsecp256k1\.so\.1'; then need+=(libsecp256k1-1); fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then need+=(nodejs npm); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "prerequisites: cannot install ${need[*]} (not root, no sudo); install them with apt-get" >&2
    exit 0
  fi
fi
echo "prerequisites: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
