#!/usr/bin/env python3
"""Steady states of Zhabotinsky's CaMKII/PP1 switch (Pathways/camkii_pp1_switch.ant) when its
fraction of Ca2+/CaM-bound subunits F comes from the calmodulin decoder (Pathways/calmodulin.ant)
at binding equilibrium instead of the Hill function (Ca/4 uM)^4, for several PP1 totals.

At a fixed Ca2+ the scheme's steady states follow from one scalar equation: phospho-inhibitor-1
settles at nu_PKA*I0/(nu_CaN*f_CaN), which fixes free PP1; for a trial number of phosphorylated
subunits P_A the holoenzyme distribution is that of a birth-death chain (up: autophosphorylation,
down: PP1 at k2*PP1/(K_M + P_A) per phosphate), and a steady state is a P_A that the chain gives
back. Prints, per PP1 total, the Ca2+ range (uM) with three steady states (DOWN, saddle, UP).

Usage: python3 Benchmarks/camkii_switch_decoded_range.py [Ca_uM PP1_total_uM]
  with arguments: the steady-state fractions of phosphorylated subunits at that Ca2+.
"""
import sys
import numpy as np
from scipy.optimize import brentq

# Zhabotinsky 2000 as in camkii_pp1_switch.ant (uM, s).
K1, K2, KM, K3, K4, NU_PKA, I0, NU_CAN, H_TOTAL, K_H2 = 0.5, 2, 0.4, 1, 1e-3, 1, 0.1, 1, 20, 0.7
W = [None, 1, 16/9, 7/3, 284/105, 25/9, 284/105, 7/3, 16/9, 1]
# calmodulin.ant: macroscopic lobe constants (uM), Ca4/CaM-CaMKII and -calcineurin Kd (uM), totals.
KC1, KC2, KN1, KN2 = 50/5, 10/10, 2000/100, 500/200
KD_CAMKII, KD_CAN, CAM_TOTAL, CAMKII_TOTAL = 1.5/30, 1/600, 10, 10


def decoded(ca, can_total=0.0):
    """Fraction of CaMKII subunits with Ca4/CaM, and of calcineurin, at binding equilibrium."""
    z_c = 1 + ca/KC1 + ca**2/(KC1*KC2)
    z_n = 1 + ca/KN1 + ca**2/(KN1*KN2)
    full = (ca**2/(KC1*KC2))*(ca**2/(KN1*KN2))/(z_c*z_n)   # share of free CaM that is Ca4/CaM

    def excess(cam_free):
        n = cam_free*full
        return cam_free + CAMKII_TOTAL*n/(KD_CAMKII + n) + can_total*n/(KD_CAN + n) - CAM_TOTAL
    n = brentq(excess, 0, CAM_TOTAL)*full
    return n/(KD_CAMKII + n), (n/(KD_CAN + n) if can_total > 0 else None)


def steady_states(f, f_can, pp1_total):
    """Fractions of phosphorylated subunits at the scheme's steady states."""
    i1p = NU_PKA*I0/(NU_CAN*f_can)
    pp1 = pp1_total*K4/(K4 + K3*i1p)

    def returned(p_a):
        r = K2*pp1/(KM + p_a)
        h = [1.0, 10*K1*f**2/r]
        for j in range(1, 10):
            h.append(h[j]*K1*f*W[j]/((j + 1)*r))
        h = np.array(h)/sum(h)*H_TOTAL
        return float(np.dot(np.arange(11), h)) - p_a
    grid = np.logspace(-14, np.log10(10*H_TOTAL), 4000)
    g = [returned(x) for x in grid]
    roots = [brentq(returned, grid[i], grid[i + 1]) for i in range(len(grid) - 1) if g[i]*g[i + 1] < 0]
    return [x/(10*H_TOTAL) for x in roots]


def hill_can(ca):
    return (ca/K_H2)**3/(1 + (ca/K_H2)**3)


if len(sys.argv) == 3:
    ca, pp1_total = float(sys.argv[1]), float(sys.argv[2])
    f, _ = decoded(ca)
    print(f"Ca {ca} uM: F {f:.4g}, steady-state phosphorylated fractions {steady_states(f, hill_can(ca), pp1_total)}")
    sys.exit()
cas = np.round(np.arange(0.005, 0.8, 0.005), 4)
for pp1_total in [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]:
    for label, can in [("Hill calcineurin", 0.0), ("decoded calcineurin (1 uM)", 1.0)]:
        bistable = []
        for ca in cas:
            f, f_can = decoded(ca, can)
            if len(steady_states(f, f_can if can else hill_can(ca), pp1_total)) == 3:
                bistable.append(ca)
        span = f"{min(bistable)}-{max(bistable)} uM" if bistable else "none"
        print(f"PP1 {pp1_total} uM, {label}: bistable {span}")
