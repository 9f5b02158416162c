import ArgumentParser
import Foundation
import KineticsCore
import ModelCompiler
import NativeCode
import CVODEIntegration
import Simulation
import Reporting
import SBMLTestSuite
import Fitting

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

        Examples:
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 60 --points 601
          kinapse simulate model.ant --t-end 100 --dt 0.5 --set k1=2 \\
              --select A,B,J1 --out run.csv --stats
          kinapse simulate Pathways/synapses/vta_no.toml --protocol hfs \\
              --block L-NAME --readouts tests.csv
        """
    )

    @Argument(help: "Pathway file (.ant), or a synapse definition (.toml) with --protocol.")
    var model: String

    @Option(name: .customLong("t-end"), help: "End time of the simulation (model time units, usually s); pathways only.")
    var tEnd: Double?

    @Option(help: ArgumentHelp("SBML Test Suite settings file (NNNNN-settings.txt): its time grid, columns and amount/concentration units replace --t-end, --points and --select.", valueName: "FILE"))
    var settings: String?

    @OptionGroup(title: "Synapses")
    var synapseOptions: SynapseOptions

    @Option(help: "Number of output points, including 0 and --t-end (default 101).")
    var points: Int?

    @Option(help: "Output spacing (instead of --points).")
    var dt: Double?

    @Option(help: "Write CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override an initial value or parameter, e.g. --set k1=0.5 (repeatable).", valueName: "ID=VALUE"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Parameter values from a file, e.g. the best_parameters.toml of 'kinapse fit' (--set still overrides them).", valueName: "FILE"))
    var params: String?

    @Option(help: "Relative tolerance.")
    var rtol: Double = 1e-6

    @Option(help: "Absolute tolerance.")
    var atol: Double = 1e-12

    @Option(name: .customLong("max-steps"), help: "Solver steps allowed between two output times.")
    var maxSteps: Int = 100_000

    @Option(help: ArgumentHelp("Comma-separated output columns: species, parameters, compartments, rule variables or reaction ids (rates).", valueName: "ID,…"))
    var select: String?

    @Flag(name: .customLong("allow-negative"), help: "Do not stop when a species goes negative beyond the solver tolerance.")
    var allowNegative = false

    @Option(name: .customLong("linear-solver"), help: ArgumentHelp("Linear algebra for the Newton iteration: dense, klu (sparse LU), or auto (dense below \(LinearSolverChoice.sparseThreshold) states or when the LU factors fill in, klu otherwise).", valueName: "auto|dense|klu"))
    var linearSolver: String = LinearSolverChoice.automatic.rawValue

    @Flag(help: "Print solver statistics and timings to standard error.")
    var stats = false

    @Flag(name: .customLong("native-code"), help: "Compile the model's equations to machine code with the system C compiler (clang, cc or gcc; KINAPSE_CC overrides) instead of interpreting them: same results, faster runs. Compiled models are cached (KINAPSE_CACHE, default ~/.cache/kinapse/native).")
    var nativeCode = false

    @Option(help: ArgumentHelp("Also draw the run as SVG: time courses for a pathway; Pr, N and the normalised IPSC for a synapse.", valueName: "FIG.svg"))
    var plot: String?

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Benchmarking: run the simulation N times in this process and report the median integration time (the output is the last run's).", visibility: .hidden))
    var repetitions: Int = 1

    var isSynapse: Bool { model.lowercased().hasSuffix(".toml") }

    func validate() throws {
        if isSynapse {
            try synapseOptions.validate(for: self)
            return
        }
        try synapseOptions.rejectForPathway()
        if settings != nil {
            if tEnd != nil || points != nil || dt != nil || select != nil { throw ValidationError("--settings replaces --t-end, --points, --dt and --select") }
        } else {
            guard let tEnd else { throw ValidationError("give --t-end (or --settings)") }
            guard tEnd.isFinite, tEnd > 0 else { throw ValidationError("--t-end must be a positive number (got \(tEnd))") }
            if let dt, tEnd / dt > 10_000_000 { throw ValidationError("--dt \(dt) would write more than 10 million rows") }
        }
        if points != nil && dt != nil { throw ValidationError("give either --points or --dt, not both") }
        if let points, points < 2 { throw ValidationError("--points must be at least 2 (got \(points))") }
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be a positive number (got \(dt))") }
        guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be between 0 and 1 (got \(rtol))") }
        guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive (got \(atol))") }
        guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive") }
        guard LinearSolverChoice(rawValue: linearSolver) != nil else {
            throw ValidationError("--linear-solver must be auto, dense or klu (got '\(linearSolver)')")
        }
        guard (1...10_000).contains(repetitions) else { throw ValidationError("--repeat must be between 1 and 10000") }
        try OutputCheck.refuseConflicts([("--out", out), ("--plot", plot)], inputs: [model] + (settings.map { [$0] } ?? []))
        _ = try parsedAssignments()
    }

    func parsedAssignments() throws -> [(name: String, value: Double)] {
        try assignments.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]) else {
                throw ValidationError("--set expects ID=VALUE with a number, e.g. --set k1=0.5 (got '\(text)')")
            }
            return (parts[0], v)
        }
    }

    /// `--params FILE` values (checked against `names`), then `--set` values, which win.
    func overrides(names: some Collection<String>) throws -> [(name: String, value: Double)] {
        var out: [(name: String, value: Double)] = []
        if let params {
            do { out = try ParameterFile.read(path: params, knownNames: names) } catch {
                Console.report(error.diagnostics)
                throw Status.badInput
            }
        }
        return out + (try parsedAssignments())
    }

    func run() throws {
        if isSynapse { return try SynapseCommand(options: synapseOptions, simulate: self).run() }
        if let settings { return try runWithSettings(settings) }
        let tEnd = self.tEnd ?? 1
        let clock = ContinuousClock()
        let compileStart = clock.now
        let compileCPUStart = Self.threadCPUSeconds()
        let pathway = try ModelLoading.loadPathway(model)
        var compiled = try ModelLoading.compile(pathway)
        var native: NativeCode.Outcome?
        if nativeCode { (compiled, native) = try ModelLoading.nativeCode(for: compiled) }
        let compileTime = clock.now - compileStart
        let compileCPUTime = Self.threadCPUSeconds() - compileCPUStart

        let grid = dt.map { TimeGrid(end: tEnd, step: $0) } ?? TimeGrid(end: tEnd, count: points ?? 101)
        var options = IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol, maximumSteps: maxSteps)
        options.maximumStepSize = 0
        options.linearSolver = LinearSolverChoice(rawValue: linearSolver) ?? .automatic
        let columns = select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        var request = SimulationRequest(grid: grid, columns: columns, overrides: try overrides(names: compiled.symbols.keys), options: options)
        request.stopOnNegativeConcentration = !allowNegative

        var result: SimulationResult?
        var integrationTimes: [Duration] = []
        var cpuTimes: [Double] = []
        let simulator = Simulator(model: compiled)
        for _ in 0..<repetitions {
            let simulateStart = clock.now
            let cpuStart = Self.threadCPUSeconds()
            do {
                result = try simulator.run(request)
            } catch {
                Console.error("error: \(error.message)" + (error.hint.map { "\nhint: \($0)" } ?? ""))
                throw Status.badInput
            }
            integrationTimes.append(clock.now - simulateStart)
            cpuTimes.append(Self.threadCPUSeconds() - cpuStart)
        }
        guard let result else { return }
        let integrationTime = integrationTimes.sorted()[integrationTimes.count / 2]
        let integrationCPUTime = cpuTimes.sorted()[cpuTimes.count / 2]

        var csv = CSVWriter.text(result.trajectory)
        if let failure = result.failure { csv += CSVWriter.partialMarker(failure.summary) }
        if let out {
            do { try AtomicFile.write(csv, to: out) } catch {
                Console.error("error: \(error)")
                throw Status.badInput
            }
        } else {
            FileHandle.standardOutput.write(Data(csv.utf8))
        }
        if let plot { try PlotOutput.pathway(result.trajectory, to: plot) }
        if stats {
            printStatistics(result, compile: compileTime, compileCPU: compileCPUTime, integration: integrationTime, cpu: integrationCPUTime, native: native)
            if let sparsity = compiled.jacobianSparsity {
                Console.error(String(format: "LU fill (symbolic): %.4f", LinearSolverChoice.factorFill(of: sparsity)))
            }
        }
        warnAboutNonFiniteColumns(result.trajectory)
        if let failure = result.failure {
            Console.error("error: \(failure)")
            Console.error("note: the \(result.trajectory.rowCount) rows computed before the failure were written" +
                          (out.map { " to \($0)" } ?? "") + ", marked by a last line '# partial: …'")
            throw Status.simulationFailed
        }
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
            Console.error("error: cannot read settings '\(path)': \(error)")
            throw Status.badInput
        }
        var options = SuiteRunner.options
        if rtol != 1e-6 { options.relativeTolerance = rtol }
        if atol != 1e-12 { options.absoluteTolerance = atol }
        do {
            let (trajectory, failure) = try SuiteRunner.simulate(modelPath: model, settings: parsed, options: options)
            var csv = CSVWriter.text(trajectory)
            if let failure { csv += CSVWriter.partialMarker(failure.summary) }
            if let out { try AtomicFile.write(csv, to: out) } else { FileHandle.standardOutput.write(Data(csv.utf8)) }
            if let failure {
                Console.error("error: \(failure)")
                throw Status.simulationFailed
            }
        } catch let error as SuiteRunner.Failure {
            Console.error("error: \(error.description)")
            throw Status.badInput
        }
    }

    /// CPU time of the calling thread: on a shared machine it measures the work done,
    /// where wall time also counts time spent waiting for a core.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
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
