#!/usr/bin/env python3
"""Convergence study of the rig synapses' solver tolerances.

Runs each case (synapse, protocol) at the tolerances given and at each one ten times tighter
(rtol and atol both divided by 10), and compares the summary's changes (IPSC or IPSP amplitude,
paired-pulse ratio, receptors N, release probability Pr, in percent) and baseline values. A
tolerance passes a case when every change differs from the tighter run's by at most 0.1 % of
that change or 0.02 percentage points, whichever is larger (a change of about 0 has no
0.1 %; the summary prints changes to 0.1 point).

    python3 Benchmarks/rig_tolerances.py KINAPSE --tolerance RTOL,ATOL [--tolerance ...] [--case SYNAPSE:PROTOCOL[:BLOCKER...] ...]

Each run is one process with --native-code (the compiled model is cached), so CPU times are the
simulation's. The stdp window's points are compared with `kinapse stdp ... --rtol/--atol` by hand
(Benchmarks/RESULTS.md, "Rig synapse speed").
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

CASES = ["golgi_granule:tbs", "golgi_granule:mapelli_tbs_current_clamp", "entorhinal_stellate_rig:haas_pairing"]
QUANTITIES = ["amplitude", "paired-pulse ratio", "receptors N", "release probability Pr"]


def run(binary, synapse, protocol, tolerance, directory, blockers=()):
    """One run: (summary rows by quantity, steps, CPU seconds)."""
    label = "-".join([synapse, protocol, *blockers, tolerance or "own"])
    summary = os.path.join(directory, f"{label}.csv".replace(",", "_"))
    command = [binary, "simulate", f"Pathways/synapses/{synapse}.toml", "--protocol", protocol,
               "--summary", summary, "--native-code", "--stats", "--force"]
    for blocker in blockers:
        command += ["--block", blocker]
    if tolerance:
        rtol, atol = tolerance.split(",")
        command += ["--rtol", rtol, "--atol", atol]
    before = os.times()
    done = subprocess.run(command, capture_output=True, text=True)
    after = os.times()
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr}")
    steps = int(re.search(r"steps: (\d+)", done.stderr).group(1))
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    rows = {}
    with open(summary) as f:
        for row in csv.DictReader(f):
            for q in QUANTITIES:
                if q in row["quantity"]:
                    rows[q] = (float(row["baseline"]), float(row["change"]))
    return rows, steps, cpu


def tighter(tolerance):
    rtol, atol = (float(x) for x in tolerance.split(","))
    return f"{rtol / 10:g},{atol / 10:g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--tolerance", action="append", help="RTOL,ATOL (repeatable; required)")
    parser.add_argument("--case", action="append", help="SYNAPSE:PROTOCOL[:BLOCKER...] (repeatable)")
    args = parser.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    directory = tempfile.mkdtemp(prefix="rig-tolerances-")
    for case in args.case or CASES:
        synapse, protocol, *blockers = case.split(":")
        for tolerance in args.tolerance or sys.exit("give --tolerance RTOL,ATOL: the tighter run needs numbers"):
            rows, steps, cpu = run(args.binary, synapse, protocol, tolerance, directory, blockers)
            ref, ref_steps, ref_cpu = run(args.binary, synapse, protocol, tighter(tolerance), directory, blockers)
            worst = 0.0
            print(f"{' '.join([synapse, protocol] + ['--block ' + b for b in blockers])}: rtol,atol {tolerance} ({steps} steps, {cpu:.1f} s CPU) against {tighter(tolerance)} "
                  f"({ref_steps} steps, {ref_cpu:.1f} s CPU)")
            for q in QUANTITIES:
                if q not in rows:
                    continue
                (b, c), (rb, rc) = rows[q], ref[q]
                allowed = max(1e-3 * abs(rc), 0.02)
                worst = max(worst, abs(c - rc) / allowed)
                print(f"  {q:24s} change {c:+.4f} % against {rc:+.4f} % (|difference| {abs(c - rc):.2e} pp, allowed {allowed:.2e}); "
                      f"baseline {b:.6g} against {rb:.6g} (relative {abs(b - rb) / abs(rb) if rb else 0:.1e})")
            print(f"  worst difference / allowed: {worst:.3f} -> {'pass' if worst <= 1 else 'FAIL'}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
