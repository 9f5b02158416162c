import ArgumentParser
import Foundation
import SourceDiagnostics
import Reporting
import Optimization
import KinapseUtilities
import Fitting
import Plotting
import PEtab

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate parameters from data: multi-start least squares, profile likelihoods.",
        discussion: """
        Reads a fit problem (docs/file-formats.md): a model, experiments with
        their data, observables and the parameters to estimate. Prints the best
        parameters, residuals per experiment and the starts sorted by objective
        (a waterfall); writes best_parameters.toml (for 'kinapse simulate
        --params'), starts.csv, fit_<experiment>.csv (data, fitted values and
        residuals), curve_<experiment>.csv (the fitted time course between the
        data times), and with profiles intervals.csv and profiles.csv into
        --out-dir. The same seed gives the same files, whatever --jobs.

        --out-dir is checked writable and locked (a file .kinapse-fit.lock, removed
        at exit) before fitting, so two fits never write into one directory at once.
        Its manifest.txt lists the files of the fit that wrote them; a later fit
        into the same directory removes the earlier fit's files it does not write
        again, so the directory never mixes two fits. No output may be a file the
        fit reads (problem, model, data, protocol). If an output cannot be written
        after the fit, the best result is printed to standard output and the exit
        status is 2.

        A PEtab v1 problem (its YAML file; docs/petab.md) is fitted as 'kinapse petab
        fit' does, writing starts.tsv, best_parameters.tsv and simulations.tsv;
        with --evaluate nothing is fitted: the objective, llh and chi2 at the
        nominal parameters (or those of --params) are printed and the simulation
        table is written to --out-dir; without --evaluate, --params is the first
        start of the fit (to continue an earlier fit). PEtab problems integrate at
        rtol 1e-8, atol 1e-12, and in a fit with at most 10000 solver steps between
        two outputs (AMICI's default), unless --rtol/--atol/--max-steps say
        otherwise. A start of a PEtab fit ends once the steps it has left could not
        lower its objective by 0.1 at the pace of its last 25 (status 'stalled';
        --stagnation-window).

        Examples:
          kinapse fit Boehm_JProteomeRes2014.yaml --starts 10000 --time-budget 180 \\
              --jobs 1
          kinapse fit Boehm_JProteomeRes2014.yaml --evaluate --params best.tsv
          kinapse fit Fixtures/fit/hippocampal_bdnf/problem.toml --starts 2 \\
              --no-profiles --out-dir fit-out --plot fit.svg   (a rig: ~10 min a start)
          kinapse simulate Pathways/synapses/hippocampal_bdnf.toml \\
              --protocol hfs --params fit-out/best_parameters.toml
        """)

    @Argument(help: "Fit problem (.toml), or a PEtab problem (.yaml).")
    var problem: String

    @Option(parsing: .unconditional, help: "Starts of the multi-start (default: the problem's, else 20; at most \(Fit.maximumStarts)); for a PEtab problem with --params, 0 runs the start from that point alone.")
    var starts: Int?

    @Option(parsing: .unconditional, help: "Seed of the Latin-hypercube starts (default: the problem's, else 1).")
    var seed: UInt64?

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Directory for the result files (created if missing).", valueName: "DIR"))
    var outDir: String = "fit-results"

    @Option(help: ArgumentHelp("Also draw data and fitted curves as SVG, one panel per experiment and observable.", valueName: "FIG.svg"))
    var plot: String?

    @OptionGroup(title: "Budget")
    var budget: FitBudgetOptions

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @OptionGroup(title: "PEtab problems")
    var optimizer: PEtabOptimizerOptions

    @Flag(name: .customLong("scaled-atol"), help: ArgumentHelp("PEtab problems: " + PEtabSolverOptions.scaledAtolHelp.prefix(1).lowercased() + PEtabSolverOptions.scaledAtolHelp.dropFirst()))
    var scaledAtol = false

    @Flag(help: "PEtab problems: evaluate instead of fitting (objective, llh, chi2 and simulations.tsv).")
    var evaluate = false

    @Option(help: ArgumentHelp("PEtab problems: a parameter table (e.g. a fit's best_parameters.tsv): with --evaluate the point to evaluate, else the first start of the fit, before the Latin hypercube's.", valueName: "FILE.tsv"))
    var params: String?

    @Flag(name: .customLong("no-profiles"), help: "Skip the profile likelihoods.")
    var noProfiles = false

    @Option(help: ArgumentHelp("Gradients: 'sensitivities' (CVODES forward sensitivities, the default; a model whose events fire on state-dependent conditions falls back to finite differences, and the report says so) or 'fd' (central finite differences).", valueName: "METHOD"))
    var gradient: String = "sensitivities"

    @OptionGroup(title: "Job arrays")
    var sharding: ShardOptions

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Flag(help: "Replace read-only output files.")
    var force = false

    /// Each start is a full local optimisation (hundreds of simulations); 100 000 of them
    /// is days of work and a starts.csv of that many rows.
    static let maximumStarts = 100_000

    func validate() throws {
        // With --params a PEtab fit may run that one start alone: a local fit from a given point.
        if let starts, starts < (params != nil && isPEtab && !evaluate ? 0 : 1) {
            throw ValidationError("--starts must be positive (got \(starts)); 0 only with --params, for the local fit from that point alone")
        }
        if let starts, starts > Self.maximumStarts {
            throw ValidationError("--starts \(starts) is more than the limit of \(Self.maximumStarts): each start is a full local fit, so that many would run for days")
        }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        guard GradientMethod(rawValue: gradient) != nil else {
            throw ValidationError("--gradient is 'sensitivities' or 'fd' (got '\(gradient)')")
        }
        if (outDir as NSString).standardizingPath == (problem as NSString).standardizingPath {
            throw ValidationError("--out-dir is the problem file itself")
        }
        try OutputCheck.refuseConflicts([("--plot", plot), sharding.output], inputs: [problem], force: force)
        if isPEtab {
            let unused = [("--plot", plot != nil), ("--gradient", gradient != "sensitivities"),
                          ("--shard", sharding.shard != nil)].filter(\.1).map(\.0)
            if let first = unused.first { throw ValidationError("\(first) does not apply to a PEtab problem") }
        } else {
            let petabOnly = [("--evaluate", evaluate), ("--params", params != nil), ("--scaled-atol", scaledAtol), ("--max-iterations/--stagnation-window/--local-model/--bounds/--acceleration/--trace/--[no-]hierarchical/--[no-]trial-gradients/--[no-]internal-doubling/--global/--multiple-shooting", optimizer.isSet)].filter(\.1).map(\.0)
            if let first = petabOnly.first { throw ValidationError("\(first) applies to PEtab problems (.yaml); '\(problem)' is a fit problem") }
        }
    }

    /// A PEtab problem's YAML file, judged by its content.
    var isPEtab: Bool { FileKind.of(path: problem) == .petabProblem }

    func run() throws {
        if isPEtab { return try runPEtab() }
        var fitProblem = try FitProblemReader.read(path: problem)
        fitProblem.options = solver.applied(to: fitProblem.options)
        let settings = FitSettings(problem: fitProblem, starts: starts, seed: seed, jobs: jobs ?? MultiStartOptions.availableCores,
                                   gradient: GradientMethod(rawValue: gradient)!, profiles: noProfiles ? false : nil)
        let progress = ProgressReporter(total: settings.starts, label: "fit", quiet: quiet)
        let profiles = ProgressReporter(total: fitProblem.parameters.count, label: "profiles", quiet: quiet)
        // Ctrl-C (or SIGTERM): the running starts stop at their best point so far, no new
        // start begins, and the files below are written, marked partial.
        let interruption = InterruptedRun(message: "kinapse fit: interrupted; writing the best result so far")
        defer { interruption.finished() }
        let cancellation = interruption.cancellation
        // Declared after the interruption's `defer`, so the lock is gone before the process ends.
        let lock = try OutputDirectoryLock(outDir)
        defer { lock.release() }
        try ResultManifest.refuseForeign(in: outDir)
        // Every input (problem, model, data, protocols) is read by now: no output may be one.
        try OutputCheck.check(resultNames(fitProblem).map { ("--out-dir", path($0)) } + [("--plot", plot), sharding.output], force: force)
        sharding.install(force: force, cleanup: { lock.release() })
        budget.start(raising: cancellation)
        let outcome = try FitRunner.run(fitProblem, settings: settings, cancellation: cancellation,
                                        progress: { _ in progress.advance() },
                                        profileProgress: { _, _ in profiles.advance() })
        do {
            try writeResults(outcome)
        } catch {
            // The fit is done: whatever stopped the files, its result must not be lost.
            StandardOutput.write(FitReport.summary(outcome, problemPath: problem))
            if let text = FitReport.bestParameters(outcome, problemPath: problem) { StandardOutput.write("\n" + text) }
            throw DiagnosticsError(Console.diagnostics(of: error)
                                   + [Diagnostic(.note, "the files in '\(outDir)' were not all written; the best result is printed above")])
        }
        StandardOutput.write(FitReport.summary(outcome, problemPath: problem))
        if outcome.best == nil {
            throw RunFailure([.error(outcome.interruption != nil ? "the fit was stopped before any start was evaluated; give it more time (--time-budget)"
                                                                  : "every start of the fit failed; the report above says why")])
        }
    }

    /// `kinapse fit PROBLEM.yaml`: the PEtab fit, or with --evaluate one evaluation.
    func runPEtab() throws {
        if evaluate {
            var settings = PEtabSettings(rtol: solver.rtol, atol: solver.atol, maxSteps: solver.maxSteps, linearSolver: solver.linearSolver,
                                         nativeCode: solver.nativeCode, gradient: false)
            settings.scaledAbsoluteTolerance = scaledAtol
            do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
                throw DiagnosticsError(.error("--out-dir: cannot create '\(outDir)': \(error.localizedDescription)"))
            }
            return try PEtabDriver.evaluate(problem, params: params, settings: settings,
                                            simulations: ("--out-dir", path("simulations.tsv")), force: force)
        }
        var options = optimizer.applied(to: PEtabFitOptions())
        if let starts { options.starts = starts }
        if let seed { options.seed = seed }
        if let jobs { options.jobs = jobs }
        var settings = PEtabSettings.fit(rtol: solver.rtol, atol: solver.atol, maxSteps: solver.maxSteps, linearSolver: solver.linearSolver,
                                         nativeCode: solver.nativeCode)
        settings.scaledAbsoluteTolerance = scaledAtol
        try PEtabDriver.fit(problem, options: options, budget: budget, settings: settings, outDir: outDir, quiet: quiet, force: force,
                            startFrom: params)
    }

    /// Every file a fit of `problem` may write into --out-dir, the manifest last.
    func resultNames(_ problem: FitProblem) -> [String] {
        ["starts.csv", "best_parameters.toml", "intervals.csv", "profiles.csv"]
            + problem.experiments.flatMap { ["fit_\(fileName($0.name)).csv", "curve_\(fileName($0.name)).csv"] }
            + [ResultManifest.name]
    }

    /// Writes the result set, then the manifest naming it, then removes the files of an
    /// earlier fit that this one did not write (`FitResultFiles`).
    func writeResults(_ outcome: FitOutcome) throws {
        var files = FitResultFiles(outDir, problem: problem, force: force)
        try files.write(FitReport.startsCSV(outcome), "starts.csv")
        try files.write(FitReport.bestParameters(outcome, problemPath: problem), "best_parameters.toml")
        try files.write(FitReport.intervalsCSV(outcome), "intervals.csv")
        try files.write(FitReport.profilesCSV(outcome), "profiles.csv")
        for e in outcome.problem.experiments.indices {
            let name = fileName(outcome.problem.experiments[e].name)
            try files.write(FitReport.experimentCSV(outcome, experiment: e), "fit_\(name).csv")
            try files.write(FitReport.curveCSV(outcome, experiment: e), "curve_\(name).csv")
        }
        if let plot { try PlotOutput.fit(outcome, to: plot, force: force) }
        try files.finish(alsoWritten: plot)
    }

    func path(_ name: String) -> String { (outDir as NSString).appendingPathComponent(name) }

    /// An experiment name as a file name: letters, digits, '-', '_' and '.' kept.
    func fileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

}

