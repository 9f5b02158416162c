#!/usr/bin/env python3
"""What decides rows 6 and 18 on the deep-cerebellar-nucleus rig (dcn_neuron)?

Runs Pathways/synapses/dcn_neuron.toml through `kinapse simulate` (from the repository root) with
variants of the shipped row-18 tetanus, and prints for each the change of the IPSC at 20-30 min,
the held neuron's resting Ca2+ and calcineurin, the peaks the induction reaches (shell Ca2+,
active calcineurin, Ca2+/CaM-bound plus autonomous CaMKII) and how long calcineurin drives
gabaa_trafficking.ant's slot dispersal (the integral of J_geph_CaN's Hill term, in s). The variants:

    background   the shell's background influx J_leak, which sets the held neuron's resting Ca2+
    conductance  the compound Purkinje-axon GABA-A conductance g0 (400 nS shipped, an assumption)
    holding      the test IPSCs at -72 mV instead of -60 mV (a temporary copy of the synapse file)
    firing       the tetanus in current clamp without the -100 pA, so the neuron fires and bursts
                 after each train (the condition of Aizenman, Manis & Linden 1998), with FK506 or
                 pipette BAPTA

Each run takes about 7 s of CPU; the whole scan about 4 min of CPU. See Benchmarks/RESULTS.md, "Deep
cerebellar nuclei with fresh eyes", and Pathways/README.md (dcn_neuron).

    python3 Benchmarks/dcn_rows_scan.py [all|background|conductance|holding|firing] [KINAPSE]
"""
import csv
import os
import subprocess
import sys
import tempfile

KINAPSE = sys.argv[2] if len(sys.argv) > 2 else "/work/main/.build/release/kinapse"
SYNAPSE = "Pathways/synapses/dcn_neuron.toml"
TETANUS = "Pathways/protocols/morishita_tetanus.toml"
INDUCTION = (600.0, 840.0)      # s from the start of the baseline: the tetanus's 4-min current-clamp step
WINDOW = (2040.0, 2640.0)       # s: 20-30 min after the induction
K_GEPH_CAN, N_GEPH_CAN = 0.3, 4  # gabaa_trafficking.ant's J_geph_CaN half-activation (uM) and Hill coefficient


def run(label, synapse, protocol, extra, scratch):
    out = os.path.join(scratch, "run.csv")
    args = [KINAPSE, "simulate", synapse, "--protocol", protocol, "--native-code", "--out", out, "--dt", "0.01"] + extra
    printed = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    change = next(line.split()[-2] for line in printed.splitlines() if line.startswith("IPSC amplitude"))
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    os.remove(out)

    def values(name, a, b):
        return [float(r[name]) for r in rows if a <= float(r["time"]) < b]

    def mean(name, a, b):
        v = values(name, a, b)
        return sum(v) / len(v)

    kinase = [float(r["GA_CaMKII_CaM"]) + float(r["GA_CaMKII_P"]) for r in rows
              if INDUCTION[0] <= float(r["time"]) < INDUCTION[1]]
    # The rows are 0.01 s apart, so the integral is a sum of the Hill term times 0.01 s.
    drive = sum(c ** N_GEPH_CAN / (K_GEPH_CAN ** N_GEPH_CAN + c ** N_GEPH_CAN)
                for c in values("CNP_CaN_active", INDUCTION[0], INDUCTION[1] + 60)) * 0.01
    print(f"| {label} | {change} % | {1000 * mean('cell_soma_Ca', 0, INDUCTION[0]):.1f} | "
          f"{mean('CNP_CaN_active', 0, INDUCTION[0]):.3f} | {max(values('cell_soma_Ca', *INDUCTION)):.3f} | "
          f"{max(values('CNP_CaN_active', *INDUCTION)):.3f} | {max(kinase):.3f} | {drive:.2f} |", flush=True)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    print("| run | dIPSC 20-30 min | rest Ca2+ (nM) | rest CaN (uM) | peak Ca2+ (uM) | peak CaN (uM) "
          "| peak CaMKII_CaM+P (uM) | J_geph_CaN drive (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        if which in ("all", "background"):
            for j_leak in (0, 1.5, 2.2, 2.71, 3.2, 4, 6):
                run(f"-60 mV, J_leak {j_leak} uM/s", SYNAPSE, "morishita_tetanus",
                    ["--set", f"cell_soma_ca_J_leak={j_leak}"], scratch)
        if which in ("all", "conductance"):
            for g0 in (200, 300, 600):
                run(f"-60 mV, g0 {g0} nS", SYNAPSE, "morishita_tetanus", ["--set", f"g0={g0}"], scratch)
        if which in ("all", "holding"):
            # The synapse file with the test IPSCs at -72 mV, its model named by absolute path.
            with open(SYNAPSE) as handle:
                text = handle.read()
            text = text.replace("holding_potential = -60 ", "holding_potential = -72 ", 1)
            text = text.replace('model = "dcn_neuron.ant"', f'model = "{os.path.abspath("Pathways/synapses/dcn_neuron.ant")}"', 1)
            held = os.path.join(scratch, "dcn_neuron_72.toml")
            with open(held, "w") as handle:
                handle.write(text)
            for j_leak in (2.71, 4.5):
                run(f"-72 mV, J_leak {j_leak} uM/s", held, "morishita_tetanus",
                    ["--set", f"cell_soma_ca_J_leak={j_leak}"], scratch)
        if which in ("all", "firing"):
            # The same tetanus without its holding-current step: the neuron fires in current clamp.
            with open(TETANUS) as handle:
                text = handle.read()
            start = text.index('[[induction]]\nstimulus = "holding_current"')
            end = text.index("[[induction]]", start + 1)
            firing = os.path.join(scratch, "tetanus_firing.toml")
            with open(firing, "w") as handle:
                handle.write(text[:start] + text[end:])
            for drug in ([], ["--block", "FK506"], ["--block", "BAPTA"]):
                run("firing" + (" + " + drug[1] if drug else ""), SYNAPSE, firing, drug, scratch)


if __name__ == "__main__":
    main()
