import ArgumentParser
import Foundation
import SourceDiagnostics
import CVODEIntegration
import PEtab
import Optimization
import KinapseUtilities
import Reporting

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
          kinapse petab fit problem.yaml --starts 20 --time-budget 180 --out-dir fit
        """,
        subcommands: [PEtabCheck.self, PEtabLikelihood.self, PEtabFit.self])
}

/// Solver settings of the PEtab subcommands.
struct PEtabSolverOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Relative tolerance (default \(String(format: "%g", PEtabSettings().relativeTolerance))).")
    var rtol: Double?

    @Option(parsing: .unconditional, help: "Absolute tolerance (default \(String(format: "%g", PEtabSettings().absoluteTolerance))).")
    var atol: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Solver steps allowed between two output times (default \(PEtabSettings().maximumSteps); in a fit \(PEtabSettings.fitMaximumSteps)).")
    var maxSteps: Int?

    @Option(name: .customLong("linear-solver"), help: ArgumentHelp("Linear algebra for the Newton iteration (default auto).", valueName: "auto|dense|klu"))
    var linearSolver: LinearSolverChoice?

    @Flag(name: .customLong("native-code"), help: "Compile the model and its sensitivity equations to machine code with the system C compiler (cached in KINAPSE_CACHE): the same values, gradients a few per cent cheaper.")
    var nativeCode = false

    /// `--scaled-atol`'s help, shared with `kinapse fit`.
    static let scaledAtolHelp = "Scale each state's absolute tolerance to its size: rtol × the state's peak magnitude (found by a first run without sensitivities) where that is below --atol, as Simulink's AutoScaleAbsTol does. For states far smaller than --atol, which it would leave without a correct digit; each simulation runs twice where it applies."

    @Flag(name: .customLong("scaled-atol"), help: ArgumentHelp(Self.scaledAtolHelp))
    var scaledAtol = false

    func validate() throws {
        if let rtol { guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be between 0 and 1 (got \(rtol))") } }
        if let atol { guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive (got \(atol))") } }
        if let maxSteps { guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive (got \(maxSteps))") } }
    }

    func settings(gradient: Bool) -> PEtabSettings {
        var settings = PEtabSettings(rtol: rtol, atol: atol, maxSteps: maxSteps, linearSolver: linearSolver, nativeCode: nativeCode, gradient: gradient)
        settings.scaledAbsoluteTolerance = scaledAtol
        return settings
    }

    /// The settings of a fit: its own step limit unless --max-steps gives one.
    var fitSettings: PEtabSettings {
        var settings = PEtabSettings.fit(rtol: rtol, atol: atol, maxSteps: maxSteps, linearSolver: linearSolver, nativeCode: nativeCode)
        settings.scaledAbsoluteTolerance = scaledAtol
        return settings
    }
}

extension PEtabSettings {
    /// The defaults with what a command line gave (`nil`: keep the default); `kinapse petab`
    /// and `kinapse fit PROBLEM.yaml` both build their settings here.
    init(rtol: Double?, atol: Double?, maxSteps: Int?, linearSolver: LinearSolverChoice?, nativeCode: Bool, gradient: Bool) {
        self.init()
        if let rtol { relativeTolerance = rtol }
        if let atol { absoluteTolerance = atol }
        if let maxSteps { maximumSteps = maxSteps }
        if let linearSolver { self.linearSolver = linearSolver }
        self.nativeCode = nativeCode
        self.gradient = gradient
    }

    /// The settings of a fit (`kinapse fit PROBLEM.yaml`, `kinapse petab fit`): gradients, and
    /// the fit's own step limit (`fitMaximumSteps`) unless the command line gives one.
    static func fit(rtol: Double?, atol: Double?, maxSteps: Int?, linearSolver: LinearSolverChoice?, nativeCode: Bool) -> PEtabSettings {
        PEtabSettings(rtol: rtol, atol: atol, maxSteps: maxSteps ?? fitMaximumSteps, linearSolver: linearSolver,
                      nativeCode: nativeCode, gradient: true)
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
        abstract: "Log-likelihood, chi-square and priors at the nominal or a given point.",
        discussion: """
        Simulates every condition at the parameter table's nominal values (or at
        the values of --params) and prints PEtab's log-likelihood (llh), chi2, the
        priors' log density and the objective -(llh + log prior). --simulations
        writes the simulated value of every measurement as a PEtab simulation
        table. 'kinapse fit PROBLEM.yaml --evaluate' does the same.

        Example:
          kinapse petab llh problem.yaml --params fit/best_parameters.tsv \\
              --simulations simulations.tsv
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    @Option(help: ArgumentHelp("Evaluate at this parameter table's nominalValue column (e.g. a fit's best_parameters.tsv).", valueName: "FILE.tsv"))
    var params: String?

    @Option(help: ArgumentHelp("Write the simulation table (TSV).", valueName: "FILE.tsv"))
    var simulations: String?

    @Flag(help: "Also compute the gradient by forward sensitivities and print its norm.")
    var gradient = false

    @OptionGroup(title: "Solver")
    var solver: PEtabSolverOptions

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        try OutputCheck.refuseConflicts([("--simulations", simulations)], inputs: [problem] + [params].compactMap { $0 }, force: force)
    }

    func run() throws {
        try PEtabDriver.evaluate(problem, params: params, settings: solver.settings(gradient: gradient),
                                 simulations: simulations.map { ("--simulations", $0) }, force: force)
    }
}

