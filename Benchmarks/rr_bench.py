#!/usr/bin/env python3
"""Times libRoadRunner on one SBML file: load (parse + LLVM compile) and simulation.

Usage: rr_bench.py MODEL.xml T_END POINTS REPETITIONS [OUT.csv]
With OUT.csv, also writes the last run's trajectory there (columns: time, then the
species ids without RoadRunner's [concentration] brackets). Prints one JSON object: {"load": s, "load_cpu": s, "simulate": median s,
"simulate_cpu": median CPU s, "runs": [s...]} (CPU: process time, all threads).
Runs in a fresh process per model, so RoadRunner's in-process model cache cannot turn
the load into a look-up. Settings as Kinapse's: CVODE BDF, rtol 1e-6, atol 1e-12,
at most 100000 steps, output on POINTS equally spaced times. Needs the `roadrunner`
module (make bench installs libroadrunner from PyPI into .build-venv).
"""
import json
import statistics
import sys
import time


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    path, t_end, points, reps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    out = sys.argv[5] if len(sys.argv) == 6 else None
    import roadrunner
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    with open(path, encoding="utf-8") as f:
        sbml = f.read()
    t0, c0 = time.perf_counter(), time.process_time()
    r = roadrunner.RoadRunner(sbml)
    load, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    integrator = r.getIntegrator()
    integrator.setValue("relative_tolerance", 1e-6)
    integrator.setValue("absolute_tolerance", 1e-12)
    integrator.setValue("maximum_num_steps", 100000)
    runs, cpu = [], []
    for _ in range(reps):
        r.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        result = r.simulate(0, t_end, points)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(",".join(c.strip("[]") for c in result.colnames) + "\n")
            for row in result:
                f.write(",".join(repr(float(x)) for x in row) + "\n")
    print(json.dumps({"load": load, "load_cpu": load_cpu, "simulate": statistics.median(runs),
                      "simulate_cpu": statistics.median(cpu), "runs": runs}))


if __name__ == "__main__":
    main()
