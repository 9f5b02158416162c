import ArgumentParser
import SourceDiagnostics
import Foundation
import KineticsCore
import ModelCompiler
import NativeCode
import CVODEIntegration
import Simulation
import Reporting
import SBMLTestSuite
import Fitting
import PathwayModel
import KinapseUtilities

/// Options of `simulate` that only apply to pathways (Antimony or SBML); `SynapseOptions`
/// holds those of synapses, and each group refuses itself for the other kind of model.
struct PathwayOptions: ParsableArguments {
    // `.unconditional` parsing lets a negative number reach validate(), which says what is
    // wrong with it, where the default parsing takes "-5" for an option and says "missing value".
    @Option(name: .customLong("t-end"), parsing: .unconditional, help: "End time of the simulation (model time units, usually s).")
    var tEnd: Double?

    @Option(help: ArgumentHelp("SBML Test Suite settings file (NNNNN-settings.txt): its time grid, columns and amount/concentration units replace --t-end, --points and --select.", valueName: "FILE"))
    var settings: String?

    @Option(parsing: .unconditional, help: "Number of output points, including 0 and --t-end (default 101, at most \(Simulate.maximumRows)).")
    var points: Int?

    @Option(help: ArgumentHelp("Comma-separated output columns: species, parameters, compartments, rule variables or reaction ids (rates).", valueName: "ID,…"))
    var select: String?

