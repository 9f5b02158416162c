#!/usr/bin/env bash
# Fitting benchmark, release build, on the synthetic hippocampal_bdnf fixture
# (7 parameters, 3 experiments, 546 measurements; Fixtures/fit/README.md):
#  1. the full fit: 50 starts (BENCH_FIT_STARTS) with sensitivity gradients and profile
#     likelihoods, on every core: wall time, simulations per second, the fraction of starts
#     within 0.1 % of the best, and whether the true parameters lie inside the 95 % profile
#     confidence intervals;
#  2. the gradient speed-up: the same short fit (BENCH_FIT_SHORT_STARTS starts, no profiles,
#     same seed) with finite-difference and with sensitivity gradients.
# Usage: Benchmarks/fit_bench.sh PATH_TO_KINAPSE   (make bench calls it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kinapse="$1"
problem="Fixtures/fit/hippocampal_bdnf/problem.toml"
truth="Fixtures/fit/hippocampal_bdnf/true_parameters.toml"
starts="${BENCH_FIT_STARTS:-50}"
short="${BENCH_FIT_SHORT_STARTS:-4}"
out=".build-bench/fit"
mkdir -p "$out"

run_fit() {  # output directory, then kinapse fit options; prints wall seconds
    local dir="$1" t0 t1
    shift
    mkdir -p "$dir"
    t0="${EPOCHREALTIME/,/.}"
    "$kinapse" fit "$problem" --out-dir "$dir" --quiet "$@" > "$dir/report.txt"
    t1="${EPOCHREALTIME/,/.}"
    python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
}

echo
echo "Fit benchmark (release build): $problem on $(nproc) cores"
full_time="$(run_fit "$out/full" --starts "$starts" --gradient sensitivities)"
python3 Benchmarks/fit_report.py "$out/full" "$truth" "full fit: $starts starts, sensitivities, profiles" "$full_time"
fd_time="$(run_fit "$out/short-fd" --starts "$short" --no-profiles --gradient fd)"
python3 Benchmarks/fit_report.py "$out/short-fd" "$truth" "short fit: $short starts, finite differences" "$fd_time"
sens_time="$(run_fit "$out/short-sens" --starts "$short" --no-profiles --gradient sensitivities)"
python3 Benchmarks/fit_report.py "$out/short-sens" "$truth" "short fit: $short starts, sensitivities" "$sens_time"
python3 -c "import sys; print('speed-up of sensitivity over finite-difference gradients (same short fit): %.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$fd_time" "$sens_time"
