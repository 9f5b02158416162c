#!/usr/bin/env python3
"""Writes the dendrite-chain benchmark model: N compartments in a row, each holding an
11-species Ca2+ -> CaM -> nNOS -> NO -> sGC -> cGMP -> PKG network, with Ca2+ and NO
diffusing between neighbours and a theta-burst train on every tenth compartment.

The per-compartment network is a reduced form of Pathways/no_cgmp_pkg.ant (same rate
laws and parameter values where a step is kept; see that file for every source):
  - sGC activation is one step (NO binding to the haem gives the active enzyme; the
    6-coordinate intermediate of the full pathway is left out);
  - PKG binds one cGMP to become active (one site instead of two);
  - PDE5 is not phosphorylated (constant PDE5, no feedback).
Species per compartment i: Ca_i CaM_i Ca4CaM_i nNOS_i nNOS_CaM_i NO_i sGC_i sGCa_i
cGMP_i PKG_i PKGa_i (11). Compartments c0..c{N-1} have volume 1 (a ~2 um dendritic
section, lumped), so a diffusion flux between neighbours is k_D*(X_i - X_{i+1}).

Stimulus: one theta-burst train at t = 1 s (10 bursts at 5 Hz, 4 pulses at 100 Hz,
40 pulses, last at 2.83 s); each pulse raises Ca in every compartment whose index is
a multiple of 10 by dCa. One event per pulse (40 events, whatever N).

Simulate 0-20 s. N = 1000 gives 11,000 species and a file of about 1.4 MB.

Usage: python3 Benchmarks/make_dendrite_chain.py N OUT.ant   (stdlib only)
The C baseline Benchmarks/c-baseline/dendrite_chain.c integrates the same equations;
keep the two in step (Benchmarks/run.sh compares their trajectories).
"""
import sys

SPECIES = ["Ca", "CaM", "Ca4CaM", "nNOS", "nNOS_CaM", "NO", "sGC", "sGCa", "cGMP", "PKG", "PKGa"]

# Resting steady state of one unstimulated compartment (Ca = Ca_rest), computed by
# simulating N = 1 without stimulus to t = 3000 s and rounding to 6 significant digits.
REST = {
    "Ca": 0.05, "CaM": 9.99994, "Ca4CaM": 6.24796e-05, "nNOS": 0.00999946,
    "nNOS_CaM": 5.41873e-07, "NO": 7.22497e-07, "sGC": 0.00999864, "sGCa": 1.36670e-06,
    "cGMP": 0.00173628, "PKG": 0.181466, "PKGa": 0.0185339,
}

PARAMETERS = """\
  // ---- parameters (values and sources as in Pathways/no_cgmp_pkg.ant unless marked) ----
  Ca_rest = 0.05;        // assumption: resting free Ca2+ ~50 nM
  k_Ca_ext = 20;         // assumption: ~50 ms decay of dendritic Ca2+ transients
  dCa = 0.5;             // assumption: free Ca2+ step per stimulus pulse
  kon_CaM = 100;         // assumption: lumped 4-Ca2+ binding, K = 1 uM
  koff_CaM = 100;        // assumption: fast-lobe Ca2+ release within ~10 ms
  kf_nNOS = 3.25;        // [Hayashi99] Ca4CaM-nNOS association, 1/(uM*s)
  kb_nNOS = 0.05;        // [Hayashi99] Ca4CaM-nNOS dissociation, 1/s
  k_nNOS_apo = 3.7;      // [Wu11] CaM-nNOS dissociation after Ca2+ removal, 1/s
  K_nNOS_Ca = 0.3;       // assumption: nNOS-bound CaM half-loaded at ~0.3 uM Ca2+
  kcat_NOS = 1;          // assumption: NO release of order 1/s per active nNOS
  k_NO_loss = 0.75;      // [ARS11] NO consumption, 1/s
  kon_sGC = 700;         // [BIOMD198] NO binding to sGC haem, 1/(uM*s)
  k_deact_sGC = 3.7;     // [BG01] sGC deactivation in intact cells, 1/s
  kcat_sGC_act = 30;     // assumption: NO-stimulated sGC turnover ~30/s
  kcat_sGC_basal = 0.1;  // [Ballou02] basal activity ~1/300 of activated
  gtp_sat = 0.8333333333333334;  // GTP/(Km_GTP + GTP) with GTP = 200 uM, Km_GTP = 40 uM (assumptions)
  Vmax_PDE = 1;          // assumption: PDE5 0.2 uM x kcat 5/s
  Km_PDE5 = 2;           // assumption: low-uM PDE5 Km for cGMP
  kon_PKG = 10;          // assumption: cGMP association ~1e7 1/(M*s)
  koff_PKG = 0.17;       // [PKGsites] site-1 Kd 17 nM: koff = Kd*kon
  kD_Ca = 5;             // assumption: buffered Ca2+ D ~20 um^2/s over 2 um sections: D/dx^2
  kD_NO = 825;           // assumption: NO D ~3300 um^2/s over 2 um sections: D/dx^2
"""

