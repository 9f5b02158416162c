#!/usr/bin/env python3
"""Refit the insertion and removal gains of the iSTDP cascade to their stated target.

Pathways/cells/stellate_istdp_example.ant fits plast.k_ins and plast.k_rem (1/s) so that 60
pairings at +10 ms and at -10 ms change the GABA-A conductance by +25 % and -25 % (read 1 s
after the last pairing, as Tests/PathwayLibraryTests/InhibitorySTDPTests.swift reads it). The
two changes depend smoothly on the two gains, so Newton's method with forward differences
converges in one or two steps from the previous fit. Run it after any change to the cell or
the cascade, then copy the gains into the example and into
Pathways/synapses/entorhinal_stellate_rig.ant.

Usage: Benchmarks/istdp_fit_gains.py [KINAPSE_BINARY] [K_INS K_REM]
"""
import csv
import io
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "Pathways/cells/stellate_istdp_example.ant"
TARGET = 25.0        # percent, both sides (the example's comment)
STEP = 0.05          # 1/s, the forward-difference step
TOLERANCE = 0.01     # percentage points


def change(kinapse, dt_ms, k_ins, k_rem):
    """Percent change of plast_gain after the pairings at dt_ms (post minus pre)."""
    out = subprocess.run(
        [kinapse, "simulate", MODEL, "--t-end", "62", "--points", "2", "--select", "plast_gain",
         "--set", f"dt_pair={dt_ms / 1000}", "--set", f"plast_k_ins={k_ins}", "--set", f"plast_k_rem={k_rem}",
         "--rtol", "1e-6", "--atol", "1e-9", "--native-code"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return float(list(csv.reader(io.StringIO(out)))[-1][1]) * 100 - 100


def residual(kinapse, k_ins, k_rem):
    return (change(kinapse, 10, k_ins, k_rem) - TARGET, change(kinapse, -10, k_ins, k_rem) + TARGET)


def main():
    kinapse = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build/release/kinapse")
    k_ins, k_rem = (float(sys.argv[2]), float(sys.argv[3])) if len(sys.argv) > 3 else (43.6, 37.1)
    for iteration in range(8):
        r = residual(kinapse, k_ins, k_rem)
        print(f"{iteration}: k_ins {k_ins:.3f}, k_rem {k_rem:.3f}: off by {r[0]:+.3f}, {r[1]:+.3f} points", flush=True)
        if max(abs(r[0]), abs(r[1])) < TOLERANCE:
            return
        a, b = residual(kinapse, k_ins + STEP, k_rem), residual(kinapse, k_ins, k_rem + STEP)
        j = [[(a[0] - r[0]) / STEP, (b[0] - r[0]) / STEP], [(a[1] - r[1]) / STEP, (b[1] - r[1]) / STEP]]
        det = j[0][0] * j[1][1] - j[0][1] * j[1][0]
        k_ins -= (r[0] * j[1][1] - r[1] * j[0][1]) / det
        k_rem -= (j[0][0] * r[1] - j[1][0] * r[0]) / det
    sys.exit("did not converge")


if __name__ == "__main__":
    main()
