# Counts the CVODES work libRoadRunner does in one simulation, from inside its process:
# its bundled SUNDIALS exports the usual symbols, and CVODES resets its counters at
# every CVodeReInit, so they are read (and summed) at each CVodeReInit and CVodeFree.
# Also counts calls of the solver-control functions that show how events are handled.
#
#   gdb -q -batch -x Benchmarks/rr_solver_counts.gdb --args \
#       .build-venv/bin/python Benchmarks/rr_simulate_once.py MODEL.xml T_END POINTS
set pagination off
set breakpoint pending on
python
import gdb
totals, calls, buffer = {}, {}, []
COUNTERS = [("steps", "CVodeGetNumSteps"), ("rhs evaluations", "CVodeGetNumRhsEvals"),
            ("jacobian evaluations", "CVodeGetNumJacEvals"), ("error-test failures", "CVodeGetNumErrTestFails"),
            ("nonlinear convergence failures", "CVodeGetNumNonlinSolvConvFails"),
            ("newton iterations", "CVodeGetNumNonlinSolvIters"), ("root-function evaluations", "CVodeGetNumGEvals")]

def add_counters(memory):
    if memory == 0:
        return
    if not buffer:
        buffer.append(int(gdb.parse_and_eval("(long)malloc(16)")))
    for name, function in COUNTERS:
        gdb.parse_and_eval(f"(int){function}((void*){memory}, (long*){buffer[0]})")
        totals[name] = totals.get(name, 0) + int(gdb.parse_and_eval(f"*(long*){buffer[0]}"))

class CallCounter(gdb.Breakpoint):
    def stop(self):
        calls[self.location] = calls.get(self.location, 0) + 1
        return False

for f in ["CVodeSetStopTime", "CVodeSetInitStep", "CVodeCreate", "CVode"]:
    calls[f] = 0
    CallCounter(f)
calls["CVodeReInit"] = 0

def report(_):
    print("RR_CALLS", calls)
    print("RR_TOTALS", totals)
gdb.events.exited.connect(report)
end
break CVodeReInit
commands
silent
python calls["CVodeReInit"] = calls.get("CVodeReInit", 0) + 1; add_counters(int(gdb.parse_and_eval("$rdi")))
continue
end
break CVodeFree
commands
silent
python add_counters(int(gdb.parse_and_eval("*(void**)$rdi")))
continue
end
run
