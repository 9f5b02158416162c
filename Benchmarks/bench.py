#!/usr/bin/env python3
"""`make bench`: one table comparing Kinapse with hand-written C + CVODES baselines and
with libRoadRunner, on the TBS pathway model and the dendrite-chain family, plus the
synapse-level whole-process timings. stdlib only (RoadRunner runs in its own venv).

Usage: bench.py KINAPSE [--python VENV_PYTHON] [--quick]
  KINAPSE        release binary (make bench builds it)
  --python       interpreter with `roadrunner` (make bench makes .build-venv); without
                 it the RoadRunner columns are left empty
  --quick        fewer repetitions (for trying the script, not for the record)

What is measured (medians; every ratio is from runs interleaved in this one session):
  load          Kinapse: parse + compile (`compile time` of --stats); RoadRunner: the
                RoadRunner(sbml) constructor on Kinapse's SBML export (parse + LLVM JIT)
  sim           in-process time of one simulation: Kinapse `integration time` of
                --repeat R runs, the C baseline's median of R runs (timed from
                CVodeCreate to the last output), RoadRunner's simulate() after reset()
                (one fresh RoadRunner process per round: the median over processes of
                each process's median)
  cpu ratios    the same comparisons in CPU time (Kinapse: thread CPU time; C:
                process CPU time; RoadRunner: process CPU time), which a shared machine
                disturbs far less than wall time
  cpu us/state  Kinapse CPU time per simulation divided by the number of states
  peak MB       maximum resident set of the whole `kinapse simulate` process
  agree         largest |Kinapse - C| / max(|C|, 1e-6) over all outputs (atol/rtol floor)
  err K, err RR the same measure against a reference (Kinapse at rtol 1e-10, atol 1e-18), for
                Kinapse and for RoadRunner: the accuracy each achieves with these settings
                (up to N = 100; the reference's own error is ~1e-9, four orders below)
  Kn            the same Kinapse runs with --native-code (the model's programs compiled to
                machine code by the system C compiler; the first run builds the library into a
                fresh cache and is timed as "build", later runs load it from the cache); its
                output must be byte-identical to the bytecode's
Settings everywhere: BDF, rtol 1e-6, atol 1e-12, analytic Jacobian, 100000 max steps.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".build-bench")
SUNDIALS_LIBS = ["-lsundials_cvodes", "-lsundials_nvecserial", "-lsundials_sunmatrixdense",
                 "-lsundials_sunlinsoldense", "-lsundials_sunmatrixsparse", "-lsundials_sunlinsolklu",
                 "-lklu", "-lm"]


def run(cmd, **kw):
    """Runs cmd; returns (stdout, stderr, wall seconds); exits on failure."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, **kw)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    return out, err, wall


def run_measured(cmd):
    """Runs cmd and returns (stderr, wall seconds, peak RSS MB, CPU seconds) from wait4's rusage."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    return err, wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def stats(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z][a-z \-]*?):\s*([-+0-9.eE]+)\s*s?\s*$", line.strip())
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def median(xs):
    return statistics.median(xs) if xs else None


def read_csv(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(x) for x in r] for r in rows[1:]]


def error_against(path, ref_path):
    """Largest |x - ref| / max(|ref|, 1e-6) over the reference's columns, matched by name."""
    h, rows = read_csv(path)
    hr, ref = read_csv(ref_path)
    h = [c.strip() for c in h]
    pairs = [(h.index(c.strip()), j) for j, c in enumerate(hr) if j > 0 and c.strip() in h]
    if len(rows) != len(ref) or len(pairs) != len(hr) - 1:
        return float("inf")
    worst = 0.0
    for a, b in zip(rows, ref):
        for i, j in pairs:
            worst = max(worst, abs(a[i] - b[j]) / max(abs(b[j]), 1e-6))
    return worst


def agreement(a_path, b_path):
    ha, a = read_csv(a_path)
    hb, b = read_csv(b_path)
    if ha != hb or len(a) != len(b):
        return float("inf")
    worst = 0.0
    for ra, rb in zip(a, b):
        for x, y in zip(ra[1:], rb[1:]):
            worst = max(worst, abs(x - y) / max(abs(y), 1e-6))
    return worst


