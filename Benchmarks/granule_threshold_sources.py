#!/usr/bin/env python3
"""The granule cell's spike threshold, spike shape and Na+ activation against every recording that was read.

Pathways/cells/cerebellar_granule.ant (Simoes de Souza & De Schutter 2011, Diwakar et al. 2009 channel set;
a rat cell at 30 C) is measured under each source's temperature as `granule_temperature.py` does (1 s at rest
at that temperature, then a current step from that state), with the threshold taken as V at the sample
before dV/dt first exceeds a criterion, sampled every 10 us. No source's own criterion was read, so every
criterion in CRITERIA is printed. Steps: 20 pA (the one `CellPhysiologyTests` uses), the source's reported
rheobase where it gives one, and the model's own rheobase for a 500-ms step (assumption: no source's step
length was read), found by bisection to 0.05 pA.

Each range is fixed here, from the source alone, before the model is run: mean +- 2 SD, with SD = SEM x
sqrt(n) where the source states SEM and SD as stated where it states SD. Where what was read does not say
which of the two the spread is, both readings are printed and neither is proposed for a test.

Also printed: the first spike's shape at 30 C against the only rat recordings with a spread that were read
(D'Angelo et al. 1998 Table 1), and the activation and availability curves of the cell's Na+ channel (GRC_NA)
under voltage clamp, computed from its rate matrix (`granule_rest_reference.na_rate_matrix`) without Kinapse.

Usage (from the repository root): python3 Benchmarks/granule_threshold_sources.py [--kinapse PATH]
"""
import argparse
import math
import os
import sys
import tempfile

import numpy as np
from scipy.linalg import expm
from scipy.optimize import curve_fit

sys.dont_write_bytecode = True   # importing the sibling scripts leaves no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from granule_rest_reference import na_rate_matrix, na_steady_state  # noqa: E402
from granule_temperature import simulate  # noqa: E402

CRITERIA = (5000, 10000, 20000, 50000)   # mV/s
STEP_LENGTH = 0.5                        # s, for the model's rheobase (assumption, see above)

# Threshold recordings of cerebellar granule cells with a mean and n, each as read. No rat recording of the
# threshold with a spread was found (see Benchmarks/RESULTS.md); all of these are mouse. Fields: label, what
# the source is and where it was read, recording temperature used for the model (C, the middle of the stated
# range), mean (mV), spread (mV), kind of spread ("SEM", "SD", "?" when not stated in what was read, None when
# none is given), n, reported rheobase (pA) or None.
THRESHOLDS = [
    ("Brickley 2001 P35", "Brickley, Revilla, Cull-Candy, Wisden & Farrant 2001 Nature 409:88, Table 1 (wild-type "
     "mouse, P35, 23-25 C, junction potential corrected; 'All values are mean +- s.e.m.'), via NeuroElectro data "
     "table 49865", 24.0, -34.7, 1.1, "SEM", 25, 25.3),
    ("Osorio 2010 P66-74", "Osorio, Cathala, Meisler, Crest, Magistretti & Delmas 2010 J Physiol 588:651, Table 2 "
     "(wild-type C57BL mouse, P66-74, 21-22 C, corrected; 'mean +- s.e.m.'), via NeuroElectro data table 7834",
     21.5, -42.4, 1.0, "SEM", 23, None),
    ("Cathala 2003 P34-52", "Cathala, Brickley, Cull-Candy & Farrant 2003 J Neurosci 23:6074, as NeuroElectro data "
     "table 50024 parses its text ('Mature GC's (P34-52)'; NeuroElectro's metadata: C57BL mouse, 35-38 C, "
     "corrected)", 36.5, -36.5, 1.0, "?", 31, 38.1),
    ("Cathala 2003 P7-9", "the same, 'Immature GC's (P7-9)'", 36.5, -27.1, 1.4, "?", 18, 19.11),
    ("Goldfarb 2007 WT", "Goldfarb et al. 2007 Neuron, Table 1A (wild-type, cerebellar slices, physiological "
     "solutions), via NeuroElectro data table 21275 (metadata: mouse, 20-24 C, corrected)", 22.0, -49.6, 4.9, "?", 7,
     None),
    ("Prestori 2008 C57BL/6J", "Prestori et al. 2008 J Neurosci, via NeuroElectro's granule cell data listing "
     "(neuron 21; its table, 2049, is not in the snapshot; metadata: C57BL mouse, P17-22, 32 C, junction potential unreported)", 32.0,
     -42.7, 2.0, "?", 22, None),
    ("Usowicz 2012 WT", "Usowicz & Garden 2012 Brain Res, via NeuroElectro data table 49866 (wild-type mouse, "
     "P40-60, 23 C, corrected; no spread given)", 23.0, -47.8, None, None, 37, None),
]

