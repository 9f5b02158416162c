#!/usr/bin/env python3
"""make dose-response: the dose-response curve of each table row's abolishing drug.

For every represented row of Fixtures/inhibitory-plasticity-mapping.tsv whose blocker is graded (an
ic50: its drug's at its target in Pathways/drugs.toml, or the blocker's own), runs the row's protocol at a logarithmic grid of drug
concentrations with `kinapse scan … --vary drug:X=…:log --hill delta_ipsc_percent`, in the row's
background blockers, and writes per row a CSV and an SVG (out/dose-response/rowN.{csv,svg}), then a
summary table (summary.csv and summary.md): the drug's IC50 at its target from the literature (the
drug library's ic50), the IC50 and Hill coefficient fitted to the plasticity's dose-response, the change
without the drug (the lowest concentration, 1/30 of the smaller of IC50 and the published
concentration, where the target is at most 3 % occupied) and the residual at the published
concentration (always a grid point). Rows whose blocker is all-or-none are listed with the reason.

    python3 Benchmarks/dose_response.py .build/release/kinapse [--rows 1,2,14] [--per-decade 2]
        [--jobs N] [--out out/dose-response]

The grid has --per-decade points per decade (default 2) from that lowest concentration to ten
times the published one. Not part of `make test`: each point is a full protocol run.
"""

import argparse
import csv
import math
import os
import re
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mapping_rows():
    """The represented rows of the mapping: (row, synapse, protocol, background list, blocker),
    where the blocker is the row's main abolishing manipulation (the first of abolished_by); rows
    with none are left out."""
    rows = []
    with open(os.path.join(ROOT, "Fixtures/inhibitory-plasticity-mapping.tsv"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("#")]
    header = lines[0].split("\t")
    column = {name: i for i, name in enumerate(header)}
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) != len(header) or fields[column["synapse"]] == "-":
            continue
        abolished = fields[column["abolished_by"]]
        if abolished == "-":
            continue
        background = [] if fields[column["background"]] == "-" else fields[column["background"]].split(",")
        rows.append((int(fields[0]), fields[column["synapse"]], fields[column["protocol"]], background,
                     abolished.split(",")[0]))
    return rows


def potency(name, blocker, library):
    """The (ic50, hill) grading a blocker, as kinapse resolves it (SynapseReader+Blockers.swift):
    the blocker's own values for a manipulation of its own or a target the drug library does not
    list, else its drug's at its target in Pathways/drugs.toml; (None, None) when all or none."""
    drug = blocker.get("drug", name)
    if isinstance(drug, list) or blocker.get("all_or_none", False):
        return None, None
    entry = library.get(drug) or next((d for d in library.values() if drug in d.get("also_called", [])), None)
    targets = {k: v for k, v in (entry or {}).items() if isinstance(v, dict)}
    target = targets.get(blocker["target"]) if "target" in blocker else (next(iter(targets.values())) if len(targets) == 1 else None)
    source = target if target is not None else blocker
    return (source["ic50"], source.get("hill", 1)) if "ic50" in source else (None, None)


def grid(concentration, ic50, per_decade):
    """Log-spaced concentrations through `concentration`, from min(ic50, concentration)/30 to
    ten times `concentration`: (from, to, n) for --vary, with `concentration` on the grid."""
    low = min(ic50, concentration) / 30
    below = math.ceil(per_decade * math.log10(concentration / low))
    above = per_decade  # one decade above the published concentration
    below = max(below, 6 - above)  # at least 7 points for the four parameters of the Hill fit
    start = concentration / 10 ** (below / per_decade)
    stop = concentration * 10
    return start, stop, below + above + 1, below


HILL = re.compile(r"[IE]C50 = ([0-9.eE+-]+), Hill coefficient ([0-9.eE+-]+), top ([0-9.eE+-]+), bottom ([0-9.eE+-]+)")