/// A fit's files in its --out-dir, which never mixes two fits: the manifest an earlier fit
/// wrote there is read first; this fit's files are written, then its own manifest, then the
/// earlier fit's files this one did not write again are removed, except one this fit read
/// (an earlier fit's curve may be this one's data) or wrote elsewhere (`--plot`).
struct FitResultFiles {
    let directory: String
    let problem: String
    let force: Bool
    private let earlier: [String]
    private var written: [String] = []

    init(_ directory: String, problem: String, force: Bool) {
        self.directory = directory; self.problem = problem; self.force = force
        earlier = ResultManifest.read(in: directory) ?? []
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Writes `text` (nothing when nil) to `name` in the directory.
    mutating func write(_ text: String?, _ name: String) throws {
        guard let text else { return }
        try OutputCheck.write(text, to: path(name), option: "--out-dir", force: force)
        written.append(name)
    }

    /// The manifest, then the earlier fit's leftovers removed (by the job's first rank only).
    func finish(alsoWritten other: String? = nil) throws {
        try OutputCheck.write(ResultManifest.text(files: written, problem: problem), to: path(ResultManifest.name), option: "--out-dir", force: force)
        let policy = OutputCheck.policy(force: force)
        for stale in earlier where !written.contains(stale) && JobRank.speaksForJob {
            guard policy.input(at: path(stale)) == nil, other.map({ !OutputPolicy.sameFile($0, path(stale)) }) ?? true else { continue }
            unlink(path(stale))
        }
    }
}

extension PlotOutput {
    /// The y axes of a synapse's built-in readouts (`FitProblemReader.synapseReadouts`), with their units.
    static let readoutAxes: [String: Axis] = [
        "ipsc": Axis("ipsc: IPSC amplitude", unit: "% of baseline"),
        "amplitude": Axis("amplitude: peak conductance", unit: "nS"),
        "ppr": Axis("ppr: paired-pulse ratio"),
        "cv": Axis("cv: coefficient of variation"),
    ]

