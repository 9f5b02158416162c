#!/bin/sh
# PEtab benchmark problems (../shared/petab/benchmark): load + compile time, llh at the
# nominal parameters against the references of ../shared/petab/README.md, and the time of
# one objective + gradient evaluation; with --fit SECONDS also a single-threaded
# multi-start with that CPU budget per problem. Problem names after the options limit both
# parts to those problems (e.g. to run the 180-s fits of a few problems side by side in
# separate processes: each budget counts only its own process's CPU).
#
#   Benchmarks/petab_bench.sh [.build/release/kinapse] [--fit 180] [PROBLEM...]
set -eu
KINAPSE=${1:-.build/release/kinapse}
if [ $# -gt 0 ]; then shift; fi
FIT=""
if [ "${1:-}" = "--fit" ]; then
    FIT=${2:-180}
    if [ $# -ge 2 ]; then shift 2; else shift; fi
fi
ONLY="$*"
ROOT=$(dirname "$0")/../../shared/petab/benchmark
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# problem  reference llh  (README: AMICI's test file; Crauste converged; Raia AMICI at rtol 1e-12; Liu without the initial assignment)
REFERENCES="Boehm_JProteomeRes2014 -138.222
Borghans_BiophysChem1997 83.324
Crauste_CellSystems2017 -190.96398
Fujita_SciSignal2010 53.084
Sneyd_PNAS2002 319.792
Weber_BMC2015 -296.202
Zheng_PNAS2012 278.334
Schwen_PONE2014 -943.999
Bachmann_MSB2011 418.406
Isensee_JCB2018 -3949.376
Raia_CancerResearch2011 -346.090
Liu_IFACPapersOnLine2025 -723.357"
if [ -n "$ONLY" ]; then
    REFERENCES=$(echo "$REFERENCES" | while read -r name reference; do
        for wanted in $ONLY; do if [ "$name" = "$wanted" ]; then echo "$name $reference"; fi; done
    done)
    [ -n "$REFERENCES" ] || { echo "petab_bench.sh: no benchmark problem named $ONLY" >&2; exit 2; }
fi

# Times are CPU seconds of one process (load: read + compile + differentiate; one objective + gradient).
printf '%-26s %12s %14s %10s %10s %12s\n' problem "ref llh" "llh (ours)" "|diff|" "load s" "obj+grad s"
echo "$REFERENCES" | while read -r name reference; do
    yaml="$ROOT/$name/$name.yaml"
    load=$("$KINAPSE" petab check "$yaml" | sed -n 's/^loaded and compiled in .*(CPU \([0-9.]*\) s)$/\1/p')
    "$KINAPSE" petab llh "$yaml" --rtol 1e-10 > "$OUT/llh.txt"
    llh=$(sed -n 's/^llh //p' "$OUT/llh.txt")
    "$KINAPSE" petab llh "$yaml" --gradient > "$OUT/grad.txt"
    seconds=$(sed -n 's/^evaluated in .*(CPU \([0-9.]*\) s)$/\1/p' "$OUT/grad.txt")
    diff=$(awk -v a="$llh" -v b="$reference" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.2e", d }')
    printf '%-26s %12s %14s %10s %10s %12s\n' "$name" "$reference" "$llh" "$diff" "$load" "$seconds"
done

[ -n "$FIT" ] || exit 0
# Multi-starts: FIT seconds of CPU per problem on one worker thread (--time-budget counts
# CPU, so the result does not depend on what else the machine runs), up to 10000 starts.
echo
printf '%-26s %14s %8s %8s %10s %8s %8s\n' problem "best objective" starts redrawn "within 0.1" "wall s" "CPU s"
echo "$REFERENCES" | while read -r name reference; do
    yaml="$ROOT/$name/$name.yaml"
    "$KINAPSE" fit "$yaml" --starts 10000 --jobs 1 --time-budget "$FIT" --out-dir "$OUT/$name" --quiet > "$OUT/fit.txt" 2>&1 || true
    best=$(sed -n 's/^best objective \([-0-9.]*\) .*/\1/p' "$OUT/fit.txt")
    starts=$(sed -n 's/^problem [^:]*: \([0-9]*\) of.*/\1/p' "$OUT/fit.txt")
    redrawn=$(sed -n 's/^start points redrawn .*: \([0-9]*\)$/\1/p' "$OUT/fit.txt")
    within=$(sed -n 's/^starts within 0.1 of the best: \(.*\)$/\1/p' "$OUT/fit.txt")
    wall=$(sed -n 's/^wall time \([0-9.]*\) s$/\1/p' "$OUT/fit.txt")
    cpu=$(sed -n 's/^CPU time \([0-9.]*\) s$/\1/p' "$OUT/fit.txt")
    printf '%-26s %14s %8s %8s %10s %8s %8s\n' "$name" "${best:-failed}" "${starts:-0}" "${redrawn:--}" "${within:--}" "${wall:--}" "${cpu:--}"
done
