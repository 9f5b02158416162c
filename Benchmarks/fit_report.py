#!/usr/bin/env python3
"""Summarises one `kinapse fit` run for Benchmarks/fit_bench.sh.

Usage: fit_report.py OUT_DIR TRUE_PARAMETERS.toml LABEL WALL_SECONDS

Reads OUT_DIR/starts.csv (objective per start), OUT_DIR/report.txt (the simulation count)
and, when present, OUT_DIR/intervals.csv (95 % profile-likelihood intervals), and prints the
wall time, simulations per second, the fraction of starts within 0.1 % of the best objective
and whether every true parameter lies inside its interval.
"""
import csv
import re
import sys

out, truth_path, label, wall = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(f"{out}/starts.csv", newline="") as f:
    starts = list(csv.DictReader(f))
objectives = [float(s["objective"]) for s in starts if not s["status"].startswith("failed")]
best = min(objectives)
reached = sum(1 for x in objectives if x - best <= 1e-3 * max(abs(best), 1e-12))
failed = len(starts) - len(objectives)
report = open(f"{out}/report.txt").read()
simulations = int(re.search(r"(\d+) simulations", report).group(1))

print(f"{label}:")
print(f"  wall time                      {wall:.1f} s")
print(f"  simulations                    {simulations} ({simulations / wall:.0f}/s)")
print(f"  starts within 0.1 % of best    {reached} of {len(starts)} ({100 * reached / len(starts):.0f} %), {failed} failed")
print(f"  best objective (1/2 |r|^2)     {best:.6g}")

truth = {}
for line in open(truth_path):
    m = re.match(r"\s*([A-Za-z_][\w-]*)\s*=\s*([-+0-9.eE]+)", line)
    if m:
        truth[m.group(1)] = float(m.group(2))
try:
    with open(f"{out}/intervals.csv", newline="") as f:
        intervals = list(csv.DictReader(f))
except FileNotFoundError:
    print("  profile intervals              not computed")
    sys.exit(0)
inside = []
for row in intervals:
    name = row["parameter"]
    if name not in truth:
        continue
    # An empty side: the profile stays below the threshold up to the parameter's bound.
    lo = float(row["profile_lower"]) if row["profile_lower"] else float("-inf")
    hi = float(row["profile_upper"]) if row["profile_upper"] else float("inf")
    ok = lo <= truth[name] <= hi
    inside.append(ok)
    show = lambda x: "bound" if abs(x) == float("inf") else f"{x:.4g}"
    print(f"  {name:<22} true {truth[name]:<10.4g} 95 % CI [{show(lo)}, {show(hi)}] {'inside' if ok else 'OUTSIDE'}")
print(f"  true parameters inside the 95 % profile CIs: {sum(inside)} of {len(inside)}")
