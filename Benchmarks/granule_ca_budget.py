#!/usr/bin/env python3
"""Ca2+ budget of the granule cell during the firing-state theta bursts of golgi_granule.

Runs one train of `mapelli_tbs_current_clamp`'s induction (10 bursts of 4 mossy-fibre pulses at
100 Hz, bursts at 5 Hz, the cell in current clamp) on the golgi_granule rig, once with the present
granule cell (Simoes de Souza & De Schutter 2011) and once with the D'Angelo et al. 2001 cell and
rig state this repository held at OLD_COMMIT, and splits the shell Ca2+ that nNOS reads into its
sources. The shell has no buffer and a linear removal (k_ext), so the integral of its Ca2+ above
rest is exactly the Ca2+ charge that entered, over 2 F vol_shell k_ext; the script checks that
identity and reports, per cell: spikes per burst, HVA Ca2+ charge per spike and per um^2 of
membrane, the spike's half-width and peak HVA activation (w^2), the K+ currents that repolarise
it, the NMDA receptors' Ca2+ charge, and the peaks of nNOS-CaM, NO and active PKG.

Usage: python3 Benchmarks/granule_ca_budget.py [--set ID=VALUE ...]
  (KINAPSE names the binary, default .build/release/kinapse; --set is passed to both runs, e.g.
  --set cell_soma_ca_kappa=483 for a diagnostic buffer.) Writes only to a temporary directory.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD_COMMIT = "977e89a^"   # the last commit with the D'Angelo et al. 2001 granule cell
F = 96485.33212           # C/mol
DT = 5e-5                 # s: output spacing; the spikes last ~0.3-0.6 ms

PROTOCOL = """description = "one train of mapelli_tbs_current_clamp's induction (granule_ca_budget.py)"
[baseline]
duration = 2
test_interval = 1
paired_pulse_interval = 0.05
[[induction]]
stimulus = "current_clamp"
pattern = "step"
duration = 4
[[induction]]
stimulus = "excitatory_afferent"
pattern = "theta_burst"
start = 1
pulses_per_burst = 4
intra_burst_rate = 100
burst_rate = 5
bursts_per_train = 10
trains = 1
train_interval = 10
[follow_up]
duration = 2
analysis_window = [1, 2]
"""


def constant(text, name):
    """The number assigned to `name` in an Antimony file (first match)."""
    m = re.search(r"(?<![\w.])" + re.escape(name) + r"\s*=\s*([-+0-9.eE]+)", text)
    if not m:
        raise SystemExit(f"{name} not found")
    return float(m.group(1))


def cell_constants(pathways, extra):
    cell = open(os.path.join(pathways, "cells", "cerebellar_granule.ant")).read()
    rig = open(os.path.join(pathways, "synapses", "golgi_granule.ant")).read()
    comp = open(os.path.join(pathways, "cells", "components.ant")).read()
    c = {k: constant(cell, k) for k in ("area", "gCa", "ECa", "gKV", "gKA", "gKCa", "EK")}
    c["vol"] = constant(cell, "soma.vol_shell")
    c["k_ext"] = constant(cell, "soma.ca.k_ext")
    c["kappa"] = constant(cell, "soma.ca.kappa")
    c["g_nmda"] = constant(rig, "cell.soma.nmda.g_max")
    c["f_Ca"] = constant(comp, "f_Ca")
    for arg in extra:                      # a --set of the shell's constants applies to the budget too
        key, _, value = arg.partition("=")
        if key in ("cell_soma_ca_kappa", "cell_soma_ca_k_ext"):
            c[key.rsplit("_", 1)[-1] if key.endswith("kappa") else "k_ext"] = float(value)
    return c


def run(pathways, workdir, extra):
    kinapse = os.environ.get("KINAPSE", os.path.join(ROOT, ".build", "release", "kinapse"))
    protocol = os.path.join(workdir, "train.toml")
    open(protocol, "w").write(PROTOCOL)
    out = os.path.join(workdir, "run.csv")
    cmd = [kinapse, "simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", protocol,
           "--native-code", "--dt", str(DT), "--out", out] + extra
    subprocess.run(cmd, cwd=os.path.dirname(pathways), check=True, stdout=subprocess.DEVNULL)
    cols = ["time", "cell_V", "cell_Ca", "cell_ch_u", "cell_ch_w", "cell_ch_n", "cell_ch_a", "cell_ch_b",
            "cell_ch_c", "cell_soma_nmda_r", "NOS_nNOS_CaM", "NOS_NO", "NOS_PKG_active"]
    header = open(out).readline().strip().split(",")
    data = np.loadtxt(out, delimiter=",", skiprows=1, usecols=[header.index(k) for k in cols])
    os.remove(out)
    return {k: data[:, i] for i, k in enumerate(cols)}


def budget(label, d, c):
    t, V, Ca = d["time"], d["cell_V"], d["cell_Ca"]
    i_hva = 0.01 * c["area"] * c["gCa"] * d["cell_ch_w"] ** 2 * d["cell_ch_u"] * (V - c["ECa"])   # pA
    block = 1 / (1 + np.exp(-0.062 * V) / 3.57)                                                      # Jahr & Stevens, 1 mM Mg2+
    i_nmda_ca = c["f_Ca"] * c["g_nmda"] * d["cell_soma_nmda_r"] * block * V                          # pA
    start = t[np.argmax((t > 2.5) & (V > -45))] - 0.002        # first depolarisation of the train
    pre = (t > start - 0.45) & (t < start - 0.05)
    win = (t >= start - 0.01) & (t <= start + 3.9)   # the train and 1.9 s for the Ca2+ to return to rest
    tw = t[win]
    q_hva = np.trapezoid(i_hva[win], tw) - i_hva[pre].mean() * (tw[-1] - tw[0])      # pC above the resting window current
    q_nmda = np.trapezoid(i_nmda_ca[win], tw)
    integral = np.trapezoid(Ca[win] - Ca[pre].mean(), tw)
    predicted = -(q_hva + q_nmda) * 1e-12 / (2 * F * c["vol"] * 1e-15) * 1e6 / c["k_ext"]
    up = np.where((V[:-1] < -20) & (V[1:] >= -20))[0]
    up = up[(t[up] > start - 0.001) & (t[up] < start + 2.2)]
    bursts = [start + 0.2 * k for k in range(10)]
    per_burst = [int(np.sum((t[up] >= b) & (t[up] < b + 0.2))) for b in bursts]
    q_spike, width, w2, shares = [], [], [], []
    for i in up:
        s = (t >= t[i] - 0.0015) & (t <= t[i] + 0.004)
        q_spike.append(np.trapezoid(i_hva[s], t[s]))
        peak = np.argmax(np.where(s, V, -1e9))
        width.append(np.sum(V[s] > (V[peak] - 60) / 2) * DT * 1e3)      # ms above half-amplitude from -60 mV
        w2.append(d["cell_ch_w"][s].max() ** 2)
        below = V[peak:peak + 200] < -40
        if not below.any():                 # no repolarisation within 10 ms (a plateau)
            continue
        r = slice(peak, peak + np.argmax(below))
        drive = V[r] - c["EK"]
        kv = np.trapezoid(c["gKV"] * d["cell_ch_n"][r] ** 4 * drive, t[r])
        ka = np.trapezoid(c["gKA"] * d["cell_ch_a"][r] ** 3 * d["cell_ch_b"][r] * drive, t[r])
        kca = np.trapezoid(c["gKCa"] * d["cell_ch_c"][r] * drive, t[r])
        shares.append(kca / (kv + ka + kca))
    burst0 = (t > t[up[0]] + 0.001) & (t < start + 0.04)
    print(f"== {label}: area {c['area']} um^2, shell {c['vol']} um^3, kappa {c['kappa']:g}, k_ext {c['k_ext']:g} /s, gKCa {c['gKCa']:g} mS/cm^2")
    print(f"  spikes {len(up)}; per burst {per_burst}")
    print(f"  HVA Ca2+ charge {-q_hva:.3f} pC ({-np.mean(q_spike):.4f} pC per spike, {-np.mean(q_spike) / c['area'] * 1e6:.1f} fC per 1000 um^2)")
    print(f"  spike half-width {np.mean(width):.3f} ms, peak w^2 {np.mean(w2):.3f}, mean V in the first burst's gaps {V[burst0].mean():.1f} mV")
    share = f"{np.mean(shares):.2f}" if shares else "n/a"
    print(f"  K(Ca) share of the K+ charge repolarising each spike (peak to -40 mV): {share} ({len(shares)} spikes that repolarise within 10 ms)")
    print(f"  NMDA Ca2+ charge {-q_nmda:.3f} pC; HVA share of the Ca2+ {q_hva / (q_hva + q_nmda):.3f}")
    print(f"  integral of shell Ca2+ above rest {integral:.4f} uM*s; charge/(2 F vol k_ext) {predicted:.4f}")
    after = t >= start - 0.01    # the pathway outlasts the train
    print(f"  peak Ca2+ {Ca[win].max():.3f} uM; peaks from the train on: nNOS-CaM {d['NOS_nNOS_CaM'][after].max():.3g}, NO {d['NOS_NO'][after].max():.3g}, active PKG {d['NOS_PKG_active'][after].max():.3g} uM")
    return integral


def main():
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label in ("present cell", "2001 cell"):
            tree = os.path.join(tmp, label.split()[0])
            shutil.copytree(os.path.join(ROOT, "Pathways"), os.path.join(tree, "Pathways"))
            if label == "2001 cell":
                for f in ("cells/cerebellar_granule.ant", "synapses/golgi_granule.ant"):
                    text = subprocess.run(["git", "show", f"{OLD_COMMIT}:Pathways/{f}"], cwd=ROOT, check=True,
                                          capture_output=True, text=True).stdout
                    open(os.path.join(tree, "Pathways", f), "w").write(text)
            pathways = os.path.join(tree, "Pathways")
            results[label] = budget(label, run(pathways, tree, extra), cell_constants(pathways, extra))
        print(f"ratio of the integrals, 2001 cell / present cell: {results['2001 cell'] / results['present cell']:.2f}")


if __name__ == "__main__":
    main()
