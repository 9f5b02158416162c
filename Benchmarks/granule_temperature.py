#!/usr/bin/env python3
"""Rest, input resistance and spike threshold of Pathways/cells/cerebellar_granule.ant at a temperature.

The cell's file holds its rest at 30 C; at another temperature (`cell_celsius`) the cell is left at rest
for `--settle` s, and each step starts from that state (every state passed back with --set), as
`CellPhysiologyTests.granuleUnderRecording` does with a paused and resumed run. Threshold: V at the
sample before dV/dt first exceeds each criterion, in a step of `--step` pA sampled every 10 us.
Input resistance: the step's last value after 1.5 s, at -2 pA (Brickley et al. 2001's step) and -10 pA.

Usage (from the repository root): python3 Benchmarks/granule_temperature.py 21.5 24 30 [--kinapse PATH]
"""
import argparse
import csv
import os
import subprocess
import tempfile

MODEL = "Pathways/cells/cerebellar_granule.ant"
TOLERANCES = ["--rtol", "1e-8", "--atol", "1e-10"]
CRITERIA = (5000, 10000, 20000, 50000, 100000)   # mV/s


def simulate(kinapse, arguments, directory, name):
    path = os.path.join(directory, name)
    subprocess.run([kinapse, "simulate", MODEL, *arguments, *TOLERANCES, "--out", path, "--force"], check=True)
    with open(path) as handle:
        rows = list(csv.reader(handle))
    return rows[0], [[float(x) for x in row] for row in rows[1:]]


def threshold(times, voltages, criterion):
    for k in range(1, len(voltages)):
        if (voltages[k] - voltages[k - 1]) / (times[k] - times[k - 1]) > criterion:
            return voltages[k - 1]
    return None


def measure(kinapse, celsius, step, settle, directory):
    temperature = ["--set", f"cell_celsius={celsius}"]
    header, rows = simulate(kinapse, ["--t-end", str(settle), "--points", "2", *temperature], directory, "rest.csv")
    state = [argument for name, value in zip(header[1:], rows[-1][1:]) for argument in ("--set", f"{name}={value!r}")]
    rest = rows[-1][1]
    resistances = {}
    for current in (-2, -10):
        _, stepped = simulate(kinapse, ["--t-end", "1.5", "--points", "2", "--select", "cell_V", *temperature, *state,
                                        "--set", f"cell_soma_el_I_inj={current}"], directory, "hyperpolarised.csv")
        resistances[current] = (stepped[-1][1] - rest) / current * 1000   # mV/pA = GOhm -> MOhm
    _, spiking = simulate(kinapse, ["--t-end", "0.1", "--points", "10001", "--select", "cell_V", *temperature, *state,
                                    "--set", f"cell_soma_el_I_inj={step}"], directory, "depolarised.csv")
    times, voltages = [row[0] for row in spiking], [row[1] for row in spiking]
    upward = sum(1 for k in range(1, len(voltages)) if voltages[k - 1] < 0 <= voltages[k])
    return rest, resistances, [threshold(times, voltages, c) for c in CRITERIA], upward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("celsius", type=float, nargs="+")
    parser.add_argument("--kinapse", default="kinapse")
    parser.add_argument("--step", type=float, default=20, help="pA")
    parser.add_argument("--settle", type=float, default=1, help="s at rest before each step")
    arguments = parser.parse_args()
    print("C\trest (mV)\tR_in -2 pA (MOhm)\tR_in -10 pA (MOhm)\t" + "\t".join(f"thr {c // 1000} V/s" for c in CRITERIA)
          + "\tcrossings of 0 mV in 100 ms")
    with tempfile.TemporaryDirectory() as directory:
        for celsius in arguments.celsius:
            rest, resistances, thresholds, upward = measure(arguments.kinapse, celsius, arguments.step, arguments.settle, directory)
            print(f"{celsius:g}\t{rest:.4f}\t{resistances[-2]:.0f}\t{resistances[-10]:.0f}\t"
                  + "\t".join("none" if t is None else f"{t:.2f}" for t in thresholds) + f"\t{upward}")


if __name__ == "__main__":
    main()