# D'Angelo, De Filippi, Rossi & Taglietti 1998 J Neurophysiol 80:493, Table 1 ('Values are means +- SD'), rat
# P21-26 at 30 C in 10 uM bicuculline, not corrected for the junction potential (< 5 mV), via NeuroElectro data
# table 1290: (condition, n, overshoot mV, undershoot mV, half-width ms, rising rate V/s, falling rate V/s),
# each (mean, SD).
DANGELO_1998 = [
    ("bridge, perforated", 6, (12.4, 9.2), (-56.4, 9.7), (0.65, 0.26), (196, 106), (-128.3, 67.2)),
    ("patch fast, perforated", 10, (9.8, 11), (-55.0, 4.6), (0.79, 0.16), (151.1, 54.6), (-94.5, 33.9)),
    ("patch fast, whole-cell", 8, (11.6, 8.5), (-53.6, 5.4), (0.92, 0.29), (155.3, 27.9), (-88.8, 29.9)),
]

# Goldfarb et al. 2007 Table 1B (cultured wild-type granule cells) and 1C (slices), Na+ currents only, as
# NeuroElectro data table 21275 reproduces it; the kind of spread is not stated there: V1/2 and k (mV).
GOLDFARB_NA = {"activation V1/2, cultured": (-33.3, 4.2, 9), "activation k, cultured": (5.2, 0.7, 9),
               "inactivation V1/2, cultured": (-59.1, 4.9, 8), "inactivation k, cultured": (-5.8, 0.6, 8),
               "inactivation V1/2, slices": (-55.6, 2.0, 6), "inactivation k, slices": (-4.8, 0.9, 6)}


def ranges(mean, spread, kind, n):
    """(low, high) pairs of mean +- 2 SD for each reading of the spread the source allows."""
    if spread is None:
        return {}
    readings = {"SD": spread, "SEM": spread * math.sqrt(n)}
    kinds = ["SD", "SEM"] if kind == "?" else [kind]
    return {k: (mean - 2 * readings[k], mean + 2 * readings[k]) for k in kinds}


class Cell:
    """The granule cell at one temperature, settled there for 1 s; each step starts from that state."""

    def __init__(self, kinapse, celsius, directory):
        self.kinapse, self.directory = kinapse, directory
        self.temperature = ["--set", f"cell_celsius={celsius}"]
        header, rows = simulate(kinapse, ["--t-end", "1", "--points", "2", *self.temperature], directory, "rest.csv")
        self.state = [argument for name, value in zip(header[1:], rows[-1][1:]) for argument in ("--set", f"{name}={value!r}")]
        self.rest = rows[-1][1]

    def step(self, current, duration):
        """Times (s) and V (mV) every 10 us during a step of `current` pA."""
        points = int(round(duration / 1e-5)) + 1
        _, rows = simulate(self.kinapse, ["--t-end", str(duration), "--points", str(points), "--select", "cell_V",
                                          *self.temperature, *self.state, "--set", f"cell_soma_el_I_inj={current}"],
                           self.directory, "step.csv")
        return [row[0] for row in rows], [row[1] for row in rows]

    def rheobase(self, duration=STEP_LENGTH, low=0.0, high=40.0, tolerance=0.05):
        """The smallest step (pA) whose V crosses -20 mV within `duration`, by bisection (the model's spikes
        peak below 0 mV at 36.5 C, so the test's -20 mV rather than 0 mV)."""
        fires = lambda current: max(self.step(current, duration)[1]) > -20
        if not fires(high):
            raise ValueError(f"no spike at {high} pA")
        while high - low > tolerance:
            middle = (low + high) / 2
            low, high = (low, middle) if fires(middle) else (middle, high)
        return high


