#!/usr/bin/env python3
"""Summarises `make sensitivity-check` (Benchmarks/sensitivity_check.sh) as one Markdown table.

Usage: sensitivity_table.py OUT_DIR [SYNAPSE ...]   (default out/sensitivity-check; every synapse)

Reads OUT_DIR/<synapse>_<protocol><blocker>.csv, the output of
`kinapse simulate SYNAPSE --protocol P --sensitivities all --check-sensitivities`, and prints
one row per case: parameters, comparisons, the run times, the largest relative difference
(among derivatives at least 100x their floor), the largest ratio to the allowance (<= 1
passes) and the number of comparisons outside it. Cases without output are listed as not run.
Given SYNAPSEs (those that give sensitivities), the cases of other synapses are left out.
"""
import csv
import os
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "out/sensitivity-check"
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sensitivity_check.sh")
# The cases, in the order the check script lists them: lines like  "golgi_granule tbs L-NAME"
cases = re.findall(r'^\s*"(\S+) (\S+) (\S+)"\s*$', open(script).read(), re.M)
if len(sys.argv) > 2:
    cases = [c for c in cases if c[0] in sys.argv[2:]]

print("| synapse | protocol | blocker | parameters | comparisons | sensitivity run (s) | plain run (s) "
      "| largest relative difference | largest tolerance ratio | outside |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
for synapse, protocol, blocker in cases:
    path = os.path.join(out, f"{synapse}_{protocol}{'' if blocker == '-' else blocker}.csv")
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    header = re.match(r"run with (\d+) sensitivities: ([\d.]+) s; plain run: ([\d.]+) s", lines[0]) if lines else None
    rows = [r for r in csv.reader(lines[1:-1]) if len(r) == 7 and r[0] != "parameter"]
    if not header or not rows:
        print(f"| {synapse} | {protocol} | {blocker} | not run | | | | | | |")
        continue
    comparisons = sum(int(r[2]) for r in rows)
    outside = sum(int(r[5]) for r in rows)
    relative = max(float(r[3]) for r in rows)
    ratio = max(float(r[4]) for r in rows)
    print(f"| {synapse} | {protocol} | {blocker} | {header.group(1)} | {comparisons:,} | {float(header.group(2)):.1f} "
          f"| {float(header.group(3)):.2f} | {relative:.1e} | {ratio:.2f} | {outside} |")
