#!/usr/bin/env python3
"""One libRoadRunner simulation with the benchmark settings (for rr_solver_counts.gdb).

Usage: rr_simulate_once.py MODEL.xml T_END POINTS
Settings as rr_bench.py: CVODE BDF, rtol 1e-6, atol 1e-12, at most 100000 steps.
"""
import sys

import roadrunner

if len(sys.argv) != 4:
    sys.exit(__doc__)
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
with open(sys.argv[1], encoding="utf-8") as f:
    r = roadrunner.RoadRunner(f.read())
integrator = r.getIntegrator()
integrator.setValue("relative_tolerance", 1e-6)
integrator.setValue("absolute_tolerance", 1e-12)
integrator.setValue("maximum_num_steps", 100000)
print("absolute tolerance per state:", [float(x) for x in integrator.getAbsoluteToleranceVector()])
r.reset()
r.simulate(0, float(sys.argv[2]), int(sys.argv[3]))