    @Flag(name: .customLong("allow-negative"), help: "Do not stop when a species goes negative beyond the solver tolerance.")
    var allowNegative = false

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: ArgumentHelp("Benchmarking: run the simulation N times in this process and report the median integration time (the output is the last run's).", visibility: .hidden))
    var repetitions: Int = 1

    /// Every option of this group that was given, as its name.
    var given: [String] {
        [("--t-end", tEnd != nil), ("--settings", settings != nil), ("--points", points != nil), ("--select", select != nil),
         ("--allow-negative", allowNegative), ("--repeat", repetitions != 1)].filter(\.1).map(\.0)
    }

    /// The pathway run's own checks; `dt` and `nativeCode` are shared with synapses.
    func validate(dt: Double?, nativeCode: Bool) throws {
        if settings != nil {
            if tEnd != nil || points != nil || dt != nil || select != nil { throw ValidationError("--settings replaces --t-end, --points, --dt and --select") }
            if nativeCode { throw ValidationError("--native-code does not apply to --settings: SBML Test Suite cases run interpreted") }
        } else {
            guard let tEnd else { throw ValidationError("give --t-end (or --settings)") }
            guard tEnd.isFinite, tEnd > 0 else { throw ValidationError("--t-end must be positive (got \(tEnd))") }
            if let dt, dt > 0, dt.isFinite { try Simulate.validateStep(dt, end: tEnd) }
        }
        if points != nil && dt != nil { throw ValidationError("give either --points or --dt, not both") }
        if let points {
            guard points >= 2 else { throw ValidationError("--points must be positive and at least 2: the start and --t-end (got \(points))") }
            guard points <= Simulate.maximumRows else {
                throw ValidationError("--points \(points) is more than the limit of \(Simulate.maximumRows) rows (about 1 GB of CSV); write fewer points or a shorter span")
            }
        }
        guard (1...10_000).contains(repetitions) else { throw ValidationError("--repeat must be between 1 and 10000") }
    }

    func rejectForSynapse() throws {
        guard !given.isEmpty else { return }
        throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to pathways, not to a synapse: its protocol sets the duration, and every species, Pr and N are written on the protocol's grid (--dt sets its spacing)")
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a pathway, or a protocol on a synapse.",
        discussion: """
        A pathway (.ant): CSV with a header `time,<columns>` and one row per
        output time from 0 to --t-end inclusive. Columns are the floating species
        in declaration order, or --select.

        A synapse (.toml) with --protocol: the protocol's baseline, induction and
        follow-up; prints the change in IPSC, PPR, 1/CV², N and Pr and the
        inferred site; --out, --readouts, --summary and --plot write the rest.
        A biophysical synapse (one with a [recording]) fires every test stimulus
        as presynaptic spikes through the model and reads the recorded IPSC (pA,
        voltage clamp) or IPSP (mV, current clamp), E_GABA, [Cl⁻]ᵢ and V_m.

        Units: Kinapse does not convert units. The shipped library writes time in s
        and concentrations in µM (reaction rates in µM/s; Pathways/README.md), and
        figures label their axes so. Synapse readouts: conductance in nS, current
        in pA, IPSC amplitude in % of the baseline mean, minutes from induction in
        min, changes in %.

        --dt must divide --t-end into whole steps: output times are exact multiples
        of --dt, never stretched to fit. On a synapse it must divide the protocol's
        test interval, so that a row falls on every test stimulus.

        --method ssa or tau-leap runs a pathway stochastically in molecule counts
        (--volume sets how many): --trials runs, written as X_mean and X_sd per
        column (or every trial with --per-trial); the same --seed gives the same
        file whatever --jobs. --method hybrid keeps fast reactions deterministic;
        on a synapse it counts each --discrete variable (e.g. receptors) in whole
        units and gives the amplitude change of every trial. See docs/stochastic.md.

        Examples:
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 60 --points 601
          kinapse simulate Fixtures/crosscheck/events.ant --t-end 30 --dt 0.5 \\
              --set k=0.2 --select A,B,J1 --out run.csv --stats
          kinapse simulate Pathways/synapses/vta_no.toml --protocol hfs \\
              --block L-NAME --readouts tests.csv
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 2 --method ssa \\
              --volume 0.1 --trials 1000 --seed 7 --out spread.csv
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML), or a synapse definition (.toml) with --protocol; a shipped one also by name (see 'kinapse pathways', 'kinapse synapses').")
    var model: String

    /// The file `model` names: a path, or a shipped pathway or synapse by name.
    var modelPath: String { LibraryLookup.resolve(model) ?? model }

    @OptionGroup(title: "Pathways")
    var pathwayOptions: PathwayOptions

    @OptionGroup(title: "Synapses")
    var synapseOptions: SynapseOptions

    @OptionGroup(title: "Stochastic")
    var stochastic: StochasticOptions

    @Option(parsing: .unconditional, help: "Output spacing (instead of --points); must divide --t-end into whole steps (a synapse: its protocol's test interval).")
    var dt: Double?

    @Option(help: "Write CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override an initial value or parameter, e.g. --set k1=0.5 (repeatable).", valueName: "ID=VALUE"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Parameter values from a file, e.g. the best_parameters.toml of 'kinapse fit' (--set still overrides them).", valueName: "FILE"))
    var params: String?

    @Flag(help: "Print solver statistics and timings to standard error.")
    var stats = false

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @Option(help: ArgumentHelp("Also draw the run as SVG: time courses for a pathway; Pr, N and the normalised IPSC for a synapse.", valueName: "FIG.svg"))
    var plot: String?

    @Flag(help: "Replace read-only output files.")
    var force = false

    /// Output rows: with 8 bytes per value and typically tens of columns, 10 million rows
    /// are gigabytes of memory and CSV, beyond any figure or analysis this tool serves.
    static let maximumRows = 10_000_000

    /// A synapse by content, so that a synapse named `.ant` or a pathway named `.toml` go
    /// where they belong; by extension when the file cannot be read (its error comes later).
    var isSynapse: Bool {
        FileKind.of(path: modelPath).map { $0 == .synapse } ?? modelPath.lowercased().hasSuffix(".toml")
    }

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
        try stochastic.validate(for: self)
        if isSynapse {
            try pathwayOptions.rejectForSynapse()
            if stochastic.isStochastic { return }
            try synapseOptions.validate(for: self)
            return
        }
        if !stochastic.isStochastic { try synapseOptions.rejectForPathway() }
        if let kind = FileKind.of(path: modelPath), kind != .pathway, kind != .sbml {
            throw ValidationError("'\(modelPath)' is \(kind.rawValue), not a pathway or synapse; \(kind.usage)")
        }
        try pathwayOptions.validate(dt: dt, nativeCode: solver.nativeCode)
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be positive (got \(dt))") }
        try OutputCheck.refuseConflicts(outputs, inputs: [modelPath] + (pathwayOptions.settings.map { [$0] } ?? []) + (params.map { [$0] } ?? []), force: force)
        _ = try parsedAssignments()
    }

    var outputs: [(option: String, path: String?)] { [("--out", out), ("--plot", plot)] }

    /// Output times are exact multiples of --dt, so a step that does not divide the span is
    /// refused (rather than silently stretched to fit), with the nearest steps that do.
    static func validateStep(_ dt: Double, end: Double) throws {
        let steps = end / dt
        guard steps <= Double(maximumRows) else {
            throw ValidationError("--dt \(dt) would write \(Int(steps)) rows, more than the limit of \(maximumRows) (about 1 GB of CSV); use a larger --dt")
        }
        guard abs(steps - steps.rounded()) > 1e-9 * max(1, steps) else { return }
        let fewer = end / steps.rounded(.down), more = end / steps.rounded(.up)
        // Only steps that still divide the span once printed are worth suggesting.
        let options = [more, fewer].map { String(format: "%g", $0) }.filter { text in
            guard let step = Double(text), step > 0 else { return false }
            let n = end / step
            return abs(n - n.rounded()) <= 1e-9 * max(1, n)
        }.map { "--dt \($0)" }
        throw ValidationError("--dt \(String(format: "%g", dt)) does not divide --t-end \(String(format: "%g", end)) (\(String(format: "%g", steps)) steps); output times are exact multiples of --dt\n"
                              + "hint: use \(options.joined(separator: " or ")), or --t-end \(String(format: "%g", steps.rounded(.up) * dt)), or --points N")
    }

    /// A synapse's rows fall on every test stimulus, so its step must divide the protocol's
    /// test interval; any other step is refused (rather than rounded to one that does), with
    /// the nearest steps that do.
    static func validateSynapseStep(_ dt: Double, testInterval: Double, protocolName: String) throws(DiagnosticsError) {
        guard dt > 0, dt.isFinite else { throw DiagnosticsError(.error("--dt must be positive (got \(dt))")) }
        let steps = testInterval / dt
        if abs(steps - steps.rounded()) <= 1e-9 * max(1, steps), steps.rounded() >= 1 { return }
        guard steps < Double(maximumRows) else {
            throw DiagnosticsError(.error("--dt \(dt) is more than \(maximumRows) steps per test interval of protocol '\(protocolName)' (\(String(format: "%g", testInterval)) s)", hint: "use a larger --dt"))
        }
        // Only steps that still divide the interval once printed are worth suggesting.
        func divides(_ n: Int) -> String? {
            let text = String(format: "%g", testInterval / Double(n))
            guard let step = Double(text), step > 0 else { return nil }
            let k = testInterval / step
            return abs(k - k.rounded()) <= 1e-9 * max(1, k) ? text : nil
        }
        let below = steps < 1 ? nil : (1...Int(steps.rounded(.down))).reversed().lazy.compactMap(divides).first
        let above = (Int(max(1, steps.rounded(.up)))...Int(max(1, steps.rounded(.up))) + 1000).lazy.compactMap(divides).first
        let options = [below, above].compactMap { $0 }.map { "--dt \($0)" }
        let interval = String(format: "%g", testInterval)
        let problem = steps < 1 ? "is longer than the test interval of protocol '\(protocolName)' (\(interval) s)"
            : "does not divide the test interval of protocol '\(protocolName)' (\(interval) s) into whole steps"
        throw DiagnosticsError(.error("--dt \(String(format: "%g", dt)) \(problem); a synapse's rows fall on every test stimulus, so its step is the interval divided by a whole number",
                                      hint: "use \(options.joined(separator: " or "))"))
    }

    func parsedAssignments() throws -> [(name: String, value: Double)] { try Assignments.parse(assignments) }

    /// `--params FILE` values (checked against `names`), then `--set` values, which win.
    func overrides(names: some Collection<String>) throws -> [(name: String, value: Double)] {
        try Assignments.overrides(params: params, assignments: assignments, names: names)
    }

    func run() throws {
        if isSynapse { return stochastic.isStochastic ? try runStochasticSynapse() : try SynapseCommand(options: synapseOptions, simulate: self).run() }
        if let settings = pathwayOptions.settings { return try runWithSettings(settings) }
        if stochastic.isStochastic { return try runStochastic() }
        let tEnd = pathwayOptions.tEnd ?? 1
        let clock = ContinuousClock()
        let compileStart = clock.now
        let compileCPUStart = threadCPUSeconds()
        let pathway = try ModelLoading.loadPathway(modelPath)
        var compiled = try ModelCompiler.compile(pathway)
        var native: NativeCode.Outcome?
        if solver.nativeCode { (compiled, native) = try NativeCode.compile(compiled) }
        let compileTime = clock.now - compileStart
        let compileCPUTime = threadCPUSeconds() - compileCPUStart

        let grid = dt.map { TimeGrid(end: tEnd, step: $0) } ?? TimeGrid(end: tEnd, count: pathwayOptions.points ?? 101)
        let options = solver.applied(to: IntegratorOptions())
        let columns = pathwayOptions.select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Self.defaultColumns(compiled, pathway)
        if columns.isEmpty {
            Console.error("warning: '\(modelPath)' has no state variables (no floating species, no rate rules): the output has only the time column")
        }
        var request = SimulationRequest(grid: grid, columns: columns, overrides: try overrides(names: compiled.symbols.keys), options: options)
        request.stopOnNegativeConcentration = !pathwayOptions.allowNegative
        // Every input is read by now (the model's imports, --params): no output may be one.
        try OutputCheck.check(outputs, force: force)

        var result: SimulationResult?
        var integrationTimes: [Duration] = []
        var cpuTimes: [Double] = []
        let simulator = Simulator(model: compiled)
        for _ in 0..<pathwayOptions.repetitions {
            let simulateStart = clock.now
            let cpuStart = threadCPUSeconds()
            result = try simulator.run(request)
            integrationTimes.append(clock.now - simulateStart)
            cpuTimes.append(threadCPUSeconds() - cpuStart)
        }
        guard let result else { return }
        let integrationTime = integrationTimes.sorted()[integrationTimes.count / 2]
        let integrationCPUTime = cpuTimes.sorted()[cpuTimes.count / 2]

        if let out {
            try OutputCheck.write(to: out, option: "--out", force: force) { file in
                CSVWriter.write(result.trajectory, to: &file)
                if let failure = result.failure { file.write(CSVWriter.partialMarker(failure.summary)) }
            }
        } else {
            StandardOutput.write(CSVWriter.text(result.trajectory) + (result.failure.map { CSVWriter.partialMarker($0.summary) } ?? ""))
        }
        if let plot { try PlotOutput.pathway(result.trajectory, of: pathway, to: plot, force: force) }
        if stats {
            printStatistics(result, compile: compileTime, compileCPU: compileCPUTime, integration: integrationTime, cpu: integrationCPUTime, native: native)
            if let sparsity = compiled.jacobianSparsity {
                Console.error(String(format: "LU fill (symbolic): %.4f", LinearSolverChoice.factorFill(of: sparsity)))
            }
        }
        warnAboutNonFiniteColumns(result.trajectory)
        if let failure = result.failure {
            let accept = failure.isNegativeSpecies ? [Diagnostic(.note, "--allow-negative runs on with negative values")] : []
            throw RunFailure(failure.diagnostics + accept + [Diagnostic(.note, "the \(result.trajectory.rowCount) rows computed before the failure were written"
                                                               + (out.map { " to \($0)" } ?? "") + ", marked by a last line '# partial: …'")])
        }
    }

    /// The floating species, then the parameters a rate rule changes: both are state, so both are output.
    static func defaultColumns(_ compiled: CompiledModel, _ pathway: Pathway) -> [String] {
        compiled.defaultColumns + pathway.rateRules.map(\.variable).filter { !compiled.defaultColumns.contains($0) }
    }

    /// A column that is NaN or infinite (a rule like `log(x - 2)` with x < 2; the states
    /// themselves are checked by the solver) is written as such, but never silently.
    func warnAboutNonFiniteColumns(_ trajectory: Trajectory) {
        for (c, name) in trajectory.columns.enumerated() {
            guard let row = (0..<trajectory.rowCount).first(where: { !trajectory.value(row: $0, column: c).isFinite }) else { continue }
            let count = (0..<trajectory.rowCount).filter { !trajectory.value(row: $0, column: c).isFinite }.count
            let value = trajectory.value(row: row, column: c)
            Console.error("warning: column '\(name)' is \(value.isNaN ? "NaN" : "infinite") from t = \(trajectory.times[row]) (\(count) of \(trajectory.rowCount) rows)"
                          + "\nhint: check the expression that defines '\(name)' for division by zero, log or square root of a negative value, or overflow")
        }
    }

    /// `--settings`: exactly the columns, units and grid an SBML Test Suite case asks for.
    func runWithSettings(_ path: String) throws {
        let parsed: CaseSettings
        do { parsed = try CaseSettings(path: path) } catch {
            throw DiagnosticsError(.error("cannot read settings '\(path)': \(error)"))
        }
        let options = solver.applied(to: SuiteRunner.options)
        let (trajectory, failure) = try SuiteRunner.simulate(modelPath: modelPath, settings: parsed, options: options)
        var csv = CSVWriter.text(trajectory)
        if let failure { csv += CSVWriter.partialMarker(failure.summary) }
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }
        if let failure { throw failure }
    }

    /// How the equations ran, for `--stats`.
    static func describe(_ native: NativeCode.Outcome?) -> String {
        switch native {
        case nil: return "bytecode"
        case .cached: return "native code (cached)"
        case .compiled(let seconds): return String(format: "native code (compiled in %.3f s)", seconds)
        }
    }

    func printStatistics(_ result: SimulationResult, compile: Duration, compileCPU: Double, integration: Duration, cpu: Double,
                         native: NativeCode.Outcome?) {
        let s = result.statistics
        func seconds(_ d: Duration) -> String {
            let c = d.components
            return String(format: "%.6f", Double(c.seconds) + Double(c.attoseconds) * 1e-18)
        }
        Console.error("""
        steps: \(s.steps)
        rhs evaluations: \(s.rhsEvaluations)
        jacobian evaluations: \(s.jacobianEvaluations)
        error-test failures: \(s.errorTestFailures)
        nonlinear convergence failures: \(s.nonlinearConvergenceFailures)
        root-function evaluations: \(s.rootEvaluations)
        reinitialisations: \(s.reinitialisations)
        events executed: \(result.eventsExecuted)
        linear solver: \(result.linearSolver.rawValue)
        evaluator: \(Self.describe(native))
        compile time: \(seconds(compile)) s
        compile cpu time: \(String(format: "%.6f", compileCPU)) s
        integration time: \(seconds(integration)) s
        integration cpu time: \(String(format: "%.6f", cpu)) s
        """)
    }
}
