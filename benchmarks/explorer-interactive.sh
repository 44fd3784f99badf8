#!/usr/bin/env bash
# The explorer's "interactive in at most 1 s on the devnet" (issue 18), checked on a quiet machine.
# Runs the browser test that loads the dashboard three times in fresh contexts and records the time to
# its 'explorer-ready' mark (tests/IExecChain.BrowserTests, ExplorerTests), then holds the median of
# the last recorded load to BUDGET_MS. The CI suite records the figure without holding it: there the
# test projects run side by side on two cores (docs/decisions.md, "Timing in tests").
# Usage: benchmarks/explorer-interactive.sh [RUNS] (default 3; each run starts its own devnet node).
# Needs a Release build: dotnet build iExecChain.sln -c Release
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
budget="${BUDGET_MS:-1000}"
timings=TestResults/browser/timings.txt
status=0
for run in $(seq 1 "$runs"); do
  CI=true dotnet test tests/IExecChain.BrowserTests -c Release --no-build -nologo -v quiet \
    --filter "FullyQualifiedName~ExplorerTests.Dashboard_is_drawn_after_one_round_of_requests" > /tmp/explorer-interactive.log 2>&1 \
    || { cat /tmp/explorer-interactive.log; exit 1; }
  line=$(grep 'dashboard interactive after' "$timings" | tail -n 1)
  median=$(sed -n 's/.*median \([0-9]*\) ms.*/\1/p' <<<"$line")
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "run $run (load $load): ${line#* }"
  if [ "$median" -gt "$budget" ]; then echo "  over the budget of $budget ms"; status=1; fi
done
exit $status