def build_c():
    cc = os.environ.get("CC", "cc")
    flags = os.environ.get("CFLAGS", "-O2").split()
    progs = {}
    for name in ["tbs_no_cgmp", "dendrite_chain"]:
        exe = os.path.join(OUT, name)
        run([cc, *flags, "-I/usr/include/suitesparse", "-o", exe,
             os.path.join(ROOT, "Benchmarks", "c-baseline", name + ".c"), *SUNDIALS_LIBS])
        progs[name] = exe
    return progs


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kinapse")
    ap.add_argument("--python")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    kinapse = os.path.abspath(args.kinapse)
    os.makedirs(os.path.join(OUT, "chain"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "sbml"), exist_ok=True)
    q = args.quick

    print("== building the C baselines; checking their Jacobians", file=sys.stderr)
    c = build_c()
    tbs_model = os.path.join(ROOT, "Benchmarks", "models", "tbs_no_cgmp.ant")
    tbs_pulses = os.path.join(ROOT, "Benchmarks", "models", "tbs_pulse_times.txt")
    run(["python3", os.path.join(ROOT, "Benchmarks", "make_tbs_model.py"), "--check"])
    run([c["tbs_no_cgmp"], "--check-jacobian", tbs_pulses])
    for n in (1, 10):
        run([c["dendrite_chain"], "--check-jacobian", str(n)])

    # model rows: name, .ant, species, t_end, points, C command builder, rounds, reps, RR reps
    models = [("tbs_no_cgmp (TBS)", tbs_model, 15, 600, 601,
               lambda out, r: [c["tbs_no_cgmp"], tbs_pulses, out, str(r)], 3 if q else 5, 5 if q else 9, 3 if q else 5)]
    plan = {1: (3 if q else 5, 5 if q else 9, 3 if q else 5), 10: (3, 3 if q else 5, 3),
            100: (1 if q else 3, 1 if q else 3, 1), 1000: (1 if q else 3, 1, 0)}
    # N = 1000 takes three interleaved rounds of one simulation each: with a single round
    # its ratios moved by ±20 % between runs on the shared 2-core machine.
    for n, (rounds, reps, rr_reps) in plan.items():
        path = os.path.join(OUT, "chain", f"chain_{n}.ant")
        run(["python3", os.path.join(ROOT, "Benchmarks", "make_dendrite_chain.py"), str(n), path])
        # the C baseline uses KLU from N = 10 on, as Kinapse's automatic choice does
        solver = "dense" if 11 * n < 20 else "klu"
        models.append((f"dendrite chain N={n}", path, 11 * n, 20, 41,
                       (lambda n, solver: lambda out, r: [c["dendrite_chain"], str(n), solver, out, str(r)])(n, solver),
                       rounds, reps, rr_reps))

    rows = []
    for name, path, species, t_end, points, c_cmd, rounds, reps, rr_reps in models:
        print(f"== {name}", file=sys.stderr)
        k_sim, k_cpu, k_load, k_load_cpu, c_sim, c_cpu, peaks = [], [], [], [], [], [], []
        n_sim, n_cpu, n_load = [], [], []
        k_out, c_out, n_out = os.path.join(OUT, "k.csv"), os.path.join(OUT, "c.csv"), os.path.join(OUT, "n.csv")
        k_stats = {}
        native_cmd = [kinapse, "simulate", path, "--t-end", str(t_end), "--points", str(points), "--stats",
                      "--native-code", "--out", n_out]
        # --native-code, first run: compiles the model's C into a fresh cache (timed once)
        native_env = dict(os.environ, KINAPSE_CACHE=os.path.join(OUT, "native-cache", os.path.basename(path)))
        subprocess.run(["rm", "-rf", native_env["KINAPSE_CACHE"]], check=True)
        _, build_err, _ = run(native_cmd, env=native_env)
        n_build = float(re.search(r"compiled in ([0-9.]+) s", build_err).group(1))
        # RoadRunner runs in one fresh process per round, interleaved with Kinapse and C:
        # its speed differs from process to process (chain N = 1: 6 to 11 ms per
        # simulation, steady within a process), so one process is not a fair sample.
        xml = os.path.join(OUT, "sbml", os.path.basename(path).replace(".ant", ".xml"))
        rr = {"load": [], "load_cpu": [], "simulate": [], "simulate_cpu": []}
        rr_out = os.path.join(OUT, "rr.csv")
        if args.python and rr_reps > 0:
            if os.path.exists(xml):
                os.remove(xml)
            run([kinapse, "export", path, "--sbml", xml])
        for _ in range(rounds):
            # interleaved, so that all see the same machine load
            if args.python and rr_reps > 0:
                try:
                    out, _, _ = run([args.python, os.path.join(ROOT, "Benchmarks", "rr_bench.py"), xml, str(t_end),
                                     str(points), str(rr_reps), rr_out])
                    r = json.loads(out)
                    for key in rr:
                        rr[key].append(r[key])
                except (ValueError, KeyError):
                    pass
            err, _, peak, _ = run_measured([kinapse, "simulate", path, "--t-end", str(t_end), "--points", str(points),
                                         "--stats", "--repeat", str(reps), "--out", k_out])
            k_stats = stats(err)
            k_sim.append(k_stats["integration time"])
            k_cpu.append(k_stats["integration cpu time"])
            k_load.append(k_stats["compile time"])
            k_load_cpu.append(k_stats["compile cpu time"])
            peaks.append(peak)
            _, cerr, _ = run(c_cmd(c_out, reps))
            cs = stats(cerr)
            c_sim.append(cs["integration time"])
            c_cpu.append(cs["integration cpu time"])
            _, nerr, _ = run(native_cmd + ["--repeat", str(reps)], env=native_env)
            ns = stats(nerr)
            n_sim.append(ns["integration time"])
            n_cpu.append(ns["integration cpu time"])
            n_load.append(ns["compile time"])
        err_k = err_rr = None
        ref_out = os.path.join(OUT, "ref.csv")
        if species <= 1100:
            run([kinapse, "simulate", path, "--t-end", str(t_end), "--points", str(points), "--rtol", "1e-10",
                 "--atol", "1e-18", "--max-steps", "10000000", "--out", ref_out])
            err_k = error_against(k_out, ref_out)
        rr_load = median(rr["load"]) if rr["load"] else None
        rr_load_cpu = median(rr["load_cpu"]) if rr["load_cpu"] else None
        rr_sim = median(rr["simulate"]) if rr["simulate"] else None
        rr_sim_cpu = median(rr["simulate_cpu"]) if rr["simulate_cpu"] else None
        if err_k is not None and rr["simulate"]:
            err_rr = error_against(rr_out, ref_out)
        rows.append(dict(
            name=name, species=species, k_load=median(k_load), k_load_cpu=median(k_load_cpu), rr_load=rr_load,
            rr_load_cpu=rr_load_cpu, k_sim=median(k_sim), c_sim=median(c_sim), k_cpu=median(k_cpu),
            c_cpu=median(c_cpu), rr_sim=rr_sim, rr_sim_cpu=rr_sim_cpu,
            rhs=int(k_stats.get("rhs evaluations", 0)), reinit=int(k_stats.get("reinitialisations", 0)),
            peak=max(peaks), agree=agreement(k_out, c_out), err_k=err_k, err_rr=err_rr,
            n_sim=median(n_sim), n_cpu=median(n_cpu), n_load=median(n_load), n_build=n_build,
            n_same=open(k_out, "rb").read() == open(n_out, "rb").read()))

    # synapse level: whole-process times
    print("== synapse runs", file=sys.stderr)
    syn_out = os.path.join(OUT, "synapse")
    os.makedirs(syn_out, exist_ok=True)
    make_run, stdp1, stdp2, stdp2_cpu = [], [], [], []
    for _ in range(3):
        make_run.append(run([kinapse, "simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs",
                             "--out", os.path.join(syn_out, "run.csv")])[2])
        for jobs, acc in ((1, stdp1), (2, stdp2)):
            _, wall, _, cpu = run_measured([kinapse, "stdp", "Fixtures/lumped/synapses/entorhinal_stellate.toml", "--dt",
                                            "-100:100:5", "--jobs", str(jobs), "--quiet",
                                            "--out", os.path.join(syn_out, f"stdp{jobs}.csv")])
            acc.append(wall)
            if jobs == 2:
                stdp2_cpu.append(cpu / wall)
    load_average = os.getloadavg()[0]

    line = ("{:<21} {:>6} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>5} {:>5} {:>5} {:>5} {:>6} {:>3} {:>7} {:>6} {:>7}"
            " {:>7} {:>7}")
    print()
    print(f"Kinapse benchmark — release build, {os.cpu_count()} cores (load average {load_average:.1f}); "
          "times in ms, medians; K = Kinapse, C = C baseline, RR = libRoadRunner 2.10")
    print(line.format("model", "states", "load K", "load RR", "K/RR", "sim K", "sim C", "sim RR", "K/C", "K/C",
                      "K/RR", "K/RR", "RHS", "re-", "cpu us", "peak", "agree", "err K", "err RR"))
    print(line.format("", "", "", "", "load cpu", "", "", "", "cpu", "wall", "cpu", "wall", "evals", "ini",
                      "/state", "MB", "vs C", "vs ref", "vs ref"))
    for r in rows:
        ms = lambda x: None if x is None else 1000 * x
        ratio = lambda a, b: None if a is None or b is None or b == 0 else a / b
        print(line.format(
            r["name"], r["species"], fmt(ms(r["k_load"]), ".1f"), fmt(ms(r["rr_load"]), ".0f"),
            fmt(ratio(r["k_load_cpu"], r["rr_load_cpu"]), ".4f"), fmt(ms(r["k_sim"]), ".1f"),
            fmt(ms(r["c_sim"]), ".1f"), fmt(ms(r["rr_sim"]), ".1f"),
            fmt(ratio(r["k_cpu"], r["c_cpu"]), ".2f"), fmt(ratio(r["k_sim"], r["c_sim"]), ".2f"),
            fmt(ratio(r["k_cpu"], r["rr_sim_cpu"]), ".2f"), fmt(ratio(r["k_sim"], r["rr_sim"]), ".2f"),
            r["rhs"], r["reinit"], fmt(1e6 * r["k_cpu"] / r["species"], ".2f"), fmt(r["peak"], ".0f"),
            fmt(r["agree"], ".0e"), fmt(r["err_k"], ".0e"), fmt(r["err_rr"], ".0e")))
    print("load K = parse + compile (wall), its CPU time is used for K/RR load; cpu us/state = Kinapse CPU "
          "time per simulation / states")
    print()
    nline = "{:<21} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10}"
    print("Kinapse --native-code (the model's equations compiled to machine code; same runs, interleaved)")
    print(nline.format("model", "build s", "load ms", "sim ms", "Kn/C", "Kn/RR", "Kn/K", "load", "output"))
    print(nline.format("", "(once)", "(cached)", "", "cpu", "cpu", "cpu", "Kn/RR", "vs K"))
    for r in rows:
        ratio = lambda a, b: None if a is None or b is None or b == 0 else a / b
        print(nline.format(r["name"], fmt(r["n_build"], ".2f"), fmt(1000 * r["n_load"], ".1f"), fmt(1000 * r["n_sim"], ".1f"),
                           fmt(ratio(r["n_cpu"], r["c_cpu"]), ".2f"), fmt(ratio(r["n_cpu"], r["rr_sim_cpu"]), ".2f"),
                           fmt(ratio(r["n_cpu"], r["k_cpu"]), ".2f"), fmt(ratio(r["n_load"], r["rr_load"]), ".4f"),
                           "identical" if r["n_same"] else "DIFFERENT"))
    print("build s = first --native-code run: writing the C and compiling it (cached afterwards); load = parse + "
          "compile + loading the cached library (wall)")
    print("err vs ref = largest |x - ref| / max(|ref|, 1e-6) against Kinapse at rtol 1e-10, atol 1e-18: the "
          "accuracy each tool reaches with the same settings")
    print()
    print("{:<58} {:>10}".format("whole process (wall, median of 3)", "seconds"))
    print("{:<58} {:>10.3f}".format("make run: golgi_granule + tbs (3,000 s, 120 pulses)", median(make_run)))
    print("{:<58} {:>10.3f}".format("stdp: entorhinal_stellate, 41 intervals, --jobs 1", median(stdp1)))
    print("{:<58} {:>10.3f}".format("stdp: entorhinal_stellate, 41 intervals, --jobs 2", median(stdp2)))
    print("{:<58} {:>10.2f}".format("stdp speed-up, --jobs 2 over --jobs 1", median(stdp1) / median(stdp2)))
    print("{:<58} {:>10.2f}".format("stdp --jobs 2: CPU time / wall time (2.0 = both cores busy)", median(stdp2_cpu)))
    with open(os.path.join(OUT, "bench.json"), "w", encoding="utf-8") as f:
        json.dump({"rows": rows, "make_run": make_run, "stdp1": stdp1, "stdp2": stdp2, "stdp2_cpu_per_wall": stdp2_cpu,
                   "load_average": load_average}, f, indent=1)


if __name__ == "__main__":
    main()
