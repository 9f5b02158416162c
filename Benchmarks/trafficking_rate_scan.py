#!/usr/bin/env python3
"""What the 60-min persistence criterion asks of gabaa_trafficking.ant's slow rates (rows 7, 8, 12).

Runs the three rigs through `kinapse simulate` (from the repository root) with their protocols'
follow-up stretched to 60 min, the four slow trafficking rates (k_geph_in, k_geph_out, k_exo,
k_endo) scaled by one factor s, which keeps their two ratios and so the resting state, and prints
the change in IPSC at 20-30 and 50-60 min after induction (the windows of the table test's
persistence check) with their ratio. `kn62` prints row 7 under graded KN-62 instead. See
Pathways/README.md, "The slow trafficking rates against the 60-min criterion", and
Benchmarks/RESULTS.md.

    python3 Benchmarks/trafficking_rate_scan.py scan [KINAPSE]   # rows 8, 7, 12 at s = 0.1 ... 10
    python3 Benchmarks/trafficking_rate_scan.py kn62 [KINAPSE]   # row 7, KN-62 at 10 ... 300 uM
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

KINAPSE = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else ".build/release/kinapse")
ASSUMED = {"GA_k_geph_in": 1e-4, "GA_k_geph_out": 5e-4, "GA_k_exo": 5e-4, "GA_k_endo": 1e-3}   # 1/s, as shipped
# row: (synapse, protocol, the follow-up line to stretch, extra arguments)
ROWS = {
    8: ("purkinje_rp", "depolarisation", "duration = 2400", ["--block", "APV"]),
    7: ("prefrontal_sst", "chiu_nmda_bath", "duration = 1800", []),
    12: ("amygdala_la", "bauer_tetanus", "duration = 1800", []),
}


def sixty_minute_protocol(name, follow_up_line, directory):
    """A copy of the protocol whose follow-up lasts 3600 s (the only line changed)."""
    text = open(f"Pathways/protocols/{name}.toml").read()
    # The line may carry a comment after the value, which the copy keeps.
    stretched, found = re.subn(rf"(?m)^{re.escape(follow_up_line)}(?=\s|$)", "duration = 3600", text)
    assert found == 1, f"{name}: follow-up line '{follow_up_line}' not found once"
    path = os.path.join(directory, f"{name}_60min.toml")
    open(path, "w").write(stretched)
    return path


def persistence_windows(readouts):
    """Mean change in IPSC (%) at 20-30 and 50-60 min after induction, from a --readouts CSV."""
    rows = list(csv.DictReader(open(readouts)))

    def mean(a, b):
        values = [float(r["amplitude_percent_of_baseline"]) for r in rows
                  if r["phase"] != "baseline" and a <= float(r["minutes_after_induction"]) <= b]
        return sum(values) / len(values) - 100

    return mean(20, 30), mean(50, 60)


def windows(row, directory, settings):
    """Mean change in IPSC (%) at 20-30 and 50-60 min after induction."""
    synapse, protocol, follow_up_line, extra = ROWS[row]
    readouts = os.path.join(directory, "readouts.csv")
    args = [KINAPSE, "simulate", f"Pathways/synapses/{synapse}.toml", "--native-code", "--protocol",
            sixty_minute_protocol(protocol, follow_up_line, directory), "--readouts", readouts] + extra
    for name, value in settings.items():
        args += ["--set", f"{name}={value}"] if name.startswith(("GA_", "camkN_")) else ["--drug", f"{name}={value}"]
    subprocess.run(args, capture_output=True, text=True, check=True)
    return persistence_windows(readouts)


def report(label, early, late):
    print(f"{label}: {early:+.1f} -> {late:+.1f} % (ratio {late / early if early else float('nan'):.3f})", flush=True)


def scan(directory):
    for row in (8, 7, 12):
        for s in (0.1, 0.17, 0.3, 1, 3, 10):
            report(f"row {row} s {s:g}", *windows(row, directory, {k: v * s for k, v in ASSUMED.items()}))


def kn62(directory):
    for concentration in (10, 30, 100, 300):
        report(f"row 7 KN-62 {concentration} uM", *windows(7, directory, {"KN-62": concentration}))
    report("row 7 no calmodulin binding", *windows(7, directory, {"camkN_dec_kon_K": 0, "camkN_dec_kon_P": 0}))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        {"scan": scan, "kn62": kn62}[sys.argv[1] if len(sys.argv) > 1 else "scan"](directory)