def scan(kinapse, row, synapse, protocol, background, drug, concentration, ic50, args):
    start, stop, n, index = grid(concentration, ic50, args.per_decade)
    base = os.path.join(args.out, f"row{row}")
    command = [kinapse, "scan", os.path.join(ROOT, "Pathways/synapses", synapse + ".toml"), "--protocol", protocol,
               "--vary", f"drug:{drug}={start:.6g}:{stop:.6g}:{n}:log", "--hill", "delta_ipsc_percent",
               "--native-code", "--quiet", "--jobs", str(args.jobs), "--out", base + ".csv", "--plot", base + ".svg"]
    for b in background:
        command += ["--block", b]
    print(" ".join(command[1:]), file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    points = []
    if os.path.exists(base + ".csv"):
        with open(base + ".csv", encoding="utf-8") as f:
            reader = csv.DictReader(l for l in f if not l.startswith("#"))
            for r in reader:
                points.append((float(r[f"drug:{drug}"]), float(r["delta_ipsc_percent"])))
    fit = HILL.search(result.stderr)
    errors = [l for l in result.stderr.splitlines() if "error" in l.lower() or ("hill" in l.lower() and not fit)]
    note = errors[0] if errors and (result.returncode != 0 or not fit) else ""
    if fit and not start <= float(fit.group(1)) <= stop:
        # A midpoint outside the concentrations run is not a measurement: the curve's fall lies
        # between two grid points and more points per decade are needed there.
        note = f"Hill fit's IC50 {float(fit.group(1)):.3g} uM lies outside the grid; more points per decade needed"
        fit = None
    control = points[0][1] if points else float("nan")
    at_published = next((d for c, d in points if abs(c / concentration - 1) < 1e-4), float("nan"))
    return {
        "control": control, "residual": at_published,
        "fitted_ic50": float(fit.group(1)) if fit else float("nan"),
        "fitted_hill": float(fit.group(2)) if fit else float("nan"),
        "note": note, "points": len(points),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinapse", nargs="?", default=os.path.join(ROOT, ".build/release/kinapse"))
    parser.add_argument("--rows", help="comma-separated table rows (default: every represented row)")
    parser.add_argument("--per-decade", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(ROOT, "out/dose-response"))
    args = parser.parse_args()
    kinapse = os.path.abspath(args.kinapse)
    if not os.access(kinapse, os.X_OK):
        sys.exit(f"dose-response: no kinapse binary at {kinapse} (swift build -c release first, or pass its path)")
    os.makedirs(args.out, exist_ok=True)
    wanted = {int(r) for r in args.rows.split(",")} if args.rows else None

    with open(os.path.join(ROOT, "Pathways/drugs.toml"), "rb") as f:
        library = tomllib.load(f)
    summary = []
    for row, synapse, protocol, background, drug in mapping_rows():
        if wanted is not None and row not in wanted:
            continue
        with open(os.path.join(ROOT, "Pathways/synapses", synapse + ".toml"), "rb") as f:
            blocker = tomllib.load(f).get("blockers", {}).get(drug, {})
        ic50, hill = potency(drug, blocker, library)
        entry = {"row": row, "synapse": synapse, "protocol": protocol, "background": ",".join(background) or "-",
                 "drug": drug, "route": blocker.get("route", "bath"), "concentration_uM": blocker.get("concentration", float("nan")),
                 "target_ic50_uM": ic50 if ic50 is not None else float("nan"), "target_hill": hill if ic50 is not None else float("nan")}
        if ic50 is None:
            entry.update(control=float("nan"), residual=float("nan"), fitted_ic50=float("nan"), fitted_hill=float("nan"),
                         points=0, note="all or none (no ic50 declared)")
        else:
            entry.update(scan(kinapse, row, synapse, protocol, background, drug, blocker["concentration"], ic50, args))
        summary.append(entry)

    columns = ["row", "synapse", "protocol", "background", "drug", "route", "concentration_uM", "target_ic50_uM", "target_hill",
               "control", "residual", "fitted_ic50", "fitted_hill", "points", "note"]
    tmp = os.path.join(args.out, "summary.csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for e in summary:
            w.writerow({k: e[k] for k in columns})
    os.replace(tmp, os.path.join(args.out, "summary.csv"))

    def g(x, digits=3):
        return "–" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}g}"

    lines = ["| row | synapse | protocol (background) | drug | published µM | target IC50 µM (h) | ΔIPSC no drug % | residual at published % | plasticity IC50 µM (h) | note |",
             "|---:|---|---|---|---:|---:|---:|---:|---:|---|"]
    for e in summary:
        lines.append(f"| {e['row']} | {e['synapse']} | {e['protocol']} ({e['background']}) | {e['drug']} | {g(e['concentration_uM'])} | "
                     f"{g(e['target_ic50_uM'])} ({g(e['target_hill'])}) | {g(e['control'])} | {g(e['residual'])} | "
                     f"{g(e['fitted_ic50'])} ({g(e['fitted_hill'])}) | {e['note']} |")
    tmp = os.path.join(args.out, "summary.md.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(args.out, "summary.md"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
