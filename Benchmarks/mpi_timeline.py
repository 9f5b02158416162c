#!/usr/bin/env python3
"""Where an MPI run's wall time went, rank by rank, from its KINAPSE_MPI_TIMELINE=1 lines.

Usage: mpi_timeline.py LAUNCHED ENDED STDERR
  LAUNCHED, ENDED: Unix times just before mpirun started and just after it returned;
  STDERR: the run's standard error, with lines 'kinapse timeline: rank R SECONDS EVENT'.

Prints, per rank, each phase as seconds since LAUNCHED: process start (what mpirun's launch
cost), MPI_Init (on its own thread, alongside reading and compiling the inputs), inputs
read, model ready (the batch begun: compiled, native code loaded, the shared settle/baseline
prefix run), the tasks it ran (count, total, mean and range, their CPU seconds, and the mean
gap between one task's end and the next one's start: the scheduling overhead per task), its
last task's end, the batch gathered (results from every rank), command done (outputs written
by rank 0), MPI_Finalize done; then mpirun's exit. A 1-rank run has no batch marks (MPI is
not started): it shows when its first interval ended (model ready plus that interval) and,
as its tasks, the gaps between the stdp sweep's later 'interval done' marks.
"""
import re
import statistics
import sys

launched, ended, path = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ranks = {}
for rank, seconds, event in re.findall(r"^kinapse timeline: rank (\d+) ([0-9.]+) (.*)$", open(path).read(), re.M):
    ranks.setdefault(int(rank), []).append((float(seconds) - launched, event))


def first(events, pattern):
    return next((t for t, e in events if re.fullmatch(pattern, e)), None)


def at(t):
    return "-" if t is None else f"{t:.2f}"


for rank in sorted(ranks):
    events = ranks[rank]
    begun = {int(m.group(1)): t for t, e in events if (m := re.fullmatch(r"task (\d+) begun", e))}
    done = {int(m.group(1)): t for t, e in events if (m := re.fullmatch(r"task (\d+) ended(?:, CPU [0-9.]+ s)?", e))}
    cpu = [float(m.group(1)) for t, e in events if (m := re.fullmatch(r"task \d+ ended, CPU ([0-9.]+) s", e))]
    ready = first(events, r"batch 1 begun.*")
    ends = [t for t, e in events if e == "interval done"]
    if begun:
        durations = [done[i] - begun[i] for i in begun if i in done]
        order = sorted(begun, key=begun.get)
        gaps = [begun[b] - done[a] for a, b in zip(order, order[1:]) if a in done]
        last = max(done.values())
    else:
        # One process: the intervals run one after another, each ending where the next begins.
        durations = [b - a for a, b in zip(ends, ends[1:])]
        gaps = []
        last = ends[-1] if ends else None
    init_begun, init_done = first(events, "MPI_Init begun"), first(events, "MPI_Init done")
    init = f"MPI_Init {at(init_begun)}-{at(init_done)} ({init_done - init_begun:.2f} s)" if init_begun is not None and init_done is not None else "no MPI"
    tasks = (f"{len(durations)} tasks {sum(durations):.1f} s (mean {statistics.mean(durations):.2f}, "
             f"{min(durations):.2f}-{max(durations):.2f})" if durations else "no tasks")
    if cpu:
        tasks += f", CPU {sum(cpu):.1f} s ({min(cpu):.2f}-{max(cpu):.2f})"
    overhead = f"; gap between tasks {1000 * statistics.mean(gaps):.1f} ms" if gaps else ""
    print(f"  rank {rank}: started {at(first(events, 'started'))}; {init}; inputs read {at(first(events, 'inputs read'))}; "
          + (f"model ready {at(ready)}; " if begun else f"first interval ended {at(ends[0] if ends else None)}; then ")
          + f"{tasks}{overhead}; "
          f"last task ended {at(last)}; gathered {at(first(events, r'batch 1 gathered'))}; "
          f"command done {at(first(events, 'command done'))}; MPI_Finalize done {at(first(events, 'MPI_Finalize done'))}")
print(f"  mpirun returned {ended - launched:.2f}")
