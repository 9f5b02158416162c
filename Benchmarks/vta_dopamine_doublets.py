#!/usr/bin/env python3
"""Where do the VTA dopamine cell's doublets come from: the port, the Soma, or the densities?

Runs, through `kinapse simulate` (from the repository root), the bare published equations
(Benchmarks/models/drion_dopamine_reference.ant: the Drion et al. 2011 model as the Fyon et al. code
writes it, ms units) with three density sets, and the shipped cell (Pathways/cells/vta_dopamine.ant,
with the Soma of components.ant, s units) as it is and with the earlier fitted densities. For each it
prints the spikes (upward crossings of +10 mV, re-armed below 0 mV: the rule of the Fyon et al.
extract_frequency), rate, shortest and longest interval, peak and trough, after a 2-s settling.

    nominal             the Fyon et al. nominal cell, with its tonic NMDA conductance (0.12 mS/cm^2)
    nominal, no NMDA    the same without it: the densities the cell file ships
    fitted, no NMDA     gNa 30, gCaL 0.1, gCaN 0.03, gERG 0.12: the densities fitted before

Each run takes under a second of CPU. See Benchmarks/RESULTS.md, "VTA dopamine cell: single spikes".

    python3 Benchmarks/vta_dopamine_doublets.py [KINAPSE]
"""
import csv
import os
import subprocess
import sys
import tempfile

KINAPSE = sys.argv[1] if len(sys.argv) > 1 else "/work/main/.build/release/kinapse"
REFERENCE = "Benchmarks/models/drion_dopamine_reference.ant"
CELL = "Pathways/cells/vta_dopamine.ant"
FITTED = {"gNa": 30, "gCaL": 0.1, "gCaN": 0.03, "gERG": 0.12}   # mS/cm^2, the densities fitted before
SETTLE, T_END = 2.0, 12.0   # s


def firing(model, column, seconds_per_unit, overrides, scratch):
    """Spike times (s) and the peak and trough (mV) of `column` after SETTLE."""
    out = os.path.join(scratch, "run.csv")
    t_end = T_END / seconds_per_unit
    args = [KINAPSE, "simulate", model, "--t-end", repr(t_end), "--points", str(int(T_END / 5e-5) + 1),
            "--select", column, "--native-code", "--out", out]
    for name, value in overrides.items():
        args += ["--set", f"{name}={value}"]
    subprocess.run(args, capture_output=True, text=True, check=True)
    spikes, armed, peak, trough = [], True, float("-inf"), float("inf")
    with open(out) as f:
        for row in csv.DictReader(f):
            t, v = float(row["time"]) * seconds_per_unit, float(row[column])
            if t < SETTLE:
                continue
            peak, trough = max(peak, v), min(trough, v)
            if armed and v > 10:
                spikes.append(t)
                armed = False
            elif v < 0:
                armed = True
    return spikes, peak, trough


def report(label, spikes, peak, trough):
    intervals = [b - a for a, b in zip(spikes, spikes[1:])]
    if not intervals:
        print(f"{label:34s} {len(spikes):3d} spikes")
        return
    rate = len(intervals) / sum(intervals)
    print(f"{label:34s} {len(spikes):3d} spikes  {rate:5.2f} Hz  intervals {1000 * min(intervals):7.1f}"
          f"-{1000 * max(intervals):7.1f} ms  peak {peak:5.1f}  trough {trough:5.1f} mV")


def main():
    print(f"spikes from {SETTLE:g} to {T_END:g} s")
    with tempfile.TemporaryDirectory() as scratch:
        report("reference, nominal", *firing(REFERENCE, "V", 1e-3, {}, scratch))
        report("reference, nominal, no NMDA", *firing(REFERENCE, "V", 1e-3, {"gNMDA": 0}, scratch))
        report("reference, fitted, no NMDA", *firing(REFERENCE, "V", 1e-3, dict(FITTED, gNMDA=0), scratch))
        report("cell (shipped)", *firing(CELL, "cell_V", 1, {}, scratch))
        report("cell, fitted", *firing(CELL, "cell_V", 1, {f"cell_ch_{k}": v for k, v in FITTED.items()}, scratch))


if __name__ == "__main__":
    main()
