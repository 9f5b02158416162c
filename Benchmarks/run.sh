#!/usr/bin/env bash
# Benchmark: Kinapse vs a hand-written C + CVODES baseline on the 120-pulse
# theta-burst NO/cGMP/PKG model (Benchmarks/models/tbs_no_cgmp.ant).
#
# Usage: Benchmarks/run.sh [PATH_TO_KINAPSE_BINARY]
#   (`make bench` calls it after `swift build -c release` with the release binary.)
# If the binary is missing, or `kinapse simulate` does not produce statistics and a
# CSV, only the C baseline is measured and the script says so.
#
# Environment knobs (all optional):
#   BENCH_RUNS      whole-process runs of each program, median taken   (default 7)
#   BENCH_C_REPS    in-process repetitions of the C integration, median (default 20)
#   BENCH_STRICT=1  exit 1 if the ratio target (1.5x) or the agreement check fails
#   CC, CFLAGS      C compiler and flags (default: cc, -O2)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

kinapse="${1:-}"
runs="${BENCH_RUNS:-7}"
c_reps="${BENCH_C_REPS:-20}"
cc_bin="${CC:-cc}"
cflags="${CFLAGS:--O2}"

model="Benchmarks/models/tbs_no_cgmp.ant"
pulses="Benchmarks/models/tbs_pulse_times.txt"
out=".build-bench"
mkdir -p "$out/c" "$out/kinapse"
rm -f "$out"/c/* "$out"/kinapse/* "$out/c.csv" "$out/kinapse.csv"

# Wall-clock seconds with microsecond resolution, without forking (bash >= 5).
now() {
    if [[ -n "${EPOCHREALTIME:-}" ]]; then
        printf '%s\n' "${EPOCHREALTIME/,/.}"
    else
        date +%s.%N
    fi
}

echo "== benchmark model"
if ! python3 Benchmarks/make_tbs_model.py --check; then
    echo "error: $model or $pulses is out of date with Pathways/no_cgmp_pkg.ant;" >&2
    echo "       run: python3 Benchmarks/make_tbs_model.py" >&2
    exit 1
fi
echo "$model: $(grep -c 'at (time' "$model") pulse events, t = 0..600 s, 601 output points"

echo "== C baseline: build"
"$cc_bin" $cflags -o "$out/tbs_no_cgmp" Benchmarks/c-baseline/tbs_no_cgmp.c \
    -lsundials_cvodes -lsundials_nvecserial -lsundials_sunmatrixdense -lsundials_sunlinsoldense \
    -lsundials_sunmatrixsparse -lm
"$out/tbs_no_cgmp" --check-jacobian "$pulses"

echo "== C baseline: in-process integration time (median of $c_reps repetitions)"
"$out/tbs_no_cgmp" "$pulses" "$out/c.csv" "$c_reps" 2> "$out/c/inprocess.stats"
cat "$out/c/inprocess.stats"

echo "== C baseline: whole-process time ($runs runs of 1 repetition each)"
for i in $(seq 1 "$runs"); do
    t0="$(now)"
    "$out/tbs_no_cgmp" "$pulses" "$out/c/run.csv" 1 2> "$out/c/run$i.stats"
    t1="$(now)"
    python3 -c "import sys; print('%.6f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1" >> "$out/c/wall.txt"
done

echo "== Kinapse"
if [[ -z "$kinapse" ]]; then
    echo "no kinapse binary given (usage: $0 PATH_TO_KINAPSE); measuring the C baseline only"
elif [[ ! -x "$kinapse" ]]; then
    echo "kinapse binary '$kinapse' not found or not executable; measuring the C baseline only"
else
    ok=1
    for i in $(seq 1 "$runs"); do
        rm -f "$out/kinapse.csv"
        t0="$(now)"
        set +e
        "$kinapse" simulate "$model" --t-end 600 --points 601 --rtol 1e-6 --atol 1e-12 \
            --stats --out "$out/kinapse.csv" > "$out/kinapse/run$i.stdout" 2> "$out/kinapse/run$i.stats"
        status=$?
        set -e
        t1="$(now)"
        if [[ $status -ne 0 ]] || ! grep -q '^integration time:' "$out/kinapse/run$i.stats" \
                || [[ ! -s "$out/kinapse.csv" ]]; then
            echo "kinapse simulate did not produce statistics and a CSV (exit status $status);"
            echo "  its stderr was:"
            sed 's/^/    /' "$out/kinapse/run$i.stats" | head -20
            echo "  measuring the C baseline only"
            ok=0
            rm -f "$out"/kinapse/* "$out/kinapse.csv"
            break
        fi
        python3 -c "import sys; print('%.6f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1" >> "$out/kinapse/wall.txt"
    done
    if [[ $ok -eq 1 ]]; then
        echo "$runs runs done; last run's statistics:"
        cat "$out/kinapse/run$runs.stats"
        # In-process time measured like the C baseline's: the median of repetitions in one
        # process, so both are timed with warm caches.
        echo "== Kinapse: in-process integration time (median of $c_reps repetitions)"
        "$kinapse" simulate "$model" --t-end 600 --points 601 --rtol 1e-6 --atol 1e-12 \
            --stats --repeat "$c_reps" --out "$out/kinapse/inprocess.csv" 2> "$out/kinapse/inprocess.stats" > /dev/null
        grep '^integration time:' "$out/kinapse/inprocess.stats"
    fi
fi

echo
report_args=("$out")
if [[ "${BENCH_STRICT:-0}" == "1" ]]; then report_args+=(--strict); fi
python3 Benchmarks/bench_report.py "${report_args[@]}"