def threshold(times, voltages, criterion):
    """V at the sample before dV/dt first rises through `criterion` from below: the step's onset, where dV/dt
    jumps to I/C (5.7 V/s at 25 pA for the cell's 4.37 pF), does not count."""
    for k in range(2, len(voltages)):
        before = (voltages[k - 1] - voltages[k - 2]) / (times[k - 1] - times[k - 2])
        if before <= criterion < (voltages[k] - voltages[k - 1]) / (times[k] - times[k - 1]):
            return voltages[k - 1]
    return None


def first_spike_shape(times, voltages):
    """Overshoot, undershoot after it, half-width (at half the height above the 10 V/s threshold, crossings
    interpolated between samples), and the extreme slopes of the first spike."""
    v, t = np.array(voltages), np.array(times)
    slope = np.diff(v) / np.diff(t) / 1000   # V/s
    start = int(np.argmax(slope > 10))        # first sample past 10 V/s
    window = int(np.searchsorted(t, t[start] + 0.003))     # the peak within 3 ms
    peak = start + int(np.argmax(v[start:window]))
    down = peak + int(np.argmax(v[peak:] < v[start]))     # back below threshold
    following = np.nonzero(slope[down:] > 10)[0]
    end = down + (int(following[0]) if len(following) else len(v) - down - 1)
    trough = float(v[down:end + 1].min())
    half = (v[start] + v[peak]) / 2
    rise = start + int(np.argmax(v[start:peak + 1] >= half))      # first sample at or above half, rising
    fall = peak + int(np.argmax(v[peak:down + 1] < half))         # first sample below half, falling
    crossing = lambda k: t[k - 1] + (half - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1])   # linear between samples
    width = (crossing(fall) - crossing(rise)) * 1000
    return {"overshoot": float(v[peak]), "undershoot": trough, "half-width": width,
            "rising": float(slope[start:peak].max()), "falling": float(slope[peak:down].min())}


