#!/usr/bin/env python3
"""Turns a `kinapse simulate --readouts` file into a fit data file: SYNTHETIC data.

Usage: add_noise.py READOUTS.csv OUT.csv SEED

Keeps the normalised IPSC amplitude (% of baseline) and the paired-pulse ratio at every
test stimulus, adds independent Gaussian noise (sd 2 percentage points and 0.01), and
writes `time` in minutes from the start of induction (the protocol's baseline lasts 300 s),
with the standard deviations in `ipsc_sd` and `ppr_sd`. Python standard library only;
random.Random(SEED).gauss gives the same numbers on every platform and version.
"""
import csv
import random
import sys

IPSC_SD = 2.0
PPR_SD = 0.01
INDUCTION_START = 300.0

readouts, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
with open(readouts, newline="") as f:
    rows = list(csv.DictReader(f))
lines = ["time,ipsc,ipsc_sd,ppr,ppr_sd"]
for row in rows:
    minutes = (float(row["time"]) - INDUCTION_START) / 60
    ipsc = float(row["amplitude_percent_of_baseline"]) + rng.gauss(0, IPSC_SD)
    ppr = float(row["paired_pulse_ratio"]) + rng.gauss(0, PPR_SD)
    lines.append(f"{minutes:.6f},{ipsc:.4f},{IPSC_SD},{ppr:.5f},{PPR_SD}")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
