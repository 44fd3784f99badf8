#!/usr/bin/env bash
# The main job: a local devnet on embedded defaults. Extra arguments go to `iexchain devnet`,
# e.g. scripts/devnet.sh --stop-at-height 20 --load 100
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
dotnet build node/IExecChain.Node -c Release -v quiet -nologo >/dev/null
exec dotnet node/IExecChain.Node/bin/Release/net10.0/iexchain.dll devnet "$@"
