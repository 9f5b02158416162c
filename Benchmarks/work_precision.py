#!/usr/bin/env python3
"""Work against precision: Kinapse and libRoadRunner on one model over a range of
tolerances, each run's error measured against a tight-tolerance Kinapse reference.

Usage: work_precision.py KINAPSE MODEL.ant T_END POINTS [--python VENV_PYTHON] [--reps R]
Prints one row per tool and tolerance: rtol, atol, CPU ms per simulation (median of R),
steps (Kinapse) and the error: max over outputs of |x - ref| / max(|ref|, 1e-6), the
same measure as bench.py's agreement column (1e-6 µM = atol/rtol, where the solver's
control turns absolute). The reference is Kinapse at rtol 1e-12, atol 1e-20.

RoadRunner gets the same scalar settings; note that libRoadRunner 2.x scales a scalar
absolute tolerance by each species' initial amount when that is below 1 (the vector
`getAbsoluteToleranceVector()` returns), so its effective atol is tighter, never looser.
stdlib only; RoadRunner runs in the venv interpreter.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

RR_SCRIPT = r'''
import json, sys, time, statistics
import roadrunner
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
path, t_end, points, reps, rtol, atol, out = sys.argv[1:8]
r = roadrunner.RoadRunner(open(path, encoding="utf-8").read())
i = r.getIntegrator()
i.setValue("relative_tolerance", float(rtol)); i.setValue("absolute_tolerance", float(atol))
i.setValue("maximum_num_steps", 100000)
cpu = []
for _ in range(int(reps)):
    r.reset()
    c0 = time.process_time()
    res = r.simulate(0, float(t_end), int(points))
    cpu.append(time.process_time() - c0)
names = [c.strip("[]") for c in res.colnames]
with open(out, "w", encoding="utf-8") as f:
    f.write(",".join(names) + "\n")
    for row in res:
        f.write(",".join(repr(float(x)) for x in row) + "\n")
print(json.dumps({"cpu": statistics.median(cpu)}))
'''


def read_csv(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    return header, [[float(x) for x in r] for r in rows[1:] if r]


def error(path, ref_path):
    h, rows = read_csv(path)
    hr, ref = read_csv(ref_path)
    columns = [(h.index(name), j) for j, name in enumerate(hr) if j > 0 and name in h]
    worst = 0.0
    for a, b in zip(rows, ref):
        for i, j in columns:
            worst = max(worst, abs(a[i] - b[j]) / max(abs(b[j]), 1e-6))
    return worst


def kinapse(binary, model, t_end, points, rtol, atol, reps, out):
    p = subprocess.run([binary, "simulate", model, "--t-end", str(t_end), "--points", str(points), "--rtol", str(rtol),
                        "--atol", str(atol), "--max-steps", "1000000", "--stats", "--repeat", str(reps), "--out", out],
                       capture_output=True, text=True, check=True)
    stats = {}
    for line in p.stderr.splitlines():
        m = re.match(r"^([a-z][a-z \-]*?):\s*([-+0-9.eE]+)\s*s?\s*$", line.strip())
        if m:
            stats[m.group(1)] = float(m.group(2))
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kinapse")
    ap.add_argument("model")
    ap.add_argument("t_end", type=float)
    ap.add_argument("points", type=int)
    ap.add_argument("--python")
    ap.add_argument("--reps", type=int, default=9)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kinapse-wp-")
    ref = os.path.join(work, "ref.csv")
    kinapse(args.kinapse, args.model, args.t_end, args.points, 1e-12, 1e-20, 1, ref)
    xml = os.path.join(work, "model.xml")
    if args.python:
        subprocess.run([args.kinapse, "export", args.model, "--sbml", xml], check=True, capture_output=True)
    print(f"{'tool':<10} {'rtol':>7} {'atol':>7} {'cpu ms':>8} {'steps':>7} {'error':>9}")
    for rtol in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8):
        atol = rtol * 1e-6
        out = os.path.join(work, "k.csv")
        s = kinapse(args.kinapse, args.model, args.t_end, args.points, rtol, atol, args.reps, out)
        print(f"{'Kinapse':<10} {rtol:>7.0e} {atol:>7.0e} {1000 * s['integration cpu time']:>8.2f} "
              f"{int(s['steps']):>7} {error(out, ref):>9.1e}")
        if args.python:
            out = os.path.join(work, "rr.csv")
            p = subprocess.run([args.python, "-c", RR_SCRIPT, xml, str(args.t_end), str(args.points), str(args.reps),
                                str(rtol), str(atol), out], capture_output=True, text=True, check=True)
            cpu = json.loads(p.stdout)["cpu"]
            print(f"{'RoadRunner':<10} {rtol:>7.0e} {atol:>7.0e} {1000 * cpu:>8.2f} {'':>7} {error(out, ref):>9.1e}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
