#!/usr/bin/env bash
# Coverage-guided fuzzing of the node's decoders with afl-fuzz and SharpFuzz (docs/security.md).
# Usage:
#   scripts/fuzz.sh TARGET|all [--seconds N | --execs N] [--no-build]
# Builds tests/IExecChain.Fuzzing, instruments a copy of the node's assemblies, and runs afl-fuzz on
# each target from its seed corpus (tests/IExecChain.Fuzzing/corpus/TARGET). Findings go to
# TestResults/fuzz/TARGET/default/{crashes,hangs}; one JSON line per run is appended to
# TestResults/fuzz/results.jsonl; an execution still running after 1.5 s gets a line (its phase, CPU
# time, GC pauses) in TestResults/fuzz/TARGET/stalls.log. Exit status is non-zero when a run saved a crash or a hang.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
target="$1"; shift
seconds=60; execs=""; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] || usage; seconds="$2"; shift 2 ;;
    --execs) [ $# -ge 2 ] || usage; execs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done
command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz is missing (scripts/prerequisites.sh installs afl++)" >&2; exit 1; }

config=Release
bin="${IEXEC_FUZZ_BIN:-tests/IExecChain.Fuzzing/bin/$config/net10.0}"
work="TestResults/fuzz"
instrumented="$work/instrumented"
if [ $build -eq 1 ]; then dotnet build tests/IExecChain.Fuzzing -c $config -nologo -v quiet >/dev/null; fi
dotnet tool restore >/dev/null

# Instrument a copy: SharpFuzz rewrites the assemblies in place, and the build output must stay plain.
stamp="$bin/IExecChain.Fuzzing.dll"
if [ ! -f "$instrumented/.stamp" ] || [ "$stamp" -nt "$instrumented/.stamp" ]; then
  rm -rf "$instrumented"; mkdir -p "$instrumented"; cp -r "$bin"/. "$instrumented"/
  for dll in "$instrumented"/IExecChain.*.dll "$instrumented"/iexchain.dll; do
    case "$(basename "$dll")" in IExecChain.Fuzzing.dll|IExecChain.LoadGenerator.dll) continue ;; esac
    dotnet sharpfuzz "$dll" >/dev/null
  done
  touch "$instrumented/.stamp"
fi

if [ "$target" = all ]; then targets=$(dotnet "$bin/IExecChain.Fuzzing.dll" list | awk '{print $1}'); else targets="$target"; fi

# afl-fuzz runs `dotnet`, which is not instrumented itself; the forkserver comes from SharpFuzz.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_FAST_CAL=1
status=0
for t in $targets; do
  corpus="tests/IExecChain.Fuzzing/corpus/$t"
  [ -d "$corpus" ] || { echo "fuzz.sh: no corpus for '$t' in $corpus" >&2; exit 2; }
  out="$work/$t"; rm -rf "$out"; mkdir -p "$out"
  limit=(-V "$seconds"); [ -n "$execs" ] && limit=(-E "$execs")
  if [ -n "$execs" ]; then echo "--- $t ($execs executions)"; else echo "--- $t ($seconds s)"; fi
  dict=(); case "$t" in jsonrpc|order-json|chain-spec|node-config) dict=(-x tests/IExecChain.Fuzzing/dictionaries/json.dict) ;; esac
  IEXEC_FUZZ_STALL_LOG="$(pwd)/$out/stalls.log" afl-fuzz -i "$corpus" -o "$out" -t 5000 -m none "${dict[@]}" "${limit[@]}" -- dotnet "$instrumented/IExecChain.Fuzzing.dll" run "$t" >"$out/afl.log" 2>&1 || {
    echo "afl-fuzz failed for $t:"; tail -20 "$out/afl.log"; status=1; continue; }
  stats="$out/default/fuzzer_stats"
  field() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(field saved_crashes); hangs=$(field saved_hangs)
  line=$(printf '{"target":"%s","date":"%s","run_time_s":%s,"execs_done":%s,"execs_per_sec":%s,"corpus_count":%s,"edges_found":%s,"saved_crashes":%s,"saved_hangs":%s}' \
    "$t" "$(date -u +%FT%TZ)" "$(field run_time)" "$(field execs_done)" "$(field execs_per_sec)" "$(field corpus_count)" "$(field edges_found)" "$crashes" "$hangs")
  echo "$line" | tee -a "$work/results.jsonl"
  if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
    status=1
    if [ -s "$out/stalls.log" ]; then echo "executions that ran past 1.5 s ($out/stalls.log):"; tail -5 "$out/stalls.log"; fi
    for f in "$out"/default/crashes/id* "$out"/default/hangs/id*; do
      [ -f "$f" ] || continue
      echo "finding: $f"; dotnet "$bin/IExecChain.Fuzzing.dll" replay "$t" "$f" | head -15 || true
    done
  fi
done
exit $status
