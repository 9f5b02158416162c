#!/usr/bin/env python3
"""Resting potential of the Simoes de Souza & De Schutter 2011 granule cell, computed independently of Kinapse.

The cell is the single-compartment granule cell of Simoes de Souza & De Schutter 2011 Neural Syst
Circuits 1:7 (ModelDB 139656, granule_template.hoc: soma 11.8 x 11.8 um, 30 C), which carries the
channel set of Diwakar et al. 2009 J Neurophysiol 101:519 (ModelDB 116835). The constants are those
of its mechanism files (GRC_NA, GRC_KV, GRC_KA, GRC_KIR, GRC_KM, GRC_KCA, GRC_CA, GRC_LKG1,
GRC_LKG2) with the densities the template sets; ena 87.39, ek -84.69 mV, eca 129.33 mV (the Nernst
potential of the source's 100 nM pool, held fixed as in the Kinapse file). At rest every gate sits at
its steady state (the 13-state Na+ channel's by solving its rate matrix), so the resting potential is
a root of the summed steady-state currents; no integration is involved. The value asserted by
`CellPhysiologyTests.granuleCellRestsAndFiresRepetitively` is the root at the Ca2+ the Kinapse
cell's shell rests at (41.498 nM, its J_leak/k_ext plus the HVA window influx).

At 41 nM the current-voltage curve has three roots; the cell rests at the lowest (the upper ones lie
where the Na+ channel fires it). Also printed: each current at rest, the slope resistance, and the
rest without the tonic GABA-A leak or without Kir. NEURON 9.0.2 on the source files, with the same
resting Ca2+ and a fixed E_Ca, gives the same rest to 1e-5 mV (Benchmarks/RESULTS.md).

Usage: python3 Benchmarks/granule_rest_reference.py
"""
import math

import numpy as np
from scipy.optimize import brentq

CELSIUS = 30.0
E_NA, E_K, E_CA = 87.39, -84.69, 129.33        # mV, granule_template.hoc and the Nernst eca at 100 nM
AREA_CM2 = math.pi * 11.8 * 11.8 * 1e-8         # soma 11.8 x 11.8 um, granule_template.hoc
Q20 = 3 ** ((CELSIUS - 20) / 10)                # the Q10 = 3 factor of the channels written at 20 C
KINAPSE_CA_MM = 4.14984e-5                       # the Kinapse cell's resting shell Ca2+ (kinapse simulate ... --select cell_Ca)


def linoid(x, y):
    """x/(exp(x/y) - 1) with its limit at x = 0, as in the mod files."""
    return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)


def sigm(x, y):
    return 1 / (math.exp(x / y) + 1)


def steady_state(alpha, beta):
    return alpha / (alpha + beta)


def na_rate_matrix(v, celsius=CELSIUS):
    """Rate matrix (1/ms, rows: from; the diagonal makes rows sum to zero) of GRC_NA at v (mV), and its state names."""
    q10 = 3 ** ((celsius - 20) / 10)
    alpha, beta = q10 * 353.91 * math.exp(v / 13.99), q10 * 1.272 * math.exp(-v / 13.99)
    gamma, delta, epsilon, teta = q10 * 150, q10 * 40, q10 * 1.75, q10 * 0.0201 * math.exp(-v / 25)
    c_on, c_off, o_on, o_off = q10 * 0.005, q10 * 0.5, q10 * 0.75, q10 * 0.005
    a, b = (o_on / c_on) ** 0.25, (o_off / c_off) ** 0.25
    n1, n2, n3, n4 = 5.422, 3.279, 1.83, 0.738
    names = ["C1", "C2", "C3", "C4", "C5", "O", "OB", "I1", "I2", "I3", "I4", "I5", "I6"]
    index = {name: i for i, name in enumerate(names)}
    q = np.zeros((13, 13))

    def link(x, y, forward, backward):
        q[index[x], index[y]] += forward
        q[index[y], index[x]] += backward

    for k, (fw, bw) in enumerate([(n1, n4), (n2, n3), (n3, n2), (n4, n1)]):
        link(f"C{k + 1}", f"C{k + 2}", fw * alpha, bw * beta)
        link(f"I{k + 1}", f"I{k + 2}", fw * alpha * a, bw * beta * b)
    link("C5", "O", gamma, delta)
    link("O", "OB", epsilon, teta)
    link("I5", "I6", gamma, delta)
    for k in range(5):
        link(f"C{k + 1}", f"I{k + 1}", c_on * a**k, c_off * b**k)
    link("O", "I6", o_on, o_off)
    np.fill_diagonal(q, -q.sum(axis=1))
    return q, names


