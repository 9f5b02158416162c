#!/usr/bin/env bash
# Fitting benchmark (issue 6), release build: the synthetic hippocampal_bdnf fixture
# (7 parameters, 3 experiments, Fixtures/fit/README.md) fitted with 50 starts on every core.
# Prints wall time, simulations per second, the fraction of starts within 0.1 % of the best,
# whether the true parameters fall inside the reported 95 % profile confidence intervals,
# and the speed-up of sensitivity gradients over finite-difference gradients on the same
# problem (when sensitivities are available).
# Usage: Benchmarks/fit_bench.sh PATH_TO_KINAPSE   (make bench calls it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kinapse="$1"
problem="Fixtures/fit/hippocampal_bdnf/problem.toml"
truth="Fixtures/fit/hippocampal_bdnf/true_parameters.toml"
starts="${BENCH_FIT_STARTS:-50}"
out=".build-bench/fit"
mkdir -p "$out"

run_fit() {  # gradient method, output directory; prints wall seconds
    local t0 t1
    t0="${EPOCHREALTIME/,/.}"
    "$kinapse" fit "$problem" --starts "$starts" --gradient "$1" --out-dir "$2" --quiet > "$2/report.txt"
    t1="${EPOCHREALTIME/,/.}"
    python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
}

echo
echo "Fit benchmark (release build): $problem, $starts starts on $(nproc) cores"
fd_time="$(run_fit fd "$out/fd")"
python3 Benchmarks/fit_report.py "$out/fd" "$truth" "finite differences" "$fd_time"
if "$kinapse" fit --help | grep -q sensitivities && [ "${BENCH_FIT_SENSITIVITIES:-1}" = 1 ]; then
    if sens_time="$(run_fit sensitivities "$out/sens" 2>/dev/null)"; then
        python3 Benchmarks/fit_report.py "$out/sens" "$truth" "sensitivities" "$sens_time"
        python3 -c "import sys; print('speed-up of sensitivity gradients over finite differences: %.2fx (whole fit)' % (float(sys.argv[1]) / float(sys.argv[2])))" "$fd_time" "$sens_time"
    else
        echo "sensitivity gradients: not available in this build"
    fi
fi
