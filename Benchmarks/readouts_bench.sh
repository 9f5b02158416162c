#!/usr/bin/env bash
# make bench: `kinapse readouts` on a generated 1-hour, 10 kHz, 2-channel recording, as ABF2
# and as NWB (360 sweeps of 10 s, paired pulses, a test pulse per sweep; about 144 MB), read and analysed
# in one run. Criterion (issue: recorded electrophysiology in): under 5 s wall-clock and under
# 500 MB peak resident memory, measured with /usr/bin/time -v.
#
#   bash Benchmarks/readouts_bench.sh .build/release
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release}
DIR=.build-bench/readouts
mkdir -p "$DIR"
[ -x /usr/bin/time ] || { echo "readouts bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
printf '%-40s %8s %10s %10s  %s\n' benchmark "file MB" "seconds" "peak MB" result
failed=0
# NWB is read twice (once in a child process that shields the run from HDF5 crashes on
# damaged files, docs/recordings.md), so its row measures that cost too.
for format in abf2 nwb; do
    RECORDING="$DIR/one_hour_10kHz_2ch.$format"
    [ -f "$RECORDING" ] || "$BIN/kinapse-synth-recording" benchmark $format "$RECORDING"
    /usr/bin/time -v "$BIN/kinapse" readouts "$RECORDING" --stim-times 0.5,0.55 --baseline-minutes 10 \
        --out "$DIR/readouts.csv" --sweeps "$DIR/sweeps.csv" --force > "$DIR/summary.txt" 2> "$DIR/time.txt"
    elapsed=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/time.txt")
    seconds=$(echo "$elapsed" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/time.txt")
    rss_mb=$((rss_kb / 1024))
    size_mb=$(( $(stat -c %s "$RECORDING") / 1048576 ))
    status=ok
    awk -v s="$seconds" 'BEGIN { exit !(s < 5) }' || status="SLOW (criterion < 5 s)"
    [ "$rss_mb" -lt 500 ] || status="LARGE (criterion < 500 MB)"
    printf '%-40s %8s %10s %10s  %s\n' "readouts: 1 h, 10 kHz, 2 channels, $format" "$size_mb" "$seconds" "$rss_mb" "$status"
    [ "$status" = ok ] || failed=1
done
exit $failed
