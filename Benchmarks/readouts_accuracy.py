#!/usr/bin/env python3
"""Per-sweep accuracy of `kinapse readouts` at SNR 10 (issue: recorded electrophysiology in).

Generates the `accuracy` recording (2,000 sweeps of 0.5 s at 10 kHz, first amplitude 100 pA,
noise SD 10 pA, PPR 0.7, every fourth first response failing; SyntheticRecording.Spec.accuracy)
and runs each given kinapse on it, then prints, over the 1,500 responses that did not fail,
the relative error of the first amplitude (mean, SD, fraction within 2 %, largest), the SD
of the PPR error, the largest 9-sweep-mean PPR error, and the failures missed (of 500) and
found where there were none. The Cramér-Rao bound of one sweep's amplitude is 0.862 % of A at SNR 10
(Tests/RecordingsTests/ReadoutAnalysisTests.swift derives it), so at best a fraction
2*Phi(2/0.862) - 1 = 0.979 is within 2 %.

    python3 Benchmarks/readouts_accuracy.py .build/release \
        "after=.build/release/kinapse" "whole sweep=.build/release/kinapse --baseline-window 200ms" \
        "before=/path/to/old/kinapse"
"""
import csv, math, os, subprocess, sys

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    bin_dir, runs = sys.argv[1], sys.argv[2:]
    work = ".build-bench/readouts"
    os.makedirs(work, exist_ok=True)
    recording = os.path.join(work, "accuracy.abf")
    if not os.path.exists(recording):
        subprocess.run([os.path.join(bin_dir, "kinapse-synth-recording"), "accuracy", "abf2", recording], check=True)
    bound = 0.00862
    best = math.erf(0.02 / bound / math.sqrt(2))
    print(f"bound: SE {100 * bound:.3f} % of A; at best {best:.4f} within 2 %")
    print(f"{'run':<14} {'mean %':>8} {'SD %':>7} {'SD/bound':>8} {'within 2 %':>10} {'max |err| %':>11} "
          f"{'PPR SD':>7} {'max 9-mean PPR':>14} {'missed/false failures':>22}")
    for run in runs:
        label, command = run.split("=", 1)
        sweeps = os.path.join(work, "accuracy_sweeps.csv")
        kinapse, *options = command.split()
        subprocess.run([kinapse, "readouts", recording, "--stim-times", "0.2,0.25", "--baseline-minutes", "10",
                        "--out", os.path.join(work, "accuracy_readouts.csv"), "--sweeps", sweeps, "--force"] + options,
                       check=True, stdout=subprocess.DEVNULL)
        with open(sweeps) as f:
            rows = list(csv.DictReader(f))
        errors, ppr_errors, missed, false_failures = [], [], 0, 0
        for k, row in enumerate(rows):
            failed = k % 4 == 1
            missed += failed and row["failure1"] != "1"
            false_failures += not failed and row["failure1"] == "1"
            if not failed:
                errors.append(float(row["amplitude1_pA"]) / 100 - 1)
                if row["ppr"]:
                    ppr_errors.append(float(row["ppr"]) - 0.7)
        n = len(errors)
        mean = sum(errors) / n
        sd = math.sqrt(sum((e - mean) ** 2 for e in errors) / (n - 1))
        within = sum(abs(e) < 0.02 for e in errors) / n
        ppr_sd = math.sqrt(sum(e * e for e in ppr_errors) / len(ppr_errors))
        ppr_means = [abs(sum(ppr_errors[i:i + 9]) / 9) for i in range(0, len(ppr_errors) - 8, 9)]
        print(f"{label:<14} {100 * mean:>8.3f} {100 * sd:>7.3f} {sd / bound:>8.3f} {within:>10.4f} "
              f"{100 * max(map(abs, errors)):>11.2f} {ppr_sd:>7.4f} {max(ppr_means):>14.4f} {f'{missed}/{false_failures}':>22}")

main()
