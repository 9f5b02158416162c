#!/usr/bin/env python3
"""Reaction firings per second of Kinapse's exact SSA and libRoadRunner's Gillespie on one
50-reaction network, in the same run.

Usage: ssa_bench.py KINAPSE [--python PY] [--t-end T] [--repetitions R]

The network (written to a temporary directory, with its SBML export for RoadRunner): 25
species X0..X24 in a ring with 1000 molecules each; 25 conversions Xi -> X(i+1) at 1/s
and 25 catalysed conversions Xi + X(i+3) -> X(i+1) + X(i+3) at 0.001/(molecule*s), so the
total propensity stays near 5e4/s and each firing changes the propensities of about six
channels. The model is in molecules (--concentration-unit M with a volume of 1/N_A litres),
so both tools fire the same propensities (no reactant appears twice, so the combinatorial
correction does not arise). Kinapse runs one trial on one thread (--jobs 1) and reports
its firings; RoadRunner does not count firings, so its rate is Kinapse's firing count
(the same expected number: same model, same span) over RoadRunner's time. Times are CPU
seconds of the simulation alone (process CPU time around it, as the machine may be
shared); each tool's median over R repetitions is printed as one JSON object.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

AVOGADRO = 6.02214076e23
SPECIES = 25


def ring_model():
    lines = ["model ssa_ring50()", "  compartment cell = 1;"]
    lines += [f"  species X{i} in cell = 1000;" for i in range(SPECIES)]
    for i in range(SPECIES):
        j = (i + 1) % SPECIES
        lines.append(f"  conv{i}: X{i} => X{j}; k1*X{i};")
    for i in range(SPECIES):
        j, c = (i + 1) % SPECIES, (i + 3) % SPECIES
        lines.append(f"  cat{i}: X{i} + X{c} => X{j} + X{c}; k2*X{i}*X{c};")
    lines += ["  k1 = 1;      // assumption: benchmark network, 1/s", "  k2 = 0.001;  // assumption: benchmark network, 1/(molecule*s)", "end"]
    return "\n".join(lines) + "\n"


def kinapse_run(kinapse, model, t_end):
    volume_fl = 1e15 / AVOGADRO  # one molecule per M in this volume: counts equal the model's numbers
    out = subprocess.run([kinapse, "simulate", model, "--method", "ssa", "--trials", "1", "--seed", "1", "--jobs", "1",
                          "--t-end", str(t_end), "--points", "2", "--volume", repr(volume_fl), "--concentration-unit", "M",
                          "--stats"], check=True, capture_output=True, text=True)
    stats = dict(line.split(": ", 1) for line in out.stderr.splitlines() if ": " in line)
    return int(stats["firings"]), float(stats["cpu time"].split()[0])


def roadrunner_run(python, sbml, t_end, repetitions):
    code = f"""
import json, time, roadrunner
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
r = roadrunner.RoadRunner({sbml!r})
r.setIntegrator('gillespie')
r.getIntegrator().setValue('seed', 1)
runs = []
for _ in range({repetitions}):
    r.reset()
    t0 = time.process_time()
    r.simulate(0, {t_end}, 2)
    runs.append(time.process_time() - t0)
print(json.dumps(runs))
"""
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    kinapse = args[0]
    python = args[args.index("--python") + 1] if "--python" in args else sys.executable
    t_end = float(args[args.index("--t-end") + 1]) if "--t-end" in args else 200.0
    repetitions = int(args[args.index("--repetitions") + 1]) if "--repetitions" in args else 3
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "ssa_ring50.ant")
        sbml = os.path.join(tmp, "ssa_ring50.xml")
        with open(model, "w", encoding="utf-8") as f:
            f.write(ring_model())
        subprocess.run([kinapse, "export", model, "--sbml", sbml], check=True, capture_output=True)
        kinapse_runs = [kinapse_run(kinapse, model, t_end) for _ in range(repetitions)]
        firings = statistics.median(f for f, _ in kinapse_runs)
        kinapse_time = statistics.median(t for _, t in kinapse_runs)
        try:
            rr_runs = roadrunner_run(python, sbml, t_end, repetitions)
            rr_time = statistics.median(rr_runs)
            rr = {"roadrunner_seconds": rr_time, "roadrunner_firings_per_second": firings / rr_time}
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            rr = {"roadrunner_error": str(error)}
    print(json.dumps({"model": "ssa_ring50 (50 reactions, 25 species)", "t_end": t_end, "firings": firings,
                      "kinapse_seconds": kinapse_time, "kinapse_firings_per_second": firings / kinapse_time, **rr}))


if __name__ == "__main__":
    main()
