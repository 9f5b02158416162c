#!/usr/bin/env python3
"""Prints the benchmark table from the measurements Benchmarks/run.sh leaves in a
directory (default .build-bench), and compares the two trajectories.

Layout read:
  c/inprocess.stats        stderr of the C baseline run with R in-process repetitions
  c/wall.txt               one whole-process wall time (s) per line
  c.csv                    C trajectory
  kinapse/run*.stats       stderr of each `kinapse simulate --stats` run (optional)
  kinapse/wall.txt         one whole-process wall time (s) per line (optional)
  kinapse.csv              Kinapse trajectory (optional)

Statistics files hold `key: value` lines, e.g. `steps: 9716`, `integration time: 0.04 s`.

Usage: python3 Benchmarks/bench_report.py [DIR] [--strict]
  --strict: exit 1 if Kinapse's in-process time is over 1.5x the C baseline's or
  the trajectories disagree beyond the agreement threshold. stdlib only.
"""
import csv
import glob
import os
import re
import statistics
import sys

TARGET_RATIO = 1.5
RTOL, ATOL = 1e-6, 1e-12
# Differences are measured relative to max(|y|, ATOL/RTOL): below ATOL/RTOL the
# solver's error control is absolute, above it relative. Two correct integrations
# with these tolerances differ by a few hundred RTOL at most; 1e-3 flags real mistakes.
FLOOR = ATOL / RTOL
AGREEMENT = 1e-3

COUNT_KEYS = ["steps", "rhs evaluations", "jacobian evaluations",
              "error-test failures", "nonlinear convergence failures", "reinitialisations"]


def read_stats(path):
    stats = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*([A-Za-z][A-Za-z \-]*?)\s*:\s*([-+0-9.eE]+)\s*(s)?\s*$", line)
            if m:
                stats[m.group(1).lower()] = float(m.group(2))
    return stats


def read_walls(path):
    with open(path, encoding="utf-8") as f:
        return [float(l) for l in f if l.strip()]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    data = [[float(x) for x in r] for r in rows[1:] if r]
    return header, data


def fmt_time(s):
    if s is None:
        return "-"
    return "%.2f ms" % (s * 1e3) if s < 1 else "%.3f s" % s


def fmt_count(n):
    return "-" if n is None else "%d" % n


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2fx" % (a / b)


