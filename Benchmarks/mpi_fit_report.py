#!/usr/bin/env python3
"""A multi-start fit on 1 and on 2 MPI ranks: speed-up, per-start costs, the speed-up the
starts allow, scheduling overhead and whether the outputs agree.

Usage: mpi_fit_report.py WHAT RUN1 RUN2
  WHAT: the case's name; RUN1, RUN2: the 1-rank and 2-rank runs as mpi_bench.sh leaves
  them: RUN.when (Unix times at mpirun's launch and exit), RUN.cpu (CPU seconds of mpirun
  and every rank), RUN.err (standard error, with KINAPSE_MPI_STATISTICS lines) and the
  directory RUN (the fit's --out-dir).

The per-start costs are the `seconds` column of the 1-rank run's starts.tsv (each start's
wall time in one process, start-up excluded). From them, "the starts allow" replays the
scheduler of MPITaskDistributor: two workers (rank 0's thread and rank 1), each taking the
next start in index order when free, plus the 1-rank run's time outside the starts (launch,
reading, compiling, the final evaluation, writing), which both runs pay once. No
scheduler that cannot know a start's cost before running it does better on this order.

Outputs: every file of DIR1 must equal DIR2's byte for byte, except the `seconds` column of
starts.tsv, a wall time (it then says so); anything else prints "outputs DIFFER" and the
script exits 1.
"""
import csv
import heapq
import os
import re
import statistics
import sys

what, dir1, dir2 = sys.argv[1:4]


def wall(run):
    launched, ended = map(float, open(run + ".when").read().split())
    return ended - launched


def cpu(run):
    return float(open(run + ".cpu").read())


t1, t2 = wall(dir1), wall(dir2)


def starts_table(directory):
    with open(os.path.join(directory, "starts.tsv"), newline="") as f:
        return list(csv.reader(f, delimiter="\t"))


def without_column(rows, name):
    at = rows[0].index(name)
    return [row[:at] + row[at + 1:] for row in rows]


def compare_outputs():
    """'byte-identical', 'byte-identical except …', or 'DIFFER: …'."""
    names1, names2 = sorted(os.listdir(dir1)), sorted(os.listdir(dir2))
    if names1 != names2:
        return f"DIFFER: files {names1} against {names2}"
    differing = [n for n in names1 if open(os.path.join(dir1, n), "rb").read() != open(os.path.join(dir2, n), "rb").read()]
    if not differing:
        return "byte-identical"
    if differing == ["starts.tsv"] and without_column(starts_table(dir1), "seconds") == without_column(starts_table(dir2), "seconds"):
        return "byte-identical except the seconds (wall-time) column of starts.tsv"
    return f"DIFFER: {', '.join(differing)}"


def replay(costs, workers=2):
    """Makespan of handing out the starts in index order to whichever worker is free first."""
    free = [0.0] * workers
    for cost in costs:
        heapq.heappush(free, heapq.heappop(free) + cost)
    return max(free)


rows = starts_table(dir1)
at = rows[0].index("seconds")
costs = [float(r[at]) for r in sorted(rows[1:], key=lambda r: int(r[0]))]
total, longest = sum(costs), max(costs)
outside = t1 - total
allowed = t1 / (outside + replay(costs))
ideal = t1 / (outside + max(total / 2, longest))
err = open(dir2 + ".err").read()
tasks = re.findall(r"\(rank 0: (\d+), rank 1: (\d+)\)", err)
waits = [float(w) for w in re.findall(r"rank 1 ([0-9.]+) ms", err)]
same = compare_outputs()

print(f"{what}: 1 rank {t1:.1f} s, 2 ranks {t2:.1f} s, speed-up {t1 / t2:.2f}x (goal >= 1.8x); "
      f"tasks per rank {', '.join(f'{a}+{b}' for a, b in tasks) or 'n/a'}; "
      f"scheduling overhead per task {f'{max(waits):.3f} ms' if waits else 'n/a'}; outputs {same}")
print(f"  CPU (mpirun and its ranks): 1 rank {cpu(dir1):.1f} s, 2 ranks {cpu(dir2):.1f} s")
print(f"  {len(costs)} starts, {total:.1f} s in all on 1 rank (outside them {outside:.1f} s): mean {statistics.mean(costs):.2f} s, "
      f"median {statistics.median(costs):.2f}, {min(costs):.2f}-{longest:.2f} (start {costs.index(longest) + 1}), "
      f"coefficient of variation {statistics.pstdev(costs) / statistics.mean(costs):.2f}")
print(f"  the starts allow {allowed:.2f}x handed out in order (at most {ideal:.2f}x with the longest first)")
print("  seconds per start, in start order: " + " ".join(f"{c:.2f}" for c in costs))
# The 2-rank run's timeline gives each start's CPU seconds, which the machine's load does not
# inflate as it does wall times: what the starts would cost, and allow, on a quiet machine.
# The first mark of each task index is the starts' batch: the fit's later batch (the end
# points scored again) reuses the indices, and begins only once every rank has gathered the first.
cpu_costs = {}
for task, seconds in re.findall(r"task (\d+) ended, CPU ([0-9.]+) s", err):
    cpu_costs.setdefault(int(task), float(seconds))
if sorted(cpu_costs) == list(range(len(costs))):
    by_index = [cpu_costs[i] for i in range(len(costs))]
    print(f"  CPU seconds per start (2-rank timeline): {sum(by_index):.1f} s in all, mean {statistics.mean(by_index):.2f}, "
          f"{min(by_index):.2f}-{max(by_index):.2f}, coefficient of variation {statistics.pstdev(by_index) / statistics.mean(by_index):.2f}; "
          f"at these costs the starts alone allow {sum(by_index) / replay(by_index):.2f}x handed out in order")
    print("  CPU seconds per start, in start order: " + " ".join(f"{c:.2f}" for c in by_index))
if not same.startswith("byte-identical"):
    print(f"  outputs DIFFER between 1 and 2 ranks ({dir1}, {dir2})")
    sys.exit(1)
