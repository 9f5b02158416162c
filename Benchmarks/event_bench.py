#!/usr/bin/env python3
"""Events at scale and the automatic linear solver (stdlib only; `make bench` runs it).

  event_bench.py KINAPSE [--base KINAPSE_BEFORE] [--rounds R] [--counts 2500,5000,...]
                 [--skip-events] [--skip-solvers]

Events: for each N, the model of N distinct timed pulse events and the same train as one
re-armed event (Benchmarks/make_event_models.py), simulated to half a spacing after the
last pulse with 101 output points. Cost per event = integration CPU time (`--stats`,
median of R processes, each the median of `--repeat` runs) / events executed. The
acceptance is that the distinct-event cost stays within 1.5x from the smallest N to the
largest. With --base, the same models through an older binary (interleaved), so that
today's figures and the new ones come from the same machine state.

Linear solver: the TBS model, dendrite chains (N = 2, 10, 100) and random networks
(make_event_models.py network; 1,000 species with 2,000 and 5,000 reactions), each with
--linear-solver dense, klu and auto, interleaved, integration CPU time (median of R).
Reports the symbolic LU fill, auto's choice and auto over the better of dense and KLU
(the acceptance: at most 1.10).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, ".build-bench", "events")
sys.path.insert(0, HERE)
import make_event_models as gen  # noqa: E402


def stats_of(kinapse, model, t_end, points, extra=()):
    cmd = [kinapse, "simulate", model, "--t-end", repr(t_end), "--points", str(points), "--stats",
           "--out", os.path.join(OUT, "out.csv"), *extra]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    s = {}
    for line in r.stderr.splitlines():
        m = re.match(r"([a-zA-Z (),-]+): ([^ ]+)", line)
        if m:
            s[m.group(1).strip()] = m.group(2)
    return s


def median_cpu(runs):
    return statistics.median(float(s["integration cpu time"]) for s in runs)


def events(args):
    print("== events at scale: integration CPU time per event executed (us), median of "
          f"{args.rounds} processes x --repeat {args.repeat}")
    header = f"{'N':>6} {'distinct':>9} {'re-armed':>9}"
    if args.base:
        header += f" {'before':>9} {'re-armed before':>16}"
    print(header, flush=True)
    binaries = [("new", args.kinapse)] + ([("base", args.base)] if args.base else [])
    costs = {}
    for n in args.counts:
        paths = {}
        for kind in ("events", "rearmed"):
            paths[kind] = os.path.join(OUT, f"{kind}_{n}.ant")
            with open(paths[kind], "w") as f:
                f.write(gen.events_model(n) if kind == "events" else gen.rearmed_model(n))
        t_end = gen.end_time(n)
        runs = {(b, k): [] for b, _ in binaries for k in paths}
        for _ in range(args.rounds):
            for b, exe in binaries:
                for k, p in paths.items():
                    runs[(b, k)].append(stats_of(exe, p, t_end, 101, ["--repeat", str(args.repeat)]))
        row = f"{n:>6}"
        for b, _ in binaries:
            for k in paths:
                executed = int(runs[(b, k)][0]["events executed"])
                cost = median_cpu(runs[(b, k)]) / executed * 1e6
                costs[(b, k, n)] = cost
                row += f" {cost:>9.1f}" if (b, k) != ("base", "rearmed") else f" {cost:>16.1f}"
        print(row, flush=True)
    first, last = args.counts[0], args.counts[-1]
    ratio = costs[("new", "events", last)] / costs[("new", "events", first)]
    print(f"distinct events: cost at N = {last} over N = {first}: {ratio:.2f} (target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")
    if args.base:
        r = costs[("base", "events", last)] / costs[("base", "events", first)]
        print(f"before: cost at N = {last} over N = {first}: {r:.2f}")


def solvers(args):
    print(f"== linear solver: integration CPU time (s), median of {args.rounds} processes x --repeat {args.solver_repeat}")
    models = [("TBS (15 species)", os.path.join(HERE, "models", "tbs_no_cgmp.ant"), 600, 601)]
    for n in (2, 10, 100):
        path = os.path.join(OUT, f"chain_{n}.ant")
        subprocess.run([sys.executable, os.path.join(HERE, "make_dendrite_chain.py"), str(n), path], check=True)
        models.append((f"dendrite chain N={n} ({11 * n} species)", path, 20, 41))
    for reactions in (2000, 5000):
        path = os.path.join(OUT, f"network_1000_{reactions}.ant")
        with open(path, "w") as f:
            f.write(gen.network_model(1000, reactions, 1))
        models.append((f"network 1000 species, {reactions} reactions", path, 1, 11))
    print(f"{'model':<42} {'LU fill':>8} {'dense':>8} {'klu':>8} {'auto':>8} {'auto is':>8} {'auto/best':>9} "
          f"{'choice/best':>11}")
    worst = 0.0
    for name, path, t_end, points in models:
        runs = {s: [] for s in ("dense", "klu", "auto")}
        for _ in range(args.rounds):
            for solver in runs:
                runs[solver].append(stats_of(args.kinapse, path, t_end, points,
                                             ["--linear-solver", solver, "--repeat", str(args.solver_repeat)]))
        t = {s: median_cpu(r) for s, r in runs.items()}
        fill = runs["auto"][0].get("LU fill (symbolic)", "-")
        choice = runs["auto"][0]["linear solver"]
        # auto/best: the auto run's own time; choice/best: the forced run of the solver
        # auto chose (the same computation), which shows whether the choice was right
        # apart from the noise between two identical runs.
        best = min(t["dense"], t["klu"])
        ratio, choice_ratio = t["auto"] / best, t[choice] / best
        worst = max(worst, ratio)
        print(f"{name:<42} {fill:>8} {t['dense']:>8.3f} {t['klu']:>8.3f} {t['auto']:>8.3f} {choice:>8} {ratio:>9.2f} "
              f"{choice_ratio:>11.2f}", flush=True)
    print(f"auto over the better solver, worst case: {worst:.2f} (target <= 1.10: {'met' if worst <= 1.10 else 'NOT met'})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kinapse")
    p.add_argument("--base", help="an older kinapse binary to time on the same event models")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--solver-repeat", type=int, default=1,
                   help="runs per process in the solver table (raise it for the millisecond-scale models)")
    p.add_argument("--counts", default="2500,5000,10000,20000")
    p.add_argument("--skip-events", action="store_true")
    p.add_argument("--skip-solvers", action="store_true")
    args = p.parse_args()
    args.counts = [int(c) for c in args.counts.split(",")]
    os.makedirs(OUT, exist_ok=True)
    if not args.skip_events:
        events(args)
    if not args.skip_solvers:
        solvers(args)


if __name__ == "__main__":
    main()
