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
    firing       the tetanus in current clamp without the -100 pA, so the neuron fires (through each
                 train and at its tonic rate after it: no rebound burst), with FK506 or pipette BAPTA
    polarity     the neuron's spontaneous firing alone (current clamp, no injected current, no trains)
                 for 5 s to 4 min; the shipped aizenman_ipsp_trains (short trains, the neuron free to
                 fire) with FK506 or pipette BAPTA, and the same trains held silent by -100 pA; each
                 again without gabaa_trafficking.ant's J_geph_CaN (k_geph_CaN = 0); and the spikes
                 around three such trains in each state (a short run written every 0.2 ms)

Each run takes about 7 s of CPU; the whole scan about 4 min of CPU. See Benchmarks/RESULTS.md, "Deep
cerebellar nuclei with fresh eyes", and Pathways/README.md (dcn_neuron).

    python3 Benchmarks/dcn_rows_scan.py [all|background|conductance|holding|firing|polarity] [KINAPSE]
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


def run(label, synapse, protocol, extra, scratch, induction=INDUCTION):
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

    # The rig's calcineurin and CaMKII are calmodulin.ant's decoder (dec_*), no longer calcineurin_pka.ant's
    # and gabaa_trafficking.ant's own (Benchmarks/RESULTS.md, "The DCN decoder").
    kinase = [float(r["dec_K_CaM"]) + float(r["dec_P_CaM"]) + float(r["dec_P"]) for r in rows
              if induction[0] <= float(r["time"]) < induction[1]]
    # The rows are 0.01 s apart, so the integral is a sum of the Hill term times 0.01 s.
    drive = sum(c ** N_GEPH_CAN / (K_GEPH_CAN ** N_GEPH_CAN + c ** N_GEPH_CAN)
                for c in values("dec_CaN_CaM", induction[0], induction[1] + 60)) * 0.01
    print(f"| {label} | {change} % | {1000 * mean('cell_soma_Ca', 0, induction[0]):.1f} | "
          f"{mean('dec_CaN_CaM', 0, induction[0]):.3f} | {max(values('cell_soma_Ca', *induction)):.3f} | "
          f"{max(values('dec_CaN_CaM', *induction)):.3f} | {max(kinase):.3f} | {drive:.2f} |", flush=True)


def step_protocol(duration, held, trains):
    """A protocol with the rig's 10-min baseline and 30-min follow-up around a current-clamp step of
    `duration` s, with the -100 pA if `held`, and `trains` = (pulses, repeats) of the Purkinje afferent
    at 100 Hz, 20 s apart, from 1 s into the step (None: no trains)."""
    text = ('description = "diagnostic: a current-clamp step"\n[baseline]\nduration = 600\ntest_interval = 10\n'
            'paired_pulse_interval = 0.05\n'
            f'[[induction]]\nstimulus = "current_clamp"\npattern = "step"\nduration = {duration}\n')
    if held:
        text += f'[[induction]]\nstimulus = "holding_current"\npattern = "step"\nduration = {duration}\n'
    if trains:
        text += ('[[induction]]\nstimulus = "inhibitory_afferent"\npattern = "train"\nstart = 1\nrate = 100\n'
                 f'count = {trains[0]}\nrepeats = {trains[1]}\nrepeat_interval = 20\n')
    return text + "[follow_up]\nduration = 1800\nanalysis_window = [1200, 1800]\n"


def spikes(label, held, scratch):
    """Spikes (upward crossings of 0 mV) around three 0.1-s trains at 100 Hz, 20 s apart, in a 62-s
    current-clamp step after a 20-s baseline, written every 0.2 ms."""
    proto = os.path.join(scratch, "spikes.toml")
    text = step_protocol(62, held, (10, 3)).replace("duration = 600", "duration = 20", 1)
    with open(proto, "w") as handle:
        handle.write(text.replace("duration = 1800\nanalysis_window = [1200, 1800]", "duration = 20\nanalysis_window = [10, 20]"))
    out = os.path.join(scratch, "spikes.csv")
    subprocess.run([KINAPSE, "simulate", SYNAPSE, "--protocol", proto, "--native-code", "--out", out, "--dt", "0.0002"],
                   capture_output=True, text=True, check=True)
    times, previous = [], None
    with open(out) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        t_col, v_col = header.index("time"), header.index("cell_V")
        for row in reader:
            t, v = float(row[t_col]) - 20, float(row[v_col])
            if previous is not None and previous < 0 <= v and 0 <= t < 62:
                times.append(t)
            previous = v
    os.remove(out)

    def count(a, b):
        return sum(1 for t in times if a <= t < b)

    # Trains start 1, 21 and 41 s into the step and last 0.1 s.
    after = [count(s + 0.1, s + 0.6) for s in (1, 21, 41)]
    between = [count(s + 2.1, s + 20) / 17.9 for s in (1, 21)]
    print(f"| {label} | {count(0, 1)} | {after} | {', '.join(f'{r:.1f}' for r in between)} |", flush=True)


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
        if which in ("all", "polarity"):
            for duration in (5, 15, 30, 60, 240):
                proto = os.path.join(scratch, "step.toml")
                with open(proto, "w") as handle:
                    handle.write(step_protocol(duration, False, None))
                run(f"firing alone, {duration} s of current clamp", SYNAPSE, proto, [], scratch,
                    (INDUCTION[0], INDUCTION[0] + duration))
            for drug in ([], ["--block", "FK506"], ["--block", "BAPTA"]):
                run("aizenman_ipsp_trains" + (" + " + drug[1] if drug else ""), SYNAPSE, "aizenman_ipsp_trains", drug, scratch)
            held = os.path.join(scratch, "held.toml")
            with open(held, "w") as handle:
                handle.write(step_protocol(240, True, (10, 12)))
            for drug in ([], ["--block", "FK506"]):
                run("aizenman_ipsp_trains held by -100 pA" + (" + " + drug[1] if drug else ""), SYNAPSE, held, drug, scratch)
            # The same without gabaa_trafficking.ant's calcineurin-driven slot dispersal (a diagnostic).
            off = ["--set", "GA_k_geph_CaN=0"]
            step = os.path.join(scratch, "step.toml")
            with open(step, "w") as handle:
                handle.write(step_protocol(240, False, None))
            run("firing alone, 240 s, J_geph_CaN off", SYNAPSE, step, off, scratch)
            run("aizenman_ipsp_trains, J_geph_CaN off", SYNAPSE, "aizenman_ipsp_trains", off, scratch)
            run("aizenman_ipsp_trains held by -100 pA, J_geph_CaN off", SYNAPSE, held, off, scratch)
            run("morishita_tetanus, J_geph_CaN off", SYNAPSE, "morishita_tetanus", off, scratch)
            print("\n| spikes around 0.1-s trains | in the 1 s before the first | in the 0.5 s after each train "
                  "| rate between trains (Hz) |\n|---|---:|---|---|")
            spikes("free to fire", False, scratch)
            spikes("held by -100 pA", True, scratch)


if __name__ == "__main__":
    main()
