#!/usr/bin/env bash
# MPI benchmark, release build: the same work on 1 and on 2 MPI ranks.
#  fit:  a 32-start fit (BENCH_MPI_STARTS) of the PEtab problem Schwen_PONE2014 (real data,
#        30 parameters, 19 conditions), each start held to 15 Levenberg-Marquardt steps, so
#        that the starts cost about the same (0.9-3.2 s of CPU each, measured); needs the
#        PEtab benchmark collection (BENCH_PETAB_DIR, default ../shared/petab/benchmark);
#  boehm: 32 starts of Boehm_JProteomeRes2014 run to convergence (14 to 1000 steps): one
#        long start bounds what 2 ranks can gain, and the report says by how much;
#  stdp: a 41-interval stdp sweep (-100:100:5 ms) of the biophysical entorhinal stellate
#        synapse (entorhinal_stellate_rig, Haas pairing, native code): an interval costs
#        2.5 s (measured, the same within 0.1 s for every interval), so the sweep (~105 s on
#        one rank) measures scaling, not start-up;
#  increment: the same 41 intervals on the increment model (the lumped engine-test fixture
#        Fixtures/lumped/synapses/entorhinal_stellate.toml), a sweep
#        of about a second in all: it cannot reach 1.8x, since mpirun's own launch and
#        teardown (measured first, with /bin/true) are a fixed part of it as large as its
#        tasks; it is here to show that;
# each with one thread per rank (--jobs 1), so that 2 ranks on 2 cores is the whole
# machine. Prints wall times, CPU times, the speed-up (goal ≥ 1.8× on 2 cores), whether the
# outputs of 1 and 2 ranks are byte-identical (for a PEtab fit: except the wall-time column
# of starts.tsv), the scheduling overhead per task: the mean time a rank waits between
# returning a result and receiving its next task (KINAPSE_MPI_STATISTICS), and where each
# rank's wall time went (KINAPSE_MPI_TIMELINE, Benchmarks/mpi_timeline.py); for the fits also
# each start's cost and the speed-up the starts allow (Benchmarks/mpi_fit_report.py).
# One rank does not start MPI at all (MPIJob.launch). Outputs that differ fail the script.
# Usage: Benchmarks/mpi_bench.sh PATH_TO_KINAPSE   (make bench calls it)
#   BENCH_MPI_CASES="fit boehm stdp increment" (the default) chooses the cases;
#   BENCH_MPI_REPEATS (default 3): alternating 1-/2-rank pairs per fit case, median reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
kinapse="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
starts="${BENCH_MPI_STARTS:-32}"
cases=" ${BENCH_MPI_CASES:-fit boehm stdp increment} "
repeats="${BENCH_MPI_REPEATS:-3}"
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

timed() {  # label, then the command; prints wall seconds; leaves in $out: label.out, label.err,
           # label.when (Unix times at launch and exit), label.cpu (CPU seconds of mpirun and its ranks)
    local label="$1"
    shift
    KINAPSE_MPI_STATISTICS=1 KINAPSE_MPI_TIMELINE=1 python3 -c '
import resource, subprocess, sys, time
run = sys.argv[1]
with open(run + ".out", "wb") as out, open(run + ".err", "wb") as err:
    launched = time.time()
    status = subprocess.run(sys.argv[2:], stdout=out, stderr=err).returncode
    ended = time.time()
if status != 0:
    sys.exit(f"{run}: exit status {status}; see {run}.err")
used = resource.getrusage(resource.RUSAGE_CHILDREN)
open(run + ".when", "w").write(f"{launched} {ended}\n")
open(run + ".cpu", "w").write(f"{used.ru_utime + used.ru_stime:.2f}\n")
print(f"{ended - launched:.2f}")' "$out/$label" "$@"
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
    [[ "$same" == byte-identical ]] || differ=1
}

echo
echo "MPI benchmark (release build, OpenMPI $(mpirun --version 2>/dev/null | head -1 | grep -o '[0-9][0-9.]*' | head -1)) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# What mpirun itself costs (launching its daemon and the processes, and waiting for them to
# end), with a program that does nothing: a fixed part of every timing below.
echo "mpirun /bin/true: 1 rank $(timed true1 "${mpi[@]}" -n 1 /bin/true) s, 2 ranks $(timed true2 "${mpi[@]}" -n 2 /bin/true) s"

multistart() {  # label, what, PEtab problem name, then further fit options: 1 rank against 2
    local label="$1" what="$2" name="$3"
    shift 3
    local problem="$petab/$name/$name.yaml"
    if [[ ! -f "$problem" ]]; then
        echo "$what: skipped, $problem is missing (BENCH_PETAB_DIR: the PEtab benchmark collection)"
        return
    fi
    local fit=(fit "$problem" --starts "$starts" --seed 5 --jobs 1 --quiet "$@")
    local r ratios=()
    # Alternating 1- and 2-rank runs, so that the machine's drift over minutes (this virtual
    # machine's speed for the same work varied by up to 25 % between runs, RESULTS.md) falls
    # on both sides of each ratio; the median of the pairs' ratios is the speed-up.
    for ((r = 1; r <= repeats; r++)); do
        timed "${label}1" "${mpi[@]}" -n 1 "$kinapse" "${fit[@]}" --out-dir "$out/${label}1" > /dev/null
        timed "${label}2" "${mpi[@]}" -n 2 "$kinapse" "${fit[@]}" --out-dir "$out/${label}2" > /dev/null
        python3 Benchmarks/mpi_fit_report.py "$what (pair $r of $repeats)" "$out/${label}1" "$out/${label}2" || differ=1
        ratios+=("$(python3 -c 'import sys; w = [float(open(f).read().split()[1]) - float(open(f).read().split()[0]) for f in sys.argv[1:]]; print(w[0] / w[1])' "$out/${label}1.when" "$out/${label}2.when")")
    done
    python3 -c 'import statistics, sys; r = sorted(map(float, sys.argv[2:])); print(f"{sys.argv[1]}: median speed-up of {len(r)} alternating pairs {statistics.median(r):.2f}x (goal >= 1.8x; pairs " + ", ".join(f"{x:.2f}x" for x in r) + ")")' "$what" "${ratios[@]}"
    timeline "${label}2"
}

# The PEtab benchmark collection (Hass et al. 2019), beside the repository as petab_bench.sh has it.
petab="${BENCH_PETAB_DIR:-../shared/petab/benchmark}"
if [[ "$cases" == *" fit "* ]]; then
    # Real data, starts that cost about the same: each start is held to 15 accepted
    # Levenberg-Marquardt steps, which none reaches convergence before (RESULTS.md).
    multistart fit "fit, Schwen_PONE2014, $starts starts of 15 steps" Schwen_PONE2014 --max-iterations 15
fi
if [[ "$cases" == *" boehm "* ]]; then
    # Starts run to convergence: from 14 to 1000 steps, so the longest start bounds 2 ranks.
    # One pair: the bound its longest start sets, not the noise, is what this case shows.
    repeats=1 multistart boehm "fit, Boehm_JProteomeRes2014, $starts starts to convergence" Boehm_JProteomeRes2014
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
# Outputs of 1 and 2 ranks that differ fail the bench (after every case has run).
exit "${differ:-0}"
