#!/usr/bin/env bash
# The full spike-timing window of Pathways/cells/stellate_istdp_example.ant: 60 pairings at 1 Hz
# for every dt_pair from -30 to +30 ms in 1-ms steps, as control, with postsynaptic BAPTA and with
# the L- and T-type channels blocked. Writes CSV (dt_ms, control, bapta, ca_channel_block: percent
# change of the GABA-A conductance) to the file given, or to standard output.
# Tests/PathwayLibraryTests/InhibitorySTDPTests.swift checks a subset of these points.
#
# Usage: Benchmarks/istdp_window.sh [OUT.csv] [PATH_TO_KINAPSE_BINARY]
#   JOBS        parallel runs (default 2)
#   CONDITIONS  which columns to run (default "control bapta block"; the others are left empty)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-}"
kinapse="${2:-}"
if [[ -z "$kinapse" ]]; then
    for candidate in "$root/.build/release/kinapse" "$root/.build/debug/kinapse"; do
        if [[ -x "$candidate" ]]; then kinapse="$candidate"; break; fi
    done
fi
[[ -x "$kinapse" ]] || { echo "error: no kinapse binary; run 'swift build' first or pass its path" >&2; exit 1; }
jobs="${JOBS:-2}"
conditions="${CONDITIONS:-control bapta block}"
model="$root/Pathways/cells/stellate_istdp_example.ant"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 10 mM BAPTA, dialysed and at equilibrium with resting Ca2+ (0.0557 uM; Kd 88/400 uM).
bapta=(--set cell_soma_ca_B_pip=10000 --set cell_soma_ca_B_tot=10000 --set "cell_soma_ca_CaB=$(awk 'BEGIN { printf "%.6f", 10000*0.0557154/(0.0557154 + 0.22) }')")
block=(--set cell_soma_cal_gain=0 --set cell_soma_cat_gain=0)

# One point: percent change of plast_gain 1 s after the 60th pairing.
point() {
    local ms=$1; shift
    local dt; dt=$(awk -v ms="$ms" 'BEGIN { printf "%.4f", ms/1000 }')
    "$kinapse" simulate "$model" --t-end 62 --points 2 --linear-solver dense --atol 1e-9 \
        --set "dt_pair=$dt" "$@" --select plast_gain | awk -F, 'END { printf "%.3f", ($2 - 1)*100 }'
}

for ms in $(seq -30 30); do
    for condition in $conditions; do
        case $condition in
            control) args=() ;;
            bapta) args=("${bapta[@]}") ;;
            block) args=("${block[@]}") ;;
        esac
        ( point "$ms" "${args[@]}" > "$work/$ms.$condition" ) &
        while (( $(jobs -rp | wc -l) >= jobs )); do sleep 0.2; done
    done
done
wait

{
    echo "dt_ms,control,bapta,ca_channel_block"
    for ms in $(seq -30 30); do
        echo "$ms,$(cat "$work/$ms.control" 2>/dev/null),$(cat "$work/$ms.bapta" 2>/dev/null),$(cat "$work/$ms.block" 2>/dev/null)"
    done
} > "$work/window.csv"
if [[ -n "$out" ]]; then mv "$work/window.csv" "$out"; else cat "$work/window.csv"; fi
