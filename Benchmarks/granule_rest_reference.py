#!/usr/bin/env python3
"""Resting potential of the D'Angelo et al. 2001 granule cell, computed independently of Kinapse.

The constants are those of the model's own mechanism files as distributed on ModelDB (accession
46839: grc.hoc, grc_lkg1.mod, Grc_lkg2.mod, grc_kir.mod, grg_km.mod, Grg_kv.mod, grc_ka.mod,
Grc_kca.mod, grc_ca.mod, grg_na.mod, grg_nar.mod, grc_pna.mod; 30 C, ena 87.39, ek -84.69,
eca 129.33 mV). At rest every gate sits at its steady state, so the resting potential is the root
of the summed steady-state current; no integration is involved. The reference value asserted by
`CellPhysiologyTests.granuleCellRestsAndFiresRepetitively` is the root at the Ca2+ the Kinapse
cell's shell rests at (41.07 nM; the source's pool rests at 100 nM, which moves the root by 4 uV).

Also printed: each current at rest, and the rest with one conductance removed or with a seal leak
in parallel, the numbers of the granule section of Benchmarks/RESULTS.md.

Usage: python3 Benchmarks/granule_rest_reference.py
"""
import math

from scipy.optimize import brentq

CELSIUS = 30.0
E_NA, E_K, E_CA = 87.39, -84.69, 129.33      # mV, grc.hoc
AREA_CM2 = math.pi * 9.76 * 9.76 * 1e-8       # soma 9.76 x 9.76 um, grc.hoc
Q20 = 3 ** ((CELSIUS - 20) / 10)              # the Q10 = 3 factor of the channels written at 20 C


def linoid(x, y):
    """x/(exp(x/y) - 1) with its limit at x = 0, as in the mod files."""
    return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)


def steady_state(alpha, beta):
    return alpha / (alpha + beta)


def currents(v, cai=1e-4, g_lkg1=5.68e-5, e_lkg1=-58.0, g_lkg2=2.17e-5, e_lkg2=-65.0, g_kir=9e-4):
    """Steady-state currents at v (mV), in mA/cm2; cai in mM. Conductances in S/cm2."""
    m = steady_state(Q20 * -0.3 * linoid(v + 19, -10), Q20 * 12 * math.exp((v + 44) / -18.182))
    h = steady_state(Q20 * 0.105 * math.exp((v + 44) / -3.333), Q20 * 1.5 / (1 + math.exp((v + 11) / -5)))
    s = steady_state(Q20 * (0.00008 - 0.00493 * linoid(v - 4.48754, -6.81881)),
                     Q20 * (0.04752 + 0.01558 * linoid(v + 43.97494, 0.10818)))
    f = steady_state(Q20 * 0.31836 * math.exp((v + 80) / -62.52621), Q20 * 0.01014 * math.exp((v + 83.3332) / 16.05379))
    p = 1 / (1 + math.exp(-(v + 42) / 5))
    q_kv = 3 ** ((CELSIUS - 6.3) / 10)
    n = steady_state(q_kv * -0.01 * linoid(v + 25, -10), q_kv * 0.125 * math.exp((v + 35) / -80))
    a = 1 / (1 + math.exp((v + 46.7) / -19.8))
    b = 1 / (1 + math.exp((v + 78.8) / 8.4))
    d = steady_state(Q20 * 0.13289 * math.exp((v + 83.94) / -24.3902), Q20 * 0.16994 * math.exp((v + 83.94) / 35.714))
    z = 1 / (1 + math.exp(-(v + 30) / 6))
    c = steady_state(2.5 / (1 + 1.5e-3 * math.exp(v / -11.765) / cai), 1.5 / (1 + cai / (0.15e-3 * math.exp(v / -11.765))))
    s_ca = steady_state(Q20 * 0.04944 * math.exp((v + 29.06) / 15.87301587302), Q20 * 0.08298 * math.exp((v + 18.66) / -25.641))
    u_ca = steady_state(Q20 * 0.0013 * math.exp((v + 48) / -18.183), Q20 * 0.0013 * math.exp((v + 48) / 83.33))
    return {
        "Na": 0.013 * m**3 * h * (v - E_NA), "NaR": 0.0005 * s * f * (v - E_NA), "NaP": 2e-5 * p * (v - E_NA),
        "KV": 0.003 * n**4 * (v - E_K), "KA": 0.004 * a**3 * b * (v - E_K), "Kir": g_kir * d * (v - E_K),
        "KM": 0.00035 * z * (v - E_K), "KCa": 0.004 * c * (v - E_K), "CaHVA": 0.00046 * s_ca**2 * u_ca * (v - E_CA),
        "Lkg1": g_lkg1 * (v - e_lkg1), "Lkg2": g_lkg2 * (v - e_lkg2),
    }


def rest(seal_gohm=None, **constants):
    """The resting potential (mV); a seal of seal_gohm reversing at 0 mV in parallel if given."""
    g_seal = 0.0 if seal_gohm is None else 1e-9 / seal_gohm / AREA_CM2   # S/cm2
    return brentq(lambda v: sum(currents(v, **constants).values()) + g_seal * v, -100.0, -40.0, xtol=1e-12)


def main():
    reference = rest(cai=4.10707e-5)
    print(f"rest at the Kinapse cell's resting Ca2+ (41.07 nM): {reference:.4f} mV  <- asserted")
    print(f"rest at the source's 100 nM: {rest():.4f} mV")
    print("currents at rest (pA; outward positive):")
    for name, density in currents(reference, cai=4.10707e-5).items():
        print(f"  {name:6s} {density * AREA_CM2 * 1e9:9.4f}")
    slope = (sum(currents(reference + 0.01).values()) - sum(currents(reference - 0.01).values())) / 0.02
    print(f"steady-state slope resistance at rest: {1e-6 / (slope * AREA_CM2):.0f} MOhm")
    print(f"without the tonic GABA-A leak (bicuculline): {rest(g_lkg2=0):.2f} mV")
    print(f"without Kir: {rest(g_kir=0):.2f} mV")
    print(f"Lkg1 reversal -16.5 mV (the later network-model files): {rest(e_lkg1=-16.5):.2f} mV")
    for seal in (20, 10):
        print(f"a {seal}-GOhm seal reversing at 0 mV in parallel: {rest(seal_gohm=seal):.2f} mV")


if __name__ == "__main__":
    main()