TRAIN_START_MS = 1000
BURSTS, BURST_PERIOD_MS = 10, 200
PULSES, PULSE_PERIOD_MS = 4, 10


def pulse_times():
    # Integer milliseconds divided once, so each time is the double nearest its decimal;
    # the C baseline computes the same expression.
    return [(TRAIN_START_MS + b * BURST_PERIOD_MS + k * PULSE_PERIOD_MS) / 1000
            for b in range(BURSTS) for k in range(PULSES)]


def compartment(i):
    s = {name: f"{name}_{i}" for name in SPECIES}
    c = f"c{i}"
    lines = [f"  // compartment {i}", f"  compartment {c} = 1;"]
    lines.append("  species " + ", ".join(f"{s[n]} in {c}" for n in SPECIES) + ";")
    lines += [
        f"  Jext_{i}: {s['Ca']} -> ; k_Ca_ext*({s['Ca']} - Ca_rest);",
        f"  JCaM_{i}: {s['CaM']} -> {s['Ca4CaM']}; kon_CaM*{s['CaM']}*{s['Ca']}^4 - koff_CaM*{s['Ca4CaM']};",
        f"  JnNOS_{i}: {s['nNOS']} + {s['Ca4CaM']} -> {s['nNOS_CaM']}; kf_nNOS*{s['nNOS']}*{s['Ca4CaM']} - kb_nNOS*{s['nNOS_CaM']};",
        f"  JnNOSoff_{i}: {s['nNOS_CaM']} -> {s['nNOS']} + {s['CaM']}; k_nNOS_apo*{s['nNOS_CaM']}*K_nNOS_Ca^4/(K_nNOS_Ca^4 + {s['Ca']}^4);",
        f"  JNOsyn_{i}: {s['nNOS_CaM']} -> {s['nNOS_CaM']} + {s['NO']}; kcat_NOS*{s['nNOS_CaM']};",
        f"  JNOloss_{i}: {s['NO']} -> ; k_NO_loss*{s['NO']};",
        f"  JsGCon_{i}: {s['sGC']} + {s['NO']} -> {s['sGCa']}; kon_sGC*{s['sGC']}*{s['NO']};",
        f"  JsGCoff_{i}: {s['sGCa']} -> {s['sGC']} + {s['NO']}; k_deact_sGC*{s['sGCa']};",
        f"  JcGMP_{i}: -> {s['cGMP']}; (kcat_sGC_basal*{s['sGC']} + kcat_sGC_act*{s['sGCa']})*gtp_sat;",
        f"  JPDE_{i}: {s['cGMP']} -> ; Vmax_PDE*{s['cGMP']}/(Km_PDE5 + {s['cGMP']});",
        f"  JPKG_{i}: {s['PKG']} + {s['cGMP']} -> {s['PKGa']}; kon_PKG*{s['PKG']}*{s['cGMP']} - koff_PKG*{s['PKGa']};",
    ]
    lines += [f"  {s[n]} = {REST[n]!r};" for n in SPECIES]
    return lines


def render(n):
    out = [
        f"// GENERATED by Benchmarks/make_dendrite_chain.py {n}: a chain of {n} dendritic",
        "// compartments, each an 11-species Ca/CaM/nNOS/NO/sGC/cGMP/PKG network (see the",
        "// script for how it reduces Pathways/no_cgmp_pkg.ant), Ca2+ and NO diffusing between",
        "// neighbours, a 40-pulse theta-burst train at t = 1 s on every tenth compartment.",
        "// Simulate 0-20 s.",
        "",
        f"model *dendrite_chain_{n}()",
    ]
    for i in range(n):
        out += compartment(i)
    if n > 1:
        out.append("  // ---- diffusion between neighbours ----")
        for i in range(n - 1):
            out.append(f"  DCa_{i}: Ca_{i} -> Ca_{i + 1}; kD_Ca*(Ca_{i} - Ca_{i + 1});")
            out.append(f"  DNO_{i}: NO_{i} -> NO_{i + 1}; kD_NO*(NO_{i} - NO_{i + 1});")
    out.append("")
    out += PARAMETERS.splitlines()
    out.append("")
    out.append("  // ---- stimulus: one event per pulse, on compartments 0, 10, 20, ... ----")
    stimulated = range(0, n, 10)
    for k, t in enumerate(pulse_times(), start=1):
        assignments = ", ".join(f"Ca_{i} = Ca_{i} + dCa" for i in stimulated)
        out.append(f"  P{k}: at (time >= {t!r}): {assignments};")
    out.append("end")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: make_dendrite_chain.py N OUT.ant   (N >= 1 compartments)")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(render(int(sys.argv[1])))


if __name__ == "__main__":
    main()