struct PEtabFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the estimated parameters: multi-start Levenberg–Marquardt.",
        discussion: """
        Starts from a seeded Latin hypercube over the scaled bounds (a point the
        model cannot be simulated at is redrawn), runs bounded
        Levenberg–Marquardt from each with forward-sensitivity gradients, and
        reports PEtab's objective -(llh + log prior) of every start. Writes into
        --out-dir: starts.tsv (one row per start, best first),
        best_parameters.tsv (the parameter table with the best values as
        nominalValue, usable as the problem's parameter_file) and
        simulations.tsv (the simulation table at the best point). Normal noise
        and normal or uniform priors only (Laplace terms have no least-squares
        form). The same seed gives the same files, whatever --jobs, unless a
        budget cuts the fit short. 'kinapse fit PROBLEM.yaml' does the same.

        Example:
          kinapse petab fit problem.yaml --starts 1000 --jobs 1 --time-budget 180
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    @Option(parsing: .unconditional, help: "Starts of the multi-start (default \(PEtabFitOptions().starts)).")
    var starts: Int?

    @Option(parsing: .unconditional, help: "Seed of the Latin-hypercube starts.")
    var seed: UInt64 = 1

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Directory for the result files (created if missing).", valueName: "DIR"))
    var outDir: String = "petab-fit"

    @OptionGroup(title: "Budget")
    var budget: FitBudgetOptions

    @OptionGroup(title: "Local optimiser")
    var optimizer: PEtabOptimizerOptions

    @OptionGroup(title: "Solver")
    var solver: PEtabSolverOptions

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        if let starts { guard starts >= 1, starts <= Fit.maximumStarts else { throw ValidationError("--starts must be between 1 and \(Fit.maximumStarts) (got \(starts))") } }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
    }

    func run() throws {
        var options = optimizer.applied(to: PEtabFitOptions())
        if let starts { options.starts = starts }
        options.seed = seed
        if let jobs { options.jobs = jobs }
        try PEtabDriver.fit(problem, options: options, budget: budget, settings: solver.fitSettings,
                            outDir: outDir, quiet: quiet, force: force)
    }
}

/// How long a fit may run. Either budget stops handing out starts and ends running ones at
/// their best point, as Ctrl-C does.
struct FitBudgetOptions: ParsableArguments {
    @Option(name: .customLong("max-time"), parsing: .unconditional,
            help: ArgumentHelp("Wall-clock budget in seconds.", valueName: "SECONDS"))
    var maxTime: Double?

    @Option(name: .customLong("time-budget"), parsing: .unconditional,
            help: ArgumentHelp("CPU budget in seconds, every worker thread counted: the same work whatever else the machine runs.", valueName: "SECONDS"))
    var timeBudget: Double?

    func validate() throws {
        for (name, value) in [("--max-time", maxTime), ("--time-budget", timeBudget)] {
            if let value { guard value > 0, value.isFinite else { throw ValidationError("\(name) must be a positive number of seconds (got \(value))") } }
        }
    }

    var isSet: Bool { maxTime != nil || timeBudget != nil }

    /// Starts the clocks; call when the fit begins.
    func start(raising cancellation: CancellationFlag) {
        if let maxTime { cancellation.cancel(afterWallSeconds: maxTime) }
        if let timeBudget { cancellation.cancel(afterCPUSeconds: timeBudget) }
    }
}

/// The local optimiser's limits in a PEtab fit.
struct PEtabOptimizerOptions: ParsableArguments {
    @Option(name: .customLong("max-iterations"), parsing: .unconditional,
            help: "Accepted steps per start (default \(PEtabFitOptions().maxIterations)).")
    var maxIterations: Int?

    @Option(name: .customLong("stagnation-window"), parsing: .unconditional,
            help: ArgumentHelp("End a start once the steps it has left could not lower its objective by 0.1 at the pace of its last N accepted steps (default \(PEtabFitOptions().stagnation?.window ?? 0)), unless the trust radius rather than the landscape limits its steps or its gains are rising; 0 lets every start run to convergence or the iteration limit.", valueName: "N"))
    var stagnationWindow: Int?

    func validate() throws {
        if let maxIterations { guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be positive (got \(maxIterations))") } }
        if let stagnationWindow { guard stagnationWindow >= 0 else { throw ValidationError("--stagnation-window must be 0 or positive (got \(stagnationWindow))") } }
        if let multipleShooting { guard multipleShooting >= 2 else { throw ValidationError("--multiple-shooting needs at least 2 intervals (got \(multipleShooting)); without it the fit is single shooting") } }
        if multipleShooting != nil, let global, global != .multiStart { throw ValidationError("--multiple-shooting runs its own starts; it does not combine with --global \(global.rawValue)") }
    }

    @Option(name: .customLong("local-model"),
            help: "The quadratic model of each step: gauss-newton (Levenberg–Marquardt, the default) or secant-hybrid (adds a secant estimate of the residuals' curvature where that predicts better, as NL2SOL does).")
    var localModel: LocalModel?

    @Option(name: .customLong("bounds"),
            help: "How steps respect the bounds: active-set (hold variables on a bound, project or cut the step), reflective (Coleman & Li's interior reflective trust region, as lsqnonlin and fides; the default: it reached the most benchmark optima) or alternating (the first start active-set, the second reflective, and so on).")
    var bounds: StartBounds?

    @Option(name: .customLong("acceleration"),
            help: "A second-order correction of the Gauss–Newton steps: geodesic (the default; Transtrum & Sethna's geodesic acceleration: one extra simulation without sensitivities per trial step bends the step along a curved valley) or none.")
    var acceleration: StepAcceleration?

    @Option(name: .customLong("global"),
            help: "How the starts are placed: multi-start (the default: one local run from each Latin-hypercube point) or ess (enhanced scatter search, Egea, Martí & Banga 2010: a reference set evolved by cheap objective evaluations without gradient, with a local run after the first generation and every 10th, from the best and most diverse points) or cmaes (IPOP-CMA-ES, Hansen & Ostermeier 2001, Auger & Hansen 2005: covariance-matrix adaptation on plain simulations, restarted with a doubled population, with a local run from each run's best point); their local runs are the starts, --starts bounds their number; one thread.")
    var global: GlobalSearch?

    @Flag(help: "Write trace.tsv into --out-dir: every trial point of every start (objective, optimality, trust radius, step kind and norm, predicted and actual reduction, coordinates near a bound, acceleration against velocity). For diagnosing a few starts.")
    var trace = false

    @Flag(inversion: .prefixedNo,
          help: "Evaluate each trial point with the model's sensitivities (its gradient), or, with --no-trial-gradients (the default), without them and the gradient only once the step is accepted, as MINPACK's lmder does: a rejected step then costs one plain simulation instead of one with sensitivities.")
    var trialGradients: Bool?

    @Flag(inversion: .prefixedNo,
          help: "Internal doubling (Dennis & Schnabel 1983, the default): when the model predicted a step that the trust radius held back to within 10 %, try twice the radius from the same point before taking it, and again while that holds.")
    var internalDoubling: Bool?

    @Flag(inversion: .prefixedNo,
          help: "Hierarchical optimisation (Loos, Krause & Hasenauer 2018), the default where the model has sensitivities: solve scaling factors (y = s·h, lin observables) and noise levels (σ of normal noise) in closed form inside each evaluation and search only the other parameters. The summary names the parameters profiled; the results hold the full objective and every parameter. --no-hierarchical searches them all.")
    var hierarchical: Bool?

    @Option(name: .customLong("multiple-shooting"), parsing: .unconditional,
            help: ArgumentHelp("Multiple shooting (Bock 1981; Peifer & Timmer 2007) before each start's ordinary fit: cut each condition's measurement span into K intervals, each starting from estimated states, and fit with their continuity penalised in stages; then fit the problem itself from the parameters found. For oscillating data, whose single-shooting objective has optima out of phase. Autonomous models without events or pre-equilibration only.", valueName: "K"))
    var multipleShooting: Int?

    var isSet: Bool { maxIterations != nil || stagnationWindow != nil || localModel != nil || bounds != nil || acceleration != nil || trace || hierarchical != nil || trialGradients != nil || internalDoubling != nil || global != nil || multipleShooting != nil }

    func applied(to base: PEtabFitOptions) -> PEtabFitOptions {
        var options = base
        options.recordTrace = trace
        if let hierarchical { options.hierarchical = hierarchical }
        if let localModel { options.localModel = localModel }
        if let bounds { options.bounds = bounds }
        if let acceleration { options.acceleration = acceleration }
        if let global { options.global = global }
        if let multipleShooting { options.multipleShooting = multipleShooting }
        if let trialGradients { options.jacobianAtTrialPoints = trialGradients }
        if let internalDoubling { options.internalDoubling = internalDoubling }
        if let stagnationWindow {
            options.stagnation = stagnationWindow == 0 ? nil : StagnationTest(window: stagnationWindow, resolution: options.stagnation?.resolution ?? 0.1)
        }
        if let maxIterations {
            options.maxIterations = maxIterations
            options.maxEvaluations = max(options.maxEvaluations, 5 * maxIterations)
        }
        return options
    }
}

extension LocalModel: ExpressibleByArgument {}
extension StartBounds: ExpressibleByArgument {}
extension StepAcceleration: ExpressibleByArgument {}
extension GlobalSearch: ExpressibleByArgument {}

/// What `kinapse petab` and `kinapse fit PROBLEM.yaml` share: evaluating a point and fitting.
enum PEtabDriver {
    /// Prints llh, χ², log prior and objective at the nominal point or the one `params`
    /// gives; writes the simulation table when asked.
    static func evaluate(_ path: String, params: String?, settings: PEtabSettings,
                         simulations: (option: String, path: String)?, force: Bool) throws {
        let p = try PEtabReader.read(path: path)
        let theta = try params.map { try PEtabReader.point(parameterTable: $0, for: p) } ?? p.nominalTheta
        try OutputCheck.check([(simulations?.option ?? "--simulations", simulations?.path)], inputs: [path, p.modelPath], force: force)
        let model = try PEtabModel(p, settings: settings)
        let start = ContinuousClock.now, cpu = processCPUSeconds()
        let e: PEtabEvaluation
        do { e = try model.evaluate(theta: theta, gradient: settings.gradient) } catch {
            throw RunFailure([.error("the problem cannot be simulated at \(params == nil ? "its nominal parameters" : "the parameters of '\(params!)'"): \(error.description)")])
        }
        let seconds = (ContinuousClock.now - start).seconds
        let cpuSeconds = processCPUSeconds() - cpu
        var out = String(format: "llh %.6f\nchi2 %.6f\nlog prior %.6f\nobjective %.6f\n", e.logLikelihood, e.chiSquare, e.logPrior, e.objective)
        if let g = e.gradient {
            out += model.gradientUnavailable.map { "gradient: unavailable (\($0))\n" }
                ?? String(format: "gradient norm %.6g\n", g.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        // CPU time too: on a shared machine the wall time says more about the neighbours.
        out += String(format: "evaluated in %.4f s (CPU %.4f s)\n", seconds, cpuSeconds)
        if let simulations { try OutputCheck.write(PEtabTables.simulationTable(p, e), to: simulations.path, option: simulations.option, force: force) }
        StandardOutput.write(out)
    }

    /// The multi-start fit and its files in `outDir`.
    /// `startFrom`: a parameter table whose point is the first start, before the Latin hypercube's.
    static func fit(_ path: String, options: PEtabFitOptions, budget: FitBudgetOptions, settings: PEtabSettings,
                    outDir: String, quiet: Bool, force: Bool, startFrom: String? = nil) throws {
        let p = try PEtabReader.read(path: path)
        var options = options
        if let startFrom { options.additionalStarts = [try PEtabReader.point(parameterTable: startFrom, for: p)] }
        let names = ["starts.tsv", "best_parameters.tsv", "simulations.tsv"] + (options.recordTrace ? ["trace.tsv"] : [])
        func file(_ name: String) -> String { (outDir as NSString).appendingPathComponent(name) }
        do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
            throw DiagnosticsError(.error("--out-dir: cannot create '\(outDir)': \(error.localizedDescription)"))
        }
        try ResultManifest.refuseForeign(in: outDir)
        try OutputCheck.check((names + [ResultManifest.name]).map { ("--out-dir", file($0)) },
                              inputs: [path, p.modelPath] + (startFrom.map { [$0] } ?? []), force: force)
        let model = try PEtabModel(p, settings: settings)
        _ = try PEtabLeastSquares(model)
        // Profiling needs sensitivities; a problem with nothing to profile fits as usual without them.
        if options.hierarchical, model.providesGradient {
            let hierarchy = PEtabHierarchy(model)
            if !hierarchy.isEmpty { _ = try PEtabHierarchicalLeastSquares(model, hierarchy: hierarchy) }
        }
        let progress = ProgressReporter(total: options.starts + options.additionalStarts.count, label: "fit", quiet: quiet)
        let interruption = InterruptedRun(message: "kinapse fit: interrupted; writing the best result so far")
        defer { interruption.finished() }
        let clock = ContinuousClock(), began = clock.now, cpu = processCPUSeconds()
        budget.start(raising: interruption.cancellation)
        let outcome = try PEtabFitRun.run(model, options: options, cancellation: interruption.cancellation,
                                          progress: { progress.advance() })
        let wall = (clock.now - began).seconds, cpuSeconds = processCPUSeconds() - cpu
        // The same directory rules as any fit: an earlier fit's files it does not write again go.
        var files = FitResultFiles(outDir, problem: path, force: force)
        try files.write(outcome.startsTable, "starts.tsv")
        if options.recordTrace { try files.write(outcome.traceTable, "trace.tsv") }
        if let best = outcome.best, let evaluation = best.evaluation {
            try files.write(p.parameterTable(best.theta), "best_parameters.tsv")
            try files.write(PEtabTables.simulationTable(p, evaluation), "simulations.tsv")
        }
        try files.finish()
        StandardOutput.write(outcome.summary(wallTime: wall, cpuTime: cpuSeconds))
        if outcome.best == nil { throw RunFailure([.error("every start of the fit failed; starts.tsv says why")]) }
    }
}
