#!/usr/bin/env bash
# make bench: the rig synapses' speed goals (issue "Biophysical synapses", "Keep it fast"):
# `make run`'s synapse simulation (Golgi -> granule rig, TBS, with make run's outputs) under 1 s,
# and the 61-point iSTDP sweep of the entorhinal stellate rig under 30 s on 2 cores. Each run's
# wall and CPU time (/usr/bin/time) and the solver's steps and restarts (--stats), one process each.
#
#   bash Benchmarks/rig_bench.sh .build/release/kinapse [BASELINE_KINAPSE]
#
# With a second binary (e.g. a build of an earlier commit) every run is made with both, one after
# the other, and the outputs are compared. BENCH_RIG_DT sets the sweep (default -30:30:1, the goal's).
set -euo pipefail
cd "$(dirname "$0")/.."
NEW=${1:-.build/release/kinapse}
OLD=${2:-}
DT=${BENCH_RIG_DT:--30:30:1}
DIR=.build-bench/rig
mkdir -p "$DIR"
[ -x /usr/bin/time ] || { echo "rig bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

# run KEY LABEL BIN ARGS...: one process; prints wall s, CPU s (user + system), and the solver's
# steps and restarts where the command reports them (simulate --stats; stdp has no --stats).
run() {
    local key=$1 label=$2 bin=$3
    shift 3
    /usr/bin/time -f "%e %U %S" -o "$DIR/$key.time" "$bin" "$@" > "$DIR/$key.out" 2> "$DIR/$key.err"
    local steps restarts
    steps=$(sed -n 's/^ *steps: //p' "$DIR/$key.err" "$DIR/$key.out" | head -1)
    restarts=$(sed -n 's/^ *reinitialisations: //p' "$DIR/$key.err" "$DIR/$key.out" | head -1)
    awk -v label="$label" -v steps="${steps:--}" -v restarts="${restarts:--}" \
        '{ printf "%-44s %8.2f %8.2f %10s %9s\n", label, $1, $2 + $3, steps, restarts }' "$DIR/$key.time"
}

printf '%-44s %8s %8s %10s %9s\n' run "wall s" "CPU s" steps restarts
for which in new old; do
    bin=$NEW
    if [ $which = old ]; then [ -n "$OLD" ] || continue; bin=$OLD; fi
    mkdir -p "$DIR/$which"
    run "$which-run" "make run ($which)" "$bin" simulate Pathways/synapses/golgi_granule.toml --protocol tbs --native-code \
        --out "$DIR/$which/tbs.csv" --readouts "$DIR/$which/tbs_readouts.csv" --summary "$DIR/$which/tbs_summary.csv" --stats
    run "$which-stdp" "stdp rig --dt $DT --jobs 2 ($which)" "$bin" stdp Pathways/synapses/entorhinal_stellate_rig.toml \
        --protocol haas_pairing --dt "$DT" --jobs 2 --native-code --quiet --out "$DIR/$which/window.csv"
done
echo "goals: make run < 1 s wall; stdp rig, 61 points, < 30 s wall on 2 cores (load average now $(cut -d' ' -f1 /proc/loadavg))"
if [ -n "$OLD" ]; then
    for f in tbs_readouts.csv tbs_summary.csv window.csv; do
        if cmp -s "$DIR/new/$f" "$DIR/old/$f"; then echo "$f: identical"; else echo "$f: differs"; fi
    done
fi
