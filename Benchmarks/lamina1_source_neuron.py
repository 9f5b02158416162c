"""Prescott & De Koninck 2005's own lamina I cell (ModelDB 53569) in NEURON: the reference for
Pathways/cells/lamina1_tonic.ant. Answers whether the source's cell rests at zero current, and
what it does when its session's constant -7 pA holding current is replaced by the K+ conductance
that carries the same current at the session's v_init (the port's gKL).

Run from a directory holding the ModelDB 53569 files (*.mod, toniclamina1neuron.ses) after
`nrnivmodl` (NEURON from PyPI: `pip install neuron`):

    x86_64/special -nogui -python /path/to/Benchmarks/lamina1_source_neuron.py
"""
import numpy as np
from neuron import h

h.load_file("nrngui.hoc")
h.load_file("toniclamina1neuron.ses")   # geometry, densities, celsius, v_init and three IClamps
hold, pulse1, pulse2 = list(h.List("IClamp"))   # -7 pA from t = 0 for 1e9 ms; two 20-pA, 20-ms pulses
pulse1.amp = pulse2.amp = 0   # the cell alone

area = sum(seg.area() for sec in h.allsec() for seg in sec)   # um^2
print(f"membrane {area:.1f} um^2 in {len(list(h.allsec()))} sections; session holding current {hold.amp * 1000:.1f} pA")


def run(amp_pA, tstop=3000.0):
    """Soma voltage for a constant current from t = 0 (the session's own solver settings)."""
    hold.amp = amp_pA / 1000
    v = h.Vector().record(h.fus(0.5)._ref_v)
    t = h.Vector().record(h._ref_t)
    h.cvode_active(1)
    h.cvode.atol(1e-4)
    h.v_init = -62.65
    h.stdinit()
    h.continuerun(tstop)
    v, t = np.array(v), np.array(t)
    spikes = t[1:][(v[1:] > 0) & (v[:-1] <= 0)]
    return v[-1], spikes


for amp in (-7.0, 0.0):
    v_end, spikes = run(amp)
    print(f"as published, {amp:+.0f} pA: {len(spikes)} spikes in 3 s, V(3 s) {v_end:.2f} mV")

# The holding current as a resting K+ conductance: 7 pA at -62.65 mV against E_K = -77 mV,
# spread over the whole membrane (NEURON's pas in every section carries it: g and e combined).
g_pas, e_pas, e_k = 4.2e-5, -65.0, -77.0
g_kl = 7e-12 / ((-62.65 - e_k) * 1e-3) / (area * 1e-8)   # S/cm^2
for sec in h.allsec():
    sec.g_pas = g_pas + g_kl
    sec.e_pas = (g_pas * e_pas + g_kl * e_k) / (g_pas + g_kl)
print(f"gKL {g_kl * 1e3:.5f} mS/cm^2 ({g_kl * area * 1e-8 * 1e9:.3f} nS)")
rest, spikes = run(0.0)
print(f"with gKL, 0 pA: {len(spikes)} spikes in 3 s, rest {rest:.2f} mV, soma Ca2+ {h.fus(0.5).cai * 1e3:.3f} uM")
for step in (-1.0, -5.0, -10.0):
    v_end, _ = run(step)
    print(f"with gKL, {step:+.0f} pA: V(3 s) {v_end:.2f} mV, input resistance {(v_end - rest) / step * 1000:.0f} MOhm")
for amp in (5.0, 10.0, 20.0, 40.0):
    _, spikes = run(amp, 2000.0)
    print(f"with gKL, {amp:+.0f} pA: {len(spikes)} spikes in 2 s")
