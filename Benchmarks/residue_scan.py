#!/usr/bin/env python3
"""Can Zhabotinsky's CaMKII/PP1 switch hold UP at rest and forget a sub-threshold residue?

Runs Pathways/camkii_pp1_switch.ant standalone through `kinapse simulate` (from the repository
root) with PP1 all free (k3 = 0) and the fraction F of subunits bearing Ca2+/CaM set by K_H1
(F keeps its fourth power of Ca2+). For each (F at 50 nM, PP1) it prints three verdicts at each
Ca2+: UP holds (from all phosphorylated, f_P >= 0.5 after 4 h and moving < 0.01 in the last
hour), DOWN holds (from none, f_P < 0.05 after 4 h), the residue is forgotten (from one
holoenzyme in twenty fully phosphorylated, f_P < 0.01 after 20 min). See Pathways/README.md,
"A store that holds UP at rest and forgets a residue", and ResidueForgettingTests.

    python3 Benchmarks/residue_scan.py grid      # F scales x PP1 at 40, 50, 80 nM
    python3 Benchmarks/residue_scan.py window    # the F window at fixed PP1 (50 nM)
"""
import subprocess
import sys

KINAPSE = "/work/main/.build/release/kinapse" if len(sys.argv) < 3 else sys.argv[2]
FILE = "Pathways/camkii_pp1_switch.ant"


def f_p(ca, f50, pp1, phosphorylated_holoenzymes, t_end, points):
    """sw_f_P at each output time, from `phosphorylated_holoenzymes` of 20 uM fully phosphorylated."""
    k_h1 = 0.05 / (f50 / (1 - f50)) ** 0.25
    args = [KINAPSE, "simulate", FILE, "--t-end", str(t_end), "--points", str(points), "--select", "sw_f_P",
            "--rtol", "1e-8", "--atol", "1e-12", "--set", f"Ca={ca}", "--set", f"sw_K_H1={k_h1}",
            "--set", "sw_k3=0", "--set", f"sw_PP1_total={pp1}", "--set", f"sw_PP1={pp1}", "--set", "sw_PP1_I1P=0"]
    for j in range(11):
        value = 20 - phosphorylated_holoenzymes if j == 0 else (phosphorylated_holoenzymes if j == 10 else 0)
        args += ["--set", f"sw_H{j}={value}"]
    rows = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().splitlines()[1:]
    return [float(row.split(",")[1]) for row in rows]


def verdict(ca, f50, pp1):
    up = f_p(ca, f50, pp1, 20, 4 * 3600, 5)
    down = f_p(ca, f50, pp1, 0, 4 * 3600, 2)
    residue = f_p(ca, f50, pp1, 1, 1200, 2)
    return (up[4] >= 0.5 and abs(up[4] - up[3]) < 0.01, down[1] < 0.05, residue[1] < 0.01), (up[4], down[1], residue[1])


def grid():
    for f50 in [2.48e-6, 1e-4, 1e-3, 3e-3, 1e-2]:
        for pp1 in [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]:
            line = f"F50 {f50:g} PP1 {pp1:g}"
            for ca in [0.04, 0.05, 0.08]:
                ok, (up, down, residue) = verdict(ca, f50, pp1)
                line += f" | {ca * 1000:.0f} nM {'pass' if all(ok) else 'fail'} UP {up:.4f} DOWN {down:.2e} residue {residue:.2e}"
            print(line, flush=True)


def window():
    for pp1 in [0.01, 0.03, 0.1, 0.3, 1.0]:
        passing = []
        f = 1e-3
        while f < 0.3:
            if all(verdict(0.05, f, pp1)[0]):
                passing.append(f)
            f *= 1.25
        span = f"F {min(passing):.3g} to {max(passing):.3g} ({max(passing) / min(passing):.2f}-fold)" if passing else "none"
        print(f"PP1 {pp1:g}: {span}", flush=True)


if __name__ == "__main__":
    {"grid": grid, "window": window}[sys.argv[1] if len(sys.argv) > 1 else "grid"]()