def na_curves(celsius=30.0):
    """Peak open fraction of GRC_NA in 20-ms steps from rest at -100 mV (activation) and after rest at each
    prepulse potential (availability, tested at -15 mV), each normalised and fitted with a Boltzmann curve."""
    dt, steps = 0.005, 4000   # ms

    def peak_open(start, v):
        q, _ = na_rate_matrix(v, celsius)
        propagator = expm(q * dt)
        p, best = start, 0.0
        for _ in range(steps):
            p = p @ propagator
            best = max(best, p[5])
        return best

    rest = lambda v: na_steady_state(v, celsius)
    boltzmann = lambda v, half, k: 1 / (1 + np.exp((half - v) / k))
    tests = np.arange(-80.0, 21.0, 5.0)
    conductance = np.array([peak_open(rest(-100.0), v) for v in tests])
    activation, _ = curve_fit(boltzmann, tests, conductance / conductance.max(), p0=(-30, 5))
    prepulses = np.arange(-110.0, -19.0, 5.0)
    available = np.array([peak_open(rest(v), -15.0) for v in prepulses])
    inactivation, _ = curve_fit(boltzmann, prepulses, available / available.max(), p0=(-60, -6))
    return activation, inactivation


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinapse", default="kinapse")
    arguments = parser.parse_args()

    print("Threshold sources and their ranges (mean +- 2 SD), fixed before the model is run:")
    for label, where, celsius, mean, spread, kind, n, rheobase in THRESHOLDS:
        readings = ranges(mean, spread, kind, n)
        text = "; ".join(f"as {k}: {low:.1f}...{high:.1f}" for k, (low, high) in readings.items()) or "no spread"
        print(f"  {label}: {mean} mV, n = {n}, spread {spread} ({kind}) -> {text}\n    {where}")

    header = "\t".join(f"thr {c // 1000} V/s" for c in CRITERIA)
    print(f"\nModel (cerebellar_granule.ant): source\tC\trest (mV)\tstep (pA)\t{header}")
    with tempfile.TemporaryDirectory() as directory:
        cells = {}
        for label, _, celsius, mean, spread, kind, n, rheobase in THRESHOLDS:
            cell = cells.get(celsius) or cells.setdefault(celsius, Cell(arguments.kinapse, celsius, directory))
            own = cell.rheobase()
            steps = [("20", 20.0), (f"model rheobase {own:.2f}", own)]
            if rheobase is not None:
                steps.append((f"source rheobase {rheobase}", rheobase))
            for name, current in steps:
                duration = STEP_LENGTH if current == own else 0.1
                times, voltages = cell.step(current, duration)
                values = [threshold(times, voltages, c) for c in CRITERIA]
                print(f"  {label}\t{celsius:g}\t{cell.rest:.4f}\t{name}\t"
                      + "\t".join("none" if x is None else f"{x:.2f}" for x in values))

        print("\nThe 20-pA threshold read at coarser sampling (us: thresholds at each criterion):")
        for celsius in (21.5, 24.0):
            times, voltages = cells[celsius].step(20.0, 0.1)
            print(f"  {celsius:g} C: " + "; ".join(
                f"{10 * every}: " + ", ".join(f"{threshold(times[::every], voltages[::every], c):.2f}" for c in CRITERIA)
                for every in (1, 5, 10, 25)))

        print("\nFirst spike at 30 C against D'Angelo et al. 1998 Table 1 (rat P21-26, 30 C, mean +- 2 SD):")
        cell = cells.get(30.0) or Cell(arguments.kinapse, 30.0, directory)
        own = cell.rheobase()
        for name, current, duration in (("20 pA", 20.0, 0.1), (f"rheobase {own:.2f} pA", own, STEP_LENGTH)):
            times, voltages = cell.step(current, duration)
            # The paper sampled current clamp every 50-250 us: the same spike read at those intervals too.
            for every in (1, 5, 25):
                shape = first_spike_shape(times[::every], voltages[::every])
                print(f"  model, {name}, sampled every {10 * every} us: " + ", ".join(f"{k} {v:.2f}" for k, v in shape.items()))
        for condition, n, *values in DANGELO_1998:
            print(f"  {condition} (n = {n}): " + ", ".join(
                f"{k} {m - 2 * s:.2f}...{m + 2 * s:.2f}" for k, (m, s) in
                zip(("overshoot", "undershoot", "half-width", "rising", "falling"), values)))

    activation, inactivation = na_curves()
    print("\nGRC_NA under voltage clamp (independent of temperature: one Q10 scales every rate):")
    print(f"  activation V1/2 {activation[0]:.2f} mV, k {activation[1]:.2f} mV; "
          f"availability V1/2 {inactivation[0]:.2f} mV, k {inactivation[1]:.2f} mV")
    for name, (mean, spread, n) in GOLDFARB_NA.items():
        text = "; ".join(f"as {k}: {lo:.1f}...{hi:.1f}" for k, (lo, hi) in ranges(mean, spread, "?", n).items())
        print(f"  Goldfarb et al. 2007 (mouse granule cells) {name}: {mean} +- {spread} (n = {n}) -> {text}")


if __name__ == "__main__":
    main()
