#!/usr/bin/env python3
"""Cross-check Kinapse against libRoadRunner, an independent simulator.

For every model given (default: Pathways/*.ant, Benchmarks/models/*.ant and
Fixtures/crosscheck/*.ant) both tools simulate the same time span; RoadRunner runs at
tight tolerances (rtol 1e-10, atol 1e-14) as the reference, Kinapse at its defaults
(rtol 1e-6, atol 1e-12). The report gives, per model, the largest error of Kinapse in
units of its own tolerance, max |k - r| / (rtol*max(|r|, 1e-3*scale) + atol), where
scale is the column's largest magnitude: a value that has decayed to a thousandth of
its range is judged on that floor, since CVODE's global error there is set by the
error made while the value was large.

The output grid (173 points by default) avoids landing on event times: at an output time
equal to an event time SBML's convention (which Kinapse follows) reports the value after
the event, while RoadRunner, which locates time triggers by root finding, may report
the value before it.

Usage: crosscheck.py KINAPSE [MODEL.ant ...]   (make crosscheck sets up RoadRunner)
Exits 1 if any model disagrees by more than --limit tolerance units (default 100).
"""
import argparse, csv, glob, io, os, re, subprocess, sys

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kinapse")
    ap.add_argument("models", nargs="*")
    ap.add_argument("--points", type=int, default=173)
    ap.add_argument("--limit", type=float, default=100.0)
    args = ap.parse_args()
    import antimony, roadrunner  # installed by `make crosscheck`
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)

    models = args.models or sorted(glob.glob("Pathways/*.ant") + glob.glob("Benchmarks/models/*.ant")
                                   + glob.glob("Fixtures/crosscheck/*.ant"))
    rtol, atol = 1e-6, 1e-12
    worst_overall = 0.0
    failed = False
    print(f"{'model':42s} {'t_end':>6s} {'columns':>7s} {'max err (tol units)':>20s}  worst column")
    for path in models:
        text = open(path).read()
        m = re.search(r"t_end:\s*([0-9.eE+-]+)", text)
        t_end = float(m.group(1)) if m else 60.0
        if "Benchmarks/models" in path:
            t_end = 600.0
        k = subprocess.run([args.kinapse, "simulate", path, "--t-end", str(t_end), "--points", str(args.points)],
                           capture_output=True, text=True)
        if k.returncode != 0:
            print(f"{path:42s} kinapse failed: {k.stderr.strip().splitlines()[0] if k.stderr else k.returncode}")
            failed = True
            continue
        rows = list(csv.reader(io.StringIO(k.stdout)))
        header, data = rows[0], [[float(x) for x in r] for r in rows[1:]]
        columns = header[1:]

        antimony.clearPreviousLoads()
        if antimony.loadAntimonyFile(path) < 0:
            print(f"{path:42s} antimony failed: {antimony.getLastError()}")
            failed = True
            continue
        sbml = antimony.getSBMLString(antimony.getMainModuleName())
        r = roadrunner.RoadRunner(sbml)
        r.integrator.relative_tolerance = 1e-10
        r.integrator.absolute_tolerance = 1e-14
        r.integrator.maximum_num_steps = 1000000
        species = set(r.model.getFloatingSpeciesIds()) | set(r.model.getBoundarySpeciesIds())
        # A species' value is its concentration, except for species with only substance
        # units, whose value (in Kinapse's output as in SBML maths) is the amount.
        amounts = set(re.findall(r'<species\b[^>]*\bid="([^"]+)"[^>]*hasOnlySubstanceUnits="true"', sbml))
        amounts |= set(re.findall(r'<species\b[^>]*hasOnlySubstanceUnits="true"[^>]*\bid="([^"]+)"', sbml))
        r.timeCourseSelections = ["time"] + [f"[{c}]" if c in species and c not in amounts else c for c in columns]
        ref = r.simulate(0, t_end, args.points)

        worst, worst_col = 0.0, ""
        for j, c in enumerate(columns):
            scale = max(abs(ref[i, j + 1]) for i in range(args.points)) or 1.0
            for i in range(args.points):
                kv, rv = data[i][j + 1], ref[i, j + 1]
                e = abs(kv - rv) / (rtol * max(abs(rv), 1e-3 * scale) + atol)
                if e > worst:
                    worst, worst_col = e, f"{c} at t={data[i][0]:g}"
        worst_overall = max(worst_overall, worst)
        flag = "" if worst <= args.limit else "  <-- disagrees"
        failed |= worst > args.limit
        print(f"{path:42s} {t_end:6g} {len(columns):7d} {worst:20.3g}  {worst_col}{flag}")
    print(f"largest error: {worst_overall:.3g} tolerance units (limit {args.limit:g})")
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
