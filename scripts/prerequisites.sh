#!/usr/bin/env bash
# Installs what iExecChain needs beyond the .NET 10 SDK, idempotently:
#   - libsecp256k1-1 (Debian package): the fast signature backend (a managed fallback exists)
#   - nodejs + npm: build the web explorer (src/IExecChain.Explorer: npm ci, esbuild), and the tests
#     that check our encodings against ethers and run ganache
#   - chromium: the browser the explorer's tests drive (tests/IExecChain.BrowserTests, Playwright)
#   - iptables, libnetfilter-queue1, faketime: the fault campaign (tests/IExecChain.FaultTests,
#     scripts/faults.sh): partitions and loss with iptables, delay through an NFQUEUE delayer
#     (this kernel has no netem), clock skew with libfaketime; iproute2 (ip) is assumed
#   - afl++ (afl-fuzz) and the repository's .NET tool SharpFuzz.CommandLine (.config/dotnet-tools.json):
#     coverage-guided fuzzing (tests/IExecChain.Fuzzing, scripts/fuzz.sh)
#   - prometheus: its promtool checks the node's /metrics in a test (the server is not run)
#   - bubblewrap: the sandbox every native app runs in (docs/worker.md "Sandbox"); a worker
#     without it refuses native tasks
set -euo pipefail

# Repository-local .NET tools (sharpfuzz): restored from NuGet once, then from the cache.
(cd "$(dirname "$0")/.." && dotnet tool restore >/dev/null) || echo "prerequisites: dotnet tool restore failed" >&2

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libsecp256k1\.so\.1'; then need+=(libsecp256k1-1); fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then need+=(nodejs npm); fi
if ! command -v iptables-legacy >/dev/null 2>&1 && ! [ -x /usr/sbin/iptables-legacy ]; then need+=(iptables); fi
if ! ldconfig -p 2>/dev/null | grep -q 'libnetfilter_queue\.so\.1'; then need+=(libnetfilter-queue1); fi
if ! [ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ]; then need+=(faketime); fi
if ! command -v afl-fuzz >/dev/null 2>&1; then need+=(afl++); fi
if ! command -v bwrap >/dev/null 2>&1; then need+=(bubblewrap); fi
if ! command -v promtool >/dev/null 2>&1; then need+=(prometheus); fi
if ! command -v ip >/dev/null 2>&1 && ! [ -x /usr/sbin/ip ]; then need+=(iproute2); fi
if ! [ -x /usr/bin/chromium ]; then need+=(chromium); fi
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
