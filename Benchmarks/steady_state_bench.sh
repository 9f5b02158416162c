#!/usr/bin/env bash
# make bench: `kinapse steady-state` on every shipped pathway (Pathways/*.ant), timing the
# search alone (load and compile excluded, `--stats`). Criterion (issue: scans, steady
# states, sensitivities): under 10 ms per pathway. Prints one row per pathway, the median
# of 5 runs.
#
#   bash Benchmarks/steady_state_bench.sh .build/release
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release}
printf '%-28s %10s  %s\n' pathway "ms" result
failed=0
for model in Pathways/*.ant; do
    times=()
    for _ in 1 2 3 4 5; do
        line=$("$BIN/kinapse" steady-state "$model" --stats 2>&1 >/dev/null | grep '^steady state:')
        times+=("$(echo "$line" | sed -n 's/^steady state: \([0-9.]*\) ms.*/\1/p')")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
    status=ok
    awk -v t="$median" 'BEGIN { exit !(t < 10) }' || { status="SLOW (criterion < 10 ms)"; failed=1; }
    printf '%-28s %10s  %s\n' "$(basename "$model")" "$median" "$status"
done
exit $failed