def compare(c_path, k_path):
    """Max difference of Kinapse vs C, relative to max(|y|, FLOOR) pointwise and to
    the column's max |y|. Returns (pointwise, where, column_relative, problems)."""
    ch, cd = read_csv(c_path)
    kh, kd = read_csv(k_path)
    problems = []
    if ch[0] != "time" or kh[0] != "time":
        problems.append("first column must be 'time'")
    missing = [c for c in ch[1:] if c not in kh]
    extra = [c for c in kh[1:] if c not in ch]
    if missing:
        problems.append("columns missing from the Kinapse CSV: " + ", ".join(missing))
    if extra:
        problems.append("columns only in the Kinapse CSV (ignored): " + ", ".join(extra))
    if kh[1:] != [c for c in ch[1:] if c in kh] and not missing:
        problems.append("column order differs from declaration order (compared by name)")
    if len(cd) != len(kd):
        problems.append("row counts differ: C %d, Kinapse %d" % (len(cd), len(kd)))
        return None, None, None, problems
    worst, where, worst_col = 0.0, None, 0.0
    for r, (crow, krow) in enumerate(zip(cd, kd)):
        if abs(crow[0] - krow[0]) > 1e-9 * max(1.0, abs(crow[0])):
            problems.append("output times differ at row %d: %r vs %r" % (r, crow[0], krow[0]))
            return None, None, None, problems
    for j, name in enumerate(ch[1:], start=1):
        if name not in kh:
            continue
        kj = kh.index(name)
        colmax = max(max(abs(row[j]) for row in cd), FLOOR)
        for crow, krow in zip(cd, kd):
            d = abs(crow[j] - krow[kj])
            rel = d / max(abs(crow[j]), abs(krow[kj]), FLOOR)
            if rel > worst:
                worst, where = rel, (name, crow[0], crow[j], krow[kj])
            worst_col = max(worst_col, d / colmax)
    return worst, where, worst_col, problems


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    strict = "--strict" in sys.argv[1:]
    d = args[0] if args else ".build-bench"

    c = read_stats(os.path.join(d, "c", "inprocess.stats"))
    c_wall = statistics.median(read_walls(os.path.join(d, "c", "wall.txt")))

    k = None
    k_runs = sorted(glob.glob(os.path.join(d, "kinapse", "run*.stats")))
    k_wall_path = os.path.join(d, "kinapse", "wall.txt")
    notes = []
    if k_runs and os.path.exists(k_wall_path):
        per_run = [read_stats(p) for p in k_runs]
        k = dict(per_run[-1])
        k["integration time"] = statistics.median(s["integration time"] for s in per_run)
        inprocess = os.path.join(d, "kinapse", "inprocess.stats")
        if os.path.exists(inprocess):
            # Median of repetitions inside one process, as for the C baseline.
            k["first-run integration time"] = k["integration time"]
            k["integration time"] = read_stats(inprocess)["integration time"]
        if all("compile time" in s for s in per_run):
            k["compile time"] = statistics.median(s["compile time"] for s in per_run)
        k_wall = statistics.median(read_walls(k_wall_path))
        for key in COUNT_KEYS:
            values = {s.get(key) for s in per_run}
            if len(values) > 1:
                notes.append("note: Kinapse '%s' varies between runs: %s" % (key, sorted(v for v in values if v is not None)))

    cols = ["integration (in-process)", "whole process", "steps", "RHS evals", "Jacobian evals"]
    rows = []
    if k is not None:
        rows.append(["Kinapse", fmt_time(k.get("integration time")), fmt_time(k_wall),
                     fmt_count(k.get("steps")), fmt_count(k.get("rhs evaluations")),
                     fmt_count(k.get("jacobian evaluations"))])
    rows.append(["C baseline", fmt_time(c.get("integration time")), fmt_time(c_wall),
                 fmt_count(c.get("steps")), fmt_count(c.get("rhs evaluations")),
                 fmt_count(c.get("jacobian evaluations"))])
    if k is not None:
        rows.append(["ratio (Kinapse/C)",
                     fmt_ratio(k.get("integration time"), c.get("integration time")),
                     fmt_ratio(k_wall, c_wall),
                     fmt_ratio(k.get("steps"), c.get("steps")),
                     fmt_ratio(k.get("rhs evaluations"), c.get("rhs evaluations")),
                     fmt_ratio(k.get("jacobian evaluations"), c.get("jacobian evaluations"))])
    widths = [max(len(r[0]) for r in rows + [[""]])] + \
             [max(len(cols[i]), *(len(r[i + 1]) for r in rows)) for i in range(len(cols))]
    print("Benchmark: tbs_no_cgmp (15 species, 16 reactions, 120 Ca2+ pulses, 0-600 s, "
          "BDF, rtol 1e-6, atol 1e-12)")
    line = "  ".join([" " * widths[0]] + [cols[i].rjust(widths[i + 1]) for i in range(len(cols))])
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join([r[0].ljust(widths[0])] + [r[i + 1].rjust(widths[i + 1]) for i in range(len(cols))]))
    print()
    print("in-process: median of repetitions inside one process, for both programs (warm caches).")
    print("whole process: median wall time of separate runs, start to exit.")
    if k and "first-run integration time" in k:
        print("Kinapse integration time of a single run per process (median over runs): %s" % fmt_time(k["first-run integration time"]))
    if k is not None and "compile time" in k:
        print("Kinapse model compile time (median): %s" % fmt_time(k["compile time"]))
    for key in ["error-test failures", "nonlinear convergence failures", "reinitialisations"]:
        print("%s: C %s%s" % (key, fmt_count(c.get(key)),
                             "" if k is None else ", Kinapse %s" % fmt_count(k.get(key))))
    for n in notes:
        print(n)

    failed = False
    if k is None:
        print("\nKinapse not measured: no trajectory comparison, no ratio.")
        return 0
    ratio = k["integration time"] / c["integration time"]
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print("\ntarget: Kinapse in-process time within %.1fx of C: %.2fx, %s" % (TARGET_RATIO, ratio, verdict))
    failed |= ratio > TARGET_RATIO

    worst, where, worst_col, problems = compare(os.path.join(d, "c.csv"), os.path.join(d, "kinapse.csv"))
    for p in problems:
        print("trajectory comparison: " + p)
    if worst is None:
        print("trajectory comparison: FAILED")
        failed = True
    else:
        name, t, cv, kv = where if where else ("-", 0, 0, 0)
        ok = worst <= AGREEMENT
        print("trajectory agreement: max |Kinapse - C| / max(|y|, %g) = %.3g (%s at t = %g: C %.10g, Kinapse %.10g)"
              % (FLOOR, worst, name, t, cv, kv))
        print("                      max |Kinapse - C| / column max |y|  = %.3g; %s (threshold %g)"
              % (worst_col, "ok" if ok else "MISMATCH", AGREEMENT))
        failed |= not ok
    return 1 if (strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
