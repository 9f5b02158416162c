import ArgumentParser
import Foundation
import SourceDiagnostics
import Reporting
import Optimization
import KinapseUtilities
import Fitting
import Plotting

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

        Examples:
          kinapse fit Fixtures/fit/hippocampal_bdnf/problem.toml \\
              --starts 20 --out-dir fit-out --plot fit.svg
          kinapse simulate Pathways/synapses/hippocampal_bdnf.toml \\
              --protocol hfs --params fit-out/best_parameters.toml
        """)

    @Argument(help: "Fit problem (.toml).")
    var problem: String

    @Option(help: "Starts of the multi-start (default: the problem's, else 20).")
    var starts: Int?

    @Option(help: "Seed of the Latin-hypercube starts (default: the problem's, else 1).")
    var seed: UInt64?

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(help: "Worker threads (default: every core).")
    var jobs: Int?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Directory for the result files (created if missing).", valueName: "DIR"))
    var outDir: String = "fit-results"

    @Option(help: ArgumentHelp("Also draw data and fitted curves as SVG, one panel per experiment and observable.", valueName: "FIG.svg"))
    var plot: String?

    @Flag(name: .customLong("native-code"), help: ModelLoading.nativeCodeHelp)
    var nativeCode = false

    @Flag(name: .customLong("no-profiles"), help: "Skip the profile likelihoods.")
    var noProfiles = false

    @Option(help: ArgumentHelp("Gradients: 'sensitivities' (CVODES forward sensitivities, the default; a model whose events fire on state-dependent conditions falls back to finite differences, and the report says so) or 'fd' (central finite differences).", valueName: "METHOD"))
    var gradient: String = "sensitivities"

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        if let starts, !(1...100_000).contains(starts) { throw ValidationError("--starts must be between 1 and 100000") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard GradientMethod(rawValue: gradient) != nil else {
            throw ValidationError("--gradient is 'sensitivities' or 'fd' (got '\(gradient)')")
        }
        if (outDir as NSString).standardizingPath == (problem as NSString).standardizingPath {
            throw ValidationError("--out-dir is the problem file itself")
        }
    }

    func run() throws {
        var fitProblem: FitProblem
        do { fitProblem = try FitProblemReader.read(path: problem) } catch {
            Console.report(error.diagnostics)
            throw Status.badInput
        }
        if nativeCode { fitProblem.options.nativeCode = true }
        let settings = FitSettings(problem: fitProblem, starts: starts, seed: seed, jobs: jobs ?? MultiStartOptions.availableCores,
                                   gradient: GradientMethod(rawValue: gradient)!, profiles: noProfiles ? false : nil)
        do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
            Console.error("error: cannot create the output directory '\(outDir)': \(error.localizedDescription)")
            throw Status.badInput
        }
        let progress = ProgressReporter(total: settings.starts, label: "fit", quiet: quiet)
        let profiles = ProgressReporter(total: fitProblem.parameters.count, label: "profiles", quiet: quiet)
        // Ctrl-C (or SIGTERM): the running starts stop at their best point so far, no new
        // start begins, and the files below are written, marked partial. The interrupt
        // handler waits until they are, then ends the process with the signal's status.
        let cancellation = CancellationFlag()
        let written = DispatchSemaphore(value: 0)
        Interruption.addHandler {
            cancellation.cancel()
            Console.error("\nkinapse fit: interrupted; writing the best result so far (interrupt again to quit at once)")
            written.wait()
        }
        defer {
            // The process ends by the signal as soon as the handler returns: flush the report first.
            fflush(nil)
            written.signal()
        }
        let outcome: FitOutcome
        do {
            outcome = try FitRunner.run(fitProblem, settings: settings, cancellation: cancellation,
                                        progress: { _ in progress.advance() },
                                        profileProgress: { _, _ in profiles.advance() })
        } catch let error as DiagnosticsError {
            Console.report(error.diagnostics)
            throw Status.badInput
        } catch {
            Console.error("error: \(error)")
            throw Status.badInput
        }
        try write(FitReport.startsCSV(outcome), "starts.csv")
        if let text = FitReport.bestParameters(outcome, problemPath: problem) { try write(text, "best_parameters.toml") }
        if let csv = FitReport.intervalsCSV(outcome) { try write(csv, "intervals.csv") }
        if let csv = FitReport.profilesCSV(outcome) { try write(csv, "profiles.csv") }
        for e in fitProblem.experiments.indices {
            let name = fileName(fitProblem.experiments[e].name)
            if let csv = FitReport.experimentCSV(outcome, experiment: e) { try write(csv, "fit_\(name).csv") }
            if let csv = FitReport.curveCSV(outcome, experiment: e) { try write(csv, "curve_\(name).csv") }
        }
        if let plot { try PlotOutput.fit(outcome, to: plot) }
        print(FitReport.summary(outcome, problemPath: problem), terminator: "")
        if outcome.best == nil { throw Status.simulationFailed }
    }

    /// An experiment name as a file name: letters, digits, '-', '_' and '.' kept.
    func fileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    func write(_ text: String, _ name: String) throws {
        let path = (outDir as NSString).appendingPathComponent(name)
        do { try AtomicFile.write(text, to: path) } catch {
            Console.error("error: \(error)")
            throw Status.badInput
        }
    }
}

extension PlotOutput {
    /// Data (points with ±sd) over fitted values, one panel per observable, one colour per
    /// experiment. Times as the data files write them when every experiment uses the same
    /// unit and origin, else model seconds.
    static func fit(_ outcome: FitOutcome, to path: String) throws {
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
            panels.append(SVGPlot.FitPanel(yAxis: Axis(o.name), observations: observations, curves: curves))
        }
        let xLabel = shared.map { $0.offset != 0 ? "time from induction" : "time" } ?? "time"
        let xAxis = Axis(xLabel, unit: shared?.unit ?? "s", tight: true)
        try write({ try SVGPlot.fit(panels: panels, xAxis: xAxis, title: problem.name) }, to: path)
    }
}