    /// Data (points with ±sd) over fitted values, one panel per observable, one colour per
    /// experiment. Times as the data files write them when every experiment uses the same
    /// unit and origin, else model seconds.
    static func fit(_ outcome: FitOutcome, to path: String, force: Bool) throws {
        guard let eval = outcome.bestEvaluation, let values = outcome.bestValues else {
            Console.error("warning: no fit to draw (every start failed)")
            return
        }
        let problem = outcome.problem
        let shared = problem.experiments.allSatisfy { $0.time == problem.experiments[0].time } ? problem.experiments.first?.time : nil
        func term(_ t: Observable.Term) -> Double {
            switch t { case .constant(let c): c; case .parameter(let j): values[j] }
        }
        var panels: [SVGPlot.FitPanel] = []
        for (k, o) in problem.observables.enumerated() where problem.experiments.contains(where: { $0.data.observables.contains(k) }) {
            var observations: [SVGPlot.Observations] = []
            var curves: [SVGPlot.Curve] = []
            for (e, experiment) in problem.experiments.enumerated() {
                let indices = experiment.data.points.indices.filter { experiment.data.points[$0].observable == k }
                guard !indices.isEmpty else { continue }
                let points = indices.map { experiment.data.points[$0] }
                let x = points.map { shared != nil ? $0.writtenTime : $0.time }
                let sd = points.map { p -> Double in
                    switch o.noise {
                    case .column: p.sd ?? 0
                    case .term(let t): term(t)
                    }
                }
                observations.append(SVGPlot.Observations(experiment.name, x: x, y: points.map(\.value), errors: sd))
                if let curve = outcome.curves.first(where: { $0.experiment == e && $0.observable == k }) {
                    let time = experiment.time
                    curves.append(SVGPlot.Curve("\(experiment.name) (fit)", x: curve.times.map { shared != nil ? ($0 - time.offset) / time.scale : $0 },
                                                y: curve.values))
                } else {
                    // No fine curve (its run failed): the fitted values at the data times.
                    curves.append(SVGPlot.Curve("\(experiment.name) (fit)", x: x, y: indices.map { term(o.scale) * eval.formulaValues[e][$0] + term(o.offset) }))
                }
            }
            panels.append(SVGPlot.FitPanel(yAxis: readoutAxes[o.name] ?? Axis(o.name), observations: observations, curves: curves))
        }
        let xLabel = shared.map { $0.offset != 0 ? "time from induction" : "time" } ?? "time"
        let xAxis = Axis(xLabel, unit: shared?.unit ?? "s", tight: true)
        try write({ try SVGPlot.fit(panels: panels, xAxis: xAxis, title: problem.description.isEmpty ? problem.name : problem.description) }, to: path, force: force)
    }
}
