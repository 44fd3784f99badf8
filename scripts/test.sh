#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed" counted from the TRX result files.
# Exit status is non-zero on any failed test or build error.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh || echo "warning: prerequisites could not be installed" >&2

results="TestResults"
rm -rf "$results"
dotnet build iExecChain.sln -c Release -nologo -v quiet
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test iExecChain.sln -c Release --no-build --logger "trx" --results-directory "$results" -- NUnit.NumberOfTestWorkers=2
status=$?

passed=0; failed=0
shopt -s nullglob
for f in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
  a=$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${x:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]
