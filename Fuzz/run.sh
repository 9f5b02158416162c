#!/usr/bin/env bash
# make fuzz: builds the libFuzzer binary (release, AddressSanitizer) in .build-fuzz and
# runs every reader's target for FUZZ_SECONDS seconds, then prints executions per second
# and total executions per target. Fails if any target finds a crash, a hang (an input
# taking more than FUZZ_TIMEOUT seconds) or runs out of memory (FUZZ_RSS_MB).
#
#   FUZZ_SECONDS=60 FUZZ_TARGETS="antimony sbml" bash Fuzz/run.sh
#
# Corpora grow in .build-fuzz/corpus/TARGET across runs; seeds come from Pathways/,
# Fixtures/, Benchmarks/models and (when present) ../shared/sbml-test-suite. A finding is
# written to .build-fuzz/artifacts/TARGET/ and can be replayed without sanitizers with
# the ordinary build: .build/debug/kinapse-fuzz TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
# nwb: Debian's HDF5 1.10.8 crashes or hangs on some corrupted files; the reader survives
# that by reading first in a child process (docs/recordings.md), so the target is fuzzed too.
TARGETS=${FUZZ_TARGETS:-"antimony sbml config synapse protocol csv fit data abf nwb"}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}
SCRATCH=.build-fuzz
SUITE=${SBML_SUITE:-../shared/sbml-test-suite}

$SWIFT build -c release --scratch-path "$SCRATCH" --product kinapse-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DKINAPSE_FUZZING 2>&1 | grep -v "Cannot export local symbol" || true
BIN="$SCRATCH/release/kinapse-fuzz"
[ -x "$BIN" ] || { echo "fuzz: build failed" >&2; exit 1; }

# The fit target's problem files name a model and a data file: these.
FIT_DIR="$PWD/$SCRATCH/fit-files"
mkdir -p "$FIT_DIR"
cat > "$FIT_DIR/decay.ant" <<'ANT'
// synthetic two-step decay for fuzzing the fit-problem reader (assumption-only values)
model *decay()
  compartment cell = 1
  species A in cell, B in cell
  A = 10; B = 0
  k1 = 0.5; k2 = 0.1
  J1: A -> B; k1*A
  J2: B -> ; k2*B
end
ANT
printf 'time,B_obs,B_obs_sd\n1,3.5,0.1\n2,5.2,0.1\n5,6.1,NA\n' > "$FIT_DIR/data.csv"
cat > "$FIT_DIR/seed-problem.toml" <<'TOML'
model = "decay.ant"
description = "seed for fuzzing"

[options]
starts = 4
seed = 3

[parameters.k1]
lower = 0.01
upper = 10
scale = "log"
[parameters.k2]
lower = 0.001
upper = 1

[observables.B_obs]
expression = "B"
sd = 0.1

[[experiments]]
name = "control"
data = "data.csv"
TOML
export KINAPSE_FUZZ_FIT_DIR="$FIT_DIR"

# Seeds: copied flat into one directory per target (libFuzzer reads files, not trees).
seed() {
    local target=$1; shift
    local dir="$SCRATCH/seeds/$target"
    rm -rf "$dir"; mkdir -p "$dir"
    local n=0
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
        n=$((n + 1))
    done
    echo "$n"
}
seed_files() {
    case $1 in
        antimony) find Pathways Benchmarks/models Fixtures -name '*.ant' | sort ;;
        sbml)
            find Fixtures -name '*.xml' | sort
            # Every 20th case of the SBML Test Suite: all of it would make the first
            # pass over the corpus take most of the budget.
            [ -d "$SUITE/cases" ] && find "$SUITE/cases" -name '*-sbml-l3v2.xml' | sort | awk 'NR % 20 == 1' ;;
        config) find Pathways Fixtures -name '*.toml' | sort ;;
        synapse) find Pathways/synapses -name '*.toml' | sort ;;
        protocol) find Pathways/protocols -name '*.toml' | sort ;;
        fit) echo "$FIT_DIR/seed-problem.toml" ;;
        data) echo "$FIT_DIR/data.csv"; find Fixtures -name '*.csv' | sort ;;
        abf) find Fixtures/recordings -name '*.abf' | sort ;;
        nwb) find Fixtures/recordings -name '*.nwb' | sort ;;
        csv)
            find Fixtures -name '*.csv' | sort
            [ -d "$SUITE/cases" ] && find "$SUITE/cases" -name '*-results.csv' | sort | awk 'NR % 100 == 1' ;;
    esac
}

printf '%-10s %8s %12s %10s %8s  %s\n' target seconds executions "execs/s" corpus result
status=0
total=0
for target in $TARGETS; do
    mapfile -t files < <(seed_files "$target")
    seed "$target" "${files[@]}" > /dev/null
    corpus="$SCRATCH/corpus/$target"; artifacts="$SCRATCH/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    case $target in synapse|protocol|fit) d=config ;; *) d=$target ;; esac
    dict=()
    [ -f "Fuzz/$d.dict" ] && dict=(-dict="Fuzz/$d.dict")
    log="$SCRATCH/fuzz-$target.log"
    set +e
    KINAPSE_FUZZ_TARGET=$target "$BIN" "$corpus" "$SCRATCH/seeds/$target" "${dict[@]}" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
        -artifact_prefix="$artifacts" -print_final_stats=1 > "$log" 2>&1
    code=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    size=$(find "$corpus" -type f | wc -l)
    result=ok
    if [ $code -ne 0 ]; then
        result="FINDING (exit $code): $(grep -m1 -E 'ERROR|Fatal error|deadly signal|timeout|out-of-memory' "$log" || echo "see $log")"
        status=1
    fi
    printf '%-10s %8s %12s %10s %8s  %s\n' "$target" "$SECONDS_PER_TARGET" "${runs:-?}" "${rate:-?}" "$size" "$result"
    total=$((total + ${runs:-0}))
done
echo "total executions: $total"
exit $status