def na_steady_state(v, celsius=CELSIUS):
    """Occupancy of every GRC_NA state at steady state at v: the null vector of its rate matrix."""
    q, _ = na_rate_matrix(v, celsius)
    system = q.T.copy()
    system[-1, :] = 1
    rhs = np.zeros(13)
    rhs[-1] = 1
    return np.linalg.solve(system, rhs)


def na_open(v):
    """Open fraction of GRC_NA at steady state."""
    return na_steady_state(v)[5]


def currents(v, cai=1e-4, g_lkg2=3e-5, g_kir=9e-4):
    """Steady-state currents at v (mV), in mA/cm2; cai in mM. Conductances in S/cm2."""
    q_kv = 3 ** ((CELSIUS - 6.3) / 10)
    n = steady_state(q_kv * -0.01 * linoid(v + 25, -10), q_kv * 0.125 * math.exp((v + 35) / -80))
    a = 1 / (1 + math.exp((v + 38) / -17))
    b = 1 / (1 + math.exp((v + 78.8) / 8.4))
    d = steady_state(Q20 * 0.13289 * math.exp((v + 83.94) / -24.3902), Q20 * 0.16994 * math.exp((v + 83.94) / 35.714))
    z = 1 / (1 + math.exp(-(v + 35) / 6))
    c = steady_state(2.5 / (1 + 1.5e-3 * math.exp(v / -11.765) / cai), 1.5 / (1 + cai / (0.15e-3 * math.exp(v / -11.765))))
    s_ca = steady_state(Q20 * 0.04944 * math.exp((v + 29.06) / 15.87301587302), Q20 * 0.08298 * math.exp((v + 18.66) / -25.641))
    u_ca = steady_state(Q20 * 0.0013 * math.exp((v + 48) / -18.183), Q20 * 0.0013 * math.exp((v + 48) / 83.33))
    return {
        "Na": 0.013 * na_open(v) * (v - E_NA), "KV": 0.003 * n**4 * (v - E_K), "KA": 0.0032 * a**3 * b * (v - E_K),
        "Kir": g_kir * d * (v - E_K), "KM": 0.00025 * z * (v - E_K), "KCa": 0.04 * c * (v - E_K),
        "CaHVA": 0.00046 * s_ca**2 * u_ca * (v - E_CA), "Lkg1": 5.68e-5 * (v + 16.5), "Lkg2": g_lkg2 * (v + 65),
    }


def rest(**constants):
    """The lowest root of the summed steady-state currents (mV), found from a scan in 0.5-mV steps."""
    total = lambda v: sum(currents(v, **constants).values())
    grid = np.arange(-100.0, -20.0, 0.5)
    for low, high in zip(grid, grid[1:]):
        if total(low) * total(high) < 0:
            return brentq(total, low, high, xtol=1e-12)
    raise ValueError("no root between -100 and -20 mV")


def main():
    reference = rest(cai=KINAPSE_CA_MM)
    print(f"rest at the Kinapse cell's resting Ca2+ (41.50 nM): {reference:.4f} mV  <- asserted")
    print(f"rest at the source's 100 nM: {rest():.4f} mV")
    print("currents at rest (pA; outward positive):")
    for name, density in currents(reference, cai=KINAPSE_CA_MM).items():
        print(f"  {name:6s} {density * AREA_CM2 * 1e9:9.4f}")
    slope = (sum(currents(reference + 0.01, cai=KINAPSE_CA_MM).values())
             - sum(currents(reference - 0.01, cai=KINAPSE_CA_MM).values())) / 0.02
    print(f"steady-state slope resistance at rest: {1e-6 / (slope * AREA_CM2):.0f} MOhm")
    print(f"without the tonic GABA-A leak (bicuculline): {rest(cai=KINAPSE_CA_MM, g_lkg2=0):.2f} mV")
    print(f"without Kir: {rest(cai=KINAPSE_CA_MM, g_kir=0):.2f} mV")


if __name__ == "__main__":
    main()
