#!/usr/bin/env bash
# Runs one scenario of the fault campaign (tests/IExecChain.FaultTests) against real node processes
# in network namespaces, as root. Usage:
#   scripts/faults.sh SCENARIO [--validators 4|7] [--long] [--load TX_PER_S]
# SCENARIO: partition | minority | proposer | loss | delay | kill | pause | disk | clock | all
# Without --validators a scenario runs with the counts CI uses (docs/reliability.md); --long runs
# the long version (e.g. the kill loop for 5 minutes). Figures are appended, one JSON line per run,
# to TestResults/faults/results.jsonl and printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
scenario="$1"; shift
case "$scenario" in
  partition|minority|proposer|loss|delay|kill|pause|disk|clock|all) ;;
  *) usage ;;
esac
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) [ $# -ge 2 ] || usage; export IEXEC_FAULTS_VALIDATORS="$2"; shift 2 ;;
    --long) export IEXEC_FAULTS_LONG=1; shift ;;
    --load) [ $# -ge 2 ] || usage; export IEXEC_FAULTS_LOAD="$2"; shift 2 ;;
    *) usage ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then echo "faults.sh: run as root (network namespaces, iptables, tmpfs mounts)" >&2; exit 1; fi

scripts/prerequisites.sh
dotnet build tests/IExecChain.FaultTests -c Release -nologo -v quiet >/dev/null
mkdir -p TestResults/faults
export IEXEC_FAULTS_RESULTS="$PWD/TestResults/faults/results.jsonl"
before=$(wc -l <"$IEXEC_FAULTS_RESULTS" 2>/dev/null || echo 0)
filter=()
if [ "$scenario" != all ]; then filter=(--filter "Category=$scenario"); fi
status=0
dotnet test tests/IExecChain.FaultTests -c Release --no-build "${filter[@]}" --logger "console;verbosity=normal" || status=$?
echo "--- figures (also in $IEXEC_FAULTS_RESULTS)"
tail -n +"$((before + 1))" "$IEXEC_FAULTS_RESULTS" 2>/dev/null || true
exit $status
