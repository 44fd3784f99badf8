#!/usr/bin/env bash
# The main job: a local devnet on embedded defaults. Extra arguments go to `iexchain devnet`,
# e.g. scripts/devnet.sh --stop-at-height 20 --load 100
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
# The first build takes minutes: show each project as it is built, and every error with its file and line.
echo "devnet.sh: building iexchain (Release)..."
if ! dotnet build node/IExecChain.Node -c Release -nologo -v minimal; then
  echo "devnet.sh: the build failed (errors above); the devnet was not started" >&2
  exit 1
fi
exec dotnet node/IExecChain.Node/bin/Release/net10.0/iexchain.dll devnet "$@"
