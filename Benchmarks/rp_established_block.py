#!/usr/bin/env python3
"""Row 8: does blocking CaMKII after the conditioning steps remove an established rebound potentiation?

Kano, Kano, Fukunaga & Konnerth 1996 (PNAS 93:13351, abstract read) report that CaMKII inhibitors
block the induction of rebound potentiation (RP) but "have no effect on the once established"
RP. The rig's RP is written by a kinase whose T286 autonomy lasts ~100 s (gabaa_trafficking.ant),
so the check is whether a block applied after the steps leaves the 20-30 and 50-60 min changes
where they are. The block is total: calmodulin's activation rate of the cascade's CaMKII
(GA_k_CaMKII_on) is set to 0 at a chosen time, which the `--block`/`--drug` options cannot do (they
act from the start), so the script copies Pathways/ into a temporary directory, adds one event
to that copy of purkinje_rp.ant, and runs `kinapse simulate` there with bath APV (the row's
background) and the protocol's follow-up stretched to 60 min. Nothing in the repository changes.
See Benchmarks/RESULTS.md, "Row 8: an established rebound potentiation under a late CaMKII block".

    python3 Benchmarks/rp_established_block.py [KINAPSE]     # from the repository root
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trafficking_rate_scan import persistence_windows, sixty_minute_protocol   # the table test's two windows, read as that scan reads them

KINAPSE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/kinapse")
BASELINE = 600.0      # s: depolarisation.toml's baseline; the steps start here
STEPS_END = 616.0     # s: 8 steps of 0.5 s every 2 s end by 600 + 7*2 + 0.5 s, rounded up
DELAYS = [None, -116, 60, 300, 600]   # s after the steps at which the block starts (None: no block;
                                      # -116: 100 s before the first step, the control that the event acts)


def run(root, delay):
    model = os.path.join(root, "Pathways", "synapses", "purkinje_rp.ant")
    text = open(os.path.join("Pathways", "synapses", "purkinje_rp.ant")).read()
    if delay is not None:
        assert text.rstrip().endswith("\nend"), "purkinje_rp.ant: the model's last line is not 'end'"
        event = f"  at time >= {STEPS_END + delay:g}: GA.k_CaMKII_on = 0;\nend\n"
        text = text.rstrip()[: -len("end")] + event
    open(model, "w").write(text)
    protocol = os.path.join(root, "depolarisation_60min.toml")
    readouts = os.path.join(root, "readouts.csv")
    subprocess.run([KINAPSE, "simulate", "Pathways/synapses/purkinje_rp.toml", "--native-code",
                    "--protocol", protocol, "--block", "APV", "--readouts", readouts],
                   cwd=root, capture_output=True, text=True, check=True)
    return persistence_windows(readouts)


def main():
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree("Pathways", os.path.join(root, "Pathways"))
        sixty_minute_protocol("depolarisation", "duration = 2400", root)
        for delay in DELAYS:
            early, late = run(root, delay)
            if delay is None:
                label = "no block"
            elif delay < 0:
                label = f"CaMKII blocked {-(delay + STEPS_END - BASELINE):g} s before the steps"
            else:
                label = f"CaMKII blocked {delay} s after the steps"
            print(f"{label}: {early:+.2f} % at 20-30 min, {late:+.2f} % at 50-60 min", flush=True)


if __name__ == "__main__":
    main()
