#!/usr/bin/env bash
# MPI benchmark (issue 23), release build: the same work on 1 and on 2 MPI ranks.
#  1. a 32-start fit (BENCH_MPI_STARTS) of the hippocampal_bdnf fixture, no profiles;
#  2. a 41-interval stdp sweep (-100:100:5 ms) of the biophysical entorhinal stellate synapse
#     (entorhinal_stellate_rig, Haas pairing, native code): an interval costs 2.5 s
#     (measured, the same within 0.1 s for every interval), so the sweep (~105 s on one
#     rank) measures scaling, not start-up;
#  3. the same 41 intervals on the increment model (the lumped engine-test fixture
#     Fixtures/lumped/synapses/entorhinal_stellate.toml), a sweep of about
#     a second in all: it cannot reach 1.8x, since mpirun's own launch and teardown (measured
#     first, with /bin/true) are a fixed part of it as large as its tasks; it is here to show that;
# each with one thread per rank (--jobs 1), so that 2 ranks on 2 cores is the whole
# machine. Prints wall times, the speed-up (goal ≥ 1.8× on 2 cores), whether the outputs of
# 1 and 2 ranks are byte-identical, and the scheduling overhead per task: the mean time a
# rank waits between returning a result and receiving its next task (KINAPSE_MPI_STATISTICS);
# for the stdp sweeps also where each rank's wall time went (KINAPSE_MPI_TIMELINE,
# Benchmarks/mpi_timeline.py). One rank does not start MPI at all (MPIJob.launch).
# Usage: Benchmarks/mpi_bench.sh PATH_TO_KINAPSE   (make bench calls it)
#   BENCH_MPI_CASES="fit stdp increment" (the default) chooses which of 1-3 run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kinapse="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
starts="${BENCH_MPI_STARTS:-32}"
cases=" ${BENCH_MPI_CASES:-fit stdp increment} "
out=".build-bench/mpi"
rm -rf "$out"
mkdir -p "$out"
if ! command -v mpirun > /dev/null; then
    echo "MPI benchmark skipped: mpirun is not installed (Debian: openmpi-bin; make deps installs it)"
    exit 0
fi
# As root in a container: allowed explicitly; no cross-memory attach for shared memory.
# Unbound: bound to cores (OpenMPI's default for 2 ranks) a rank whose core another program
# is using stalls (measured: 23 starts against 9, then 16 against 16 unbound).
# One machine: shared memory only (btl self,vader; pml ob1), which halves MPI_Init against
# OpenMPI probing every network transport it ships (measured 0.33-0.40 s -> 0.16-0.19 s).
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi=(mpirun --oversubscribe --allow-run-as-root --bind-to none --mca btl self,vader --mca pml ob1)

timed() {  # label, then the command; prints wall seconds, keeps stderr in $out/label.err
    local label="$1" t0 t1
    shift
    t0="${EPOCHREALTIME/,/.}"
    KINAPSE_MPI_STATISTICS=1 KINAPSE_MPI_TIMELINE=1 "$@" > "$out/$label.out" 2> "$out/$label.err"
    t1="${EPOCHREALTIME/,/.}"
    echo "$t0 $t1" > "$out/$label.when"
    python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
}

timeline() {  # label: where the run's wall time went, rank by rank
    echo "  $1:"
    python3 Benchmarks/mpi_timeline.py $(cat "$out/$1.when") "$out/$1.err"
}

report() {  # what, 1-rank seconds, 2-rank seconds, 1-rank output, 2-rank output, 2-rank stderr
    local same="differ"
    if diff -r "$4" "$5" > /dev/null; then same="byte-identical"; fi
    python3 - "$@" "$same" <<'PY'
import re, sys
what, t1, t2, _, _, err, same = sys.argv[1:]
waits = [float(w) for w in re.findall(r"rank 1 ([0-9.]+) ms", open(err).read())]
tasks = re.findall(r"\(rank 0: (\d+), rank 1: (\d+)\)", open(err).read())
split = ", ".join(f"{a}+{b}" for a, b in tasks)
wait = f"{max(waits):.3f} ms" if waits else "n/a"
print(f"{what}: 1 rank {float(t1):.1f} s, 2 ranks {float(t2):.1f} s, speed-up {float(t1) / float(t2):.2f}x "
      f"(goal >= 1.8x); tasks per rank {split}; scheduling overhead per task {wait}; outputs {same}")
PY
}

echo
echo "MPI benchmark (release build, OpenMPI $(mpirun --version 2>/dev/null | head -1 | grep -o '[0-9][0-9.]*' | head -1)) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# What mpirun itself costs (launching its daemon and the processes, and waiting for them to
# end), with a program that does nothing: a fixed part of every timing below.
echo "mpirun /bin/true: 1 rank $(timed true1 "${mpi[@]}" -n 1 /bin/true) s, 2 ranks $(timed true2 "${mpi[@]}" -n 2 /bin/true) s"
if [[ "$cases" == *" fit "* ]]; then
    problem="Fixtures/fit/hippocampal_bdnf/problem.toml"
    fit=(fit "$problem" --starts "$starts" --seed 5 --jobs 1 --no-profiles --quiet)
    t1="$(timed fit1 "${mpi[@]}" -n 1 "$kinapse" "${fit[@]}" --out-dir "$out/fit1")"
    t2="$(timed fit2 "${mpi[@]}" -n 2 "$kinapse" "${fit[@]}" --out-dir "$out/fit2")"
    report "fit, $starts starts (no profiles)" "$t1" "$t2" "$out/fit1" "$out/fit2" "$out/fit2.err"
fi

sweep() {  # label, what, synapse, then further stdp options: 1 rank against 2, with timelines
    local label="$1" what="$2" synapse="$3" t1 t2
    shift 3
    local stdp=(stdp "$synapse" --dt -100:100:5 --jobs 1 --quiet "$@")
    mkdir -p "$out/${label}1" "$out/${label}2"
    t1="$(timed "${label}1" "${mpi[@]}" -n 1 "$kinapse" "${stdp[@]}" --out "$out/${label}1/window.csv")"
    t2="$(timed "${label}2" "${mpi[@]}" -n 2 "$kinapse" "${stdp[@]}" --out "$out/${label}2/window.csv")"
    report "$what" "$t1" "$t2" "$out/${label}1" "$out/${label}2" "$out/${label}2.err"
    timeline "${label}1"
    timeline "${label}2"
}

if [[ "$cases" == *" stdp "* ]]; then
    # The native code is compiled (and cached) by a run of one interval, outside the timings.
    "$kinapse" stdp entorhinal_stellate_rig --protocol haas_pairing --dt 0:0:1 --native-code --quiet > /dev/null
    sweep stdp "stdp on the rig synapse, 41 intervals" entorhinal_stellate_rig --protocol haas_pairing --native-code
fi
if [[ "$cases" == *" increment "* ]]; then
    sweep increment "stdp on the increment synapse, 41 intervals" Fixtures/lumped/synapses/entorhinal_stellate.toml
fi
