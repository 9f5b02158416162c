#!/usr/bin/env bash
# Synapse-level benchmark (issue 5): wall time of `make run`'s simulation (theta-burst iLTP
# on the Golgi–granule synapse, 600 s baseline + 2400 s follow-up) and of a 41-point
# spike-timing sweep, release build, medians of repeated whole-process runs.
# Usage: Benchmarks/synapse_bench.sh PATH_TO_KINAPSE   (make bench calls it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kinapse="$1"
runs="${BENCH_SYNAPSE_RUNS:-5}"
stdp_synapse="${BENCH_STDP_SYNAPSE:-Pathways/synapses/entorhinal_stellate.toml}"
out=".build-bench/synapse"
mkdir -p "$out"

median() { python3 -c "import statistics,sys; print('%.3f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
wall() {  # wall seconds of one command
    local t0 t1
    t0="${EPOCHREALTIME/,/.}"
    "$@" > /dev/null
    t1="${EPOCHREALTIME/,/.}"
    python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1"
}

run_times=()
for _ in $(seq 1 "$runs"); do
    run_times+=("$(wall "$kinapse" simulate Pathways/synapses/golgi_granule.toml --protocol tbs --out "$out/run.csv")")
done
stdp_times=()
for _ in $(seq 1 3); do
    stdp_times+=("$(wall "$kinapse" stdp "$stdp_synapse" --dt -100:100:5 --out "$out/stdp.csv")")
done
cores="$(nproc)"
echo
echo "Synapse benchmark (release build, whole-process wall time, medians)"
printf '%-58s %10s\n' "task" "seconds"
printf '%-58s %10s\n' "make run: golgi_granule + tbs (3,000 s, 120 pulses)" "$(median "${run_times[@]}")"
printf '%-58s %10s\n' "stdp sweep: 41 pairing intervals on $cores cores" "$(median "${stdp_times[@]}")"
