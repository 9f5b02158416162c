import ArgumentParser
import Foundation
import SourceDiagnostics
import CVODEIntegration
import PEtab
import Optimization

struct PEtabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petab",
        abstract: "PEtab v1 estimation problems: check, evaluate the likelihood, fit.",
        discussion: """
        Reads a PEtab v1 problem (docs/petab.md): the YAML file naming one SBML
        model and its condition, observable, measurement and parameter tables.

        Examples:
          kinapse petab check Boehm_JProteomeRes2014.yaml
          kinapse petab llh problem.yaml --simulations simulations.tsv
          kinapse petab fit problem.yaml --starts 20 --max-time 180 --out-dir fit
        """,
        subcommands: [PEtabCheck.self, PEtabLikelihood.self, PEtabFit.self])
}

/// Solver settings of the PEtab subcommands.
struct PEtabSolverOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Relative tolerance (default \(String(format: "%g", PEtabSettings().relativeTolerance))).")
    var rtol: Double?

    @Option(parsing: .unconditional, help: "Absolute tolerance (default \(String(format: "%g", PEtabSettings().absoluteTolerance))).")
    var atol: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Solver steps allowed between two output times (default \(PEtabSettings().maximumSteps)).")
    var maxSteps: Int?

    @Option(name: .customLong("linear-solver"), help: ArgumentHelp("Linear algebra for the Newton iteration (default auto).", valueName: "auto|dense|klu"))
    var linearSolver: LinearSolverChoice?

    func validate() throws {
        if let rtol { guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be between 0 and 1 (got \(rtol))") } }
        if let atol { guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive (got \(atol))") } }
        if let maxSteps { guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive (got \(maxSteps))") } }
    }

    func settings(gradient: Bool) -> PEtabSettings {
        var s = PEtabSettings()
        if let rtol { s.relativeTolerance = rtol }
        if let atol { s.absoluteTolerance = atol }
        if let maxSteps { s.maximumSteps = maxSteps }
        if let linearSolver { s.linearSolver = linearSolver }
        s.gradient = gradient
        return s
    }
}

struct PEtabCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read a PEtab problem, compile its model and summarise it.",
        discussion: """
        Every problem in the files is reported at file:line:column with a hint;
        a problem that passes is summarised (model, tables, simulations) and the
        model is compiled with its forward sensitivities.

        Example:
          kinapse petab check problem.yaml
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    func run() throws {
        let start = ContinuousClock.now, cpu = clock()
        let p = try PEtabReader.read(path: problem)
        let model = try PEtabModel(p)
        let elapsed = ContinuousClock.now - start
        let cpuSeconds = Double(clock() - cpu) / Double(CLOCKS_PER_SEC)
        let preequilibrated = Set(p.measurements.compactMap(\.preequilibration)).count
        let steady = p.measurements.filter { !$0.time.isFinite }.count
        let priors = p.parameters.filter { $0.prior != nil }.count
        var lines = [
            "problem \(p.name): model \(p.pathway.name) (\(p.pathway.species.count) species, \(p.pathway.reactions.count) reactions)",
            "parameters: \(p.parameters.count) (\(p.estimated.count) estimated, \(priors) with priors)",
            "observables: \(p.observables.count); conditions: \(p.conditions.count); measurements: \(p.measurements.count)",
            "simulations per evaluation: \(model.simulationCount) (\(preequilibrated) pre-equilibration conditions, \(steady) steady-state measurements)",
            "gradient: " + (model.gradientUnavailable.map { "unavailable (\($0))" } ?? "forward sensitivities"),
            String(format: "loaded and compiled in %.3f s (CPU %.3f s)", elapsed.seconds, cpuSeconds),
        ]
        lines.append("")
        StandardOutput.write(lines.joined(separator: "\n"))
    }
}

struct PEtabLikelihood: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llh",
        abstract: "Log-likelihood, chi-square and priors at the nominal parameters.",
        discussion: """
        Simulates every condition at the parameter table's nominal values and
        prints PEtab's log-likelihood (llh), chi2, the priors' log density and the
        objective -(llh + log prior). --simulations writes the simulated value of
        every measurement as a PEtab simulation table.

        Example:
          kinapse petab llh problem.yaml --simulations simulations.tsv
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    @Option(help: ArgumentHelp("Write the simulation table (TSV).", valueName: "FILE.tsv"))
    var simulations: String?

    @Flag(help: "Also compute the gradient by forward sensitivities and print its norm.")
    var gradient = false

    @OptionGroup(title: "Solver")
    var solver: PEtabSolverOptions

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        try OutputCheck.refuseConflicts([("--simulations", simulations)], inputs: [problem], force: force)
    }

    func run() throws {
        let p = try PEtabReader.read(path: problem)
        try OutputCheck.check([("--simulations", simulations)], force: force)
        let model = try PEtabModel(p, settings: solver.settings(gradient: gradient))
        let start = ContinuousClock.now, cpu = clock()
        let e: PEtabEvaluation
        do { e = try model.evaluate(theta: p.nominalTheta, gradient: gradient) } catch {
            throw RunFailure([.error("the problem cannot be simulated at its nominal parameters: \(error.description)")])
        }
        let seconds = (ContinuousClock.now - start).seconds
        let cpuSeconds = Double(clock() - cpu) / Double(CLOCKS_PER_SEC)
        var out = String(format: "llh %.6f\nchi2 %.6f\nlog prior %.6f\nobjective %.6f\n", e.logLikelihood, e.chiSquare, e.logPrior, e.objective)
        if let g = e.gradient {
            out += model.gradientUnavailable.map { "gradient: unavailable (\($0))\n" }
                ?? String(format: "gradient norm %.6g\n", g.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        // CPU time too: on a shared machine the wall time says more about the neighbours.
        out += String(format: "evaluated in %.4f s (CPU %.4f s)\n", seconds, cpuSeconds)
        if let simulations { try OutputCheck.write(PEtabTables.simulationTable(p, e), to: simulations, option: "--simulations", force: force) }
        StandardOutput.write(out)
    }
}

struct PEtabFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the estimated parameters: multi-start Levenberg–Marquardt.",
        discussion: """
        Starts from a seeded Latin hypercube over the scaled bounds, runs bounded
        Levenberg–Marquardt from each with forward-sensitivity gradients, and
        reports PEtab's objective -(llh + log prior) of every start. Writes into
        --out-dir: starts.tsv (one row per start, best first),
        best_parameters.tsv (the parameter table with the best values as
        nominalValue, usable as the problem's parameter_file) and
        simulations.tsv (the simulation table at the best point). Normal noise
        and normal or uniform priors only (Laplace terms have no least-squares
        form). The same seed gives the same files, whatever --jobs.

        Example:
          kinapse petab fit problem.yaml --starts 50 --jobs 2 --max-time 180
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    @Option(parsing: .unconditional, help: "Starts of the multi-start (default 20).")
    var starts: Int = 20

    @Option(parsing: .unconditional, help: "Seed of the Latin-hypercube starts (default 1).")
    var seed: UInt64 = 1

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @Option(name: .customLong("max-time"), parsing: .unconditional,
            help: ArgumentHelp("Wall-clock budget in seconds: no start begins after it, running starts stop at their best point.", valueName: "SECONDS"))
    var maxTime: Double?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Directory for the result files (created if missing).", valueName: "DIR"))
    var outDir: String = "petab-fit"

    @OptionGroup(title: "Solver")
    var solver: PEtabSolverOptions

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        guard starts >= 1, starts <= Fit.maximumStarts else { throw ValidationError("--starts must be between 1 and \(Fit.maximumStarts) (got \(starts))") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        if let maxTime { guard maxTime > 0, maxTime.isFinite else { throw ValidationError("--max-time must be a positive number of seconds (got \(maxTime))") } }
    }

    func run() throws {
        let p = try PEtabReader.read(path: problem)
        let names = ["starts.tsv", "best_parameters.tsv", "simulations.tsv"]
        do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
            throw DiagnosticsError(.error("--out-dir: cannot create '\(outDir)': \(error.localizedDescription)"))
        }
        try OutputCheck.check(names.map { ("--out-dir", path($0)) }, force: force)
        let model = try PEtabModel(p, settings: solver.settings(gradient: true))
        _ = try PEtabLeastSquares(model)
        let progress = ProgressReporter(total: starts, label: "petab fit", quiet: quiet)
        let interruption = InterruptedRun(message: "kinapse petab fit: interrupted; writing the best result so far")
        defer { interruption.finished() }
        let cancellation = interruption.cancellation
        if let maxTime {
            // The budget is a deadline on the same flag Ctrl-C raises.
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: maxTime)
                cancellation.cancel()
            }
        }
        let clock = ContinuousClock(), began = clock.now
        let outcome = try PEtabFitRun.run(model, starts: starts, seed: seed, jobs: jobs ?? MultiStartOptions.availableCores,
                                          cancellation: cancellation, progress: { progress.advance() })
        let wall = (clock.now - began).seconds
        try OutputCheck.write(outcome.startsTable, to: path("starts.tsv"), option: "--out-dir", force: force)
        if let best = outcome.best, let evaluation = best.evaluation {
            try OutputCheck.write(outcome.parameterTable(best.theta), to: path("best_parameters.tsv"), option: "--out-dir", force: force)
            try OutputCheck.write(PEtabTables.simulationTable(p, evaluation), to: path("simulations.tsv"), option: "--out-dir", force: force)
        }
        StandardOutput.write(outcome.summary(wallTime: wall))
        if outcome.best == nil { throw RunFailure([.error("every start of the fit failed; starts.tsv says why")]) }
    }

    func path(_ name: String) -> String { (outDir as NSString).appendingPathComponent(name) }
}
