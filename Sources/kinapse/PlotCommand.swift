import ArgumentParser
import Foundation
import SourceDiagnostics
import Reporting
import Plotting

/// `kinapse plot RUN.csv`: a Kinapse CSV in, an SVG figure out.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a Kinapse CSV as an SVG figure: time courses, a synapse run, an STDP window, a synapse scan or a sensitivity ranking.",
        discussion: """
        The figure follows from the CSV's header:
          time,…               (simulate --out) time courses; columns whose peaks
                               differ more than tenfold get panels of their own
          time,…,phase,Pr,N,…  (simulate --readouts) Pr, N and the IPSC in % of
                               baseline, induction shaded, baseline dashed
          delta_t_ms,…         (stdp) the plasticity window
          X,delta_ipsc_percent,…  (scan SYNAPSE) each change against X; two
                               varied names: a heat map of the first change
                               (or the one --select names)
          rank,parameter,…     (sensitivity) bars of μ* ± σ (--method morris)
                               or of the log-derivatives, of the first
                               readout (or the one --select names)
        A pathway's scan names only its own columns, so plot cannot tell it
        from any CSV: scan's --plot FIG.svg draws it.

        Several CSVs of one kind (a control and a blocked run) are overlaid on
        shared panels, one colour per run, named in a legend by --label (default:
        the file names).

        Non-finite values (nan, inf) are left out and counted on standard error.

        Examples:
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 60 --out run.csv
          kinapse plot run.csv --out run.svg
          kinapse plot run.csv --select Ca,Ca4CaM --select cGMP,PKG_active
          kinapse plot run.csv --select cGMP --log-y --title "cGMP" > cgmp.svg
          kinapse simulate golgi_granule --protocol tbs --readouts readouts.csv
          kinapse plot readouts.csv --out ipsc.svg
          kinapse stdp entorhinal_stellate_rig --protocol haas_pairing \\
              --dt -30:30:10 --out window.csv
          kinapse plot window.csv --out window.svg
          kinapse simulate vta_ecb --protocol chevaleyre_hfs --readouts ctrl.csv
          kinapse simulate vta_ecb --protocol chevaleyre_hfs --block AM251 \\
              --readouts am251.csv
          kinapse plot ctrl.csv am251.csv --label control --label AM251 --out cmp.svg
        """)

    @Argument(help: "CSVs written by 'kinapse simulate' (--out or --readouts) or 'kinapse stdp' (several are overlaid), or one of 'kinapse scan SYNAPSE' or 'kinapse sensitivity'.")
    var csvs: [String]

    @Option(name: .customLong("label"), parsing: .singleValue, help: ArgumentHelp("Name of each CSV in the legend, in order (repeatable; default: the file names).", valueName: "NAME"))
    var labels: [String] = []

    @Option(name: .customLong("ylabel"), help: ArgumentHelp("Label of the y axes (their units stay).", valueName: "TEXT"))
    var yLabel: String?

    @Option(parsing: .singleValue, help: ArgumentHelp("Columns to draw, comma-separated; repeat for one panel per group.", valueName: "A,B,…"))
    var select: [String] = []

    @Option(help: ArgumentHelp("Write the SVG here (atomically) instead of to standard output.", valueName: "FIG.svg"))
    var out: String?

    @Flag(name: .customLong("log-y"), help: "Logarithmic y axes (values ≤ 0 are left out and counted).")
    var logY = false

    @Option(help: "A title above the figure.")
    var title: String?

    @Flag(help: "Replace a read-only output file.")
    var force = false

    var panels: [[String]] {
        select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            .filter { !$0.isEmpty }
    }

    /// Runs overlaid in one figure: each is a line per panel, and the palette has seven colours.
    static let maximumRuns = 7

    func validate() throws {
        guard !csvs.isEmpty else { throw ValidationError("give a CSV to draw") }
        guard csvs.count <= Self.maximumRuns else {
            throw ValidationError("\(csvs.count) CSVs is more than the limit of \(Self.maximumRuns) in one figure: the palette has \(Self.maximumRuns) distinct colours")
        }
        if !labels.isEmpty, labels.count != csvs.count {
            throw ValidationError("give one --label per CSV (\(csvs.count) CSVs, \(labels.count) labels)")
        }
        try OutputCheck.refuseConflicts([("--out", out)], inputs: csvs, force: force)
        try PlotOutput.requireSVG(out, option: "--out")
        for group in select where group.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--select expects column names, e.g. --select Ca,cGMP (got '\(group)')")
        }
    }

    func run() throws {
        var files: [SourceFile] = []
        for path in csvs {
            files.append(try SourceFile.read(path: path))
        }
        func file(_ path: String) -> SourceFile { files.first { $0.path == path } ?? files[0] }
        let options = SVGPlot.CSVPlotOptions(panels: panels, logY: logY, title: title, yLabel: yLabel)
        let figure: RenderedPlot
        do {
            let tables = try files.map { f throws(CSVError) in try CSVTable(parsing: f.text, path: f.path) }
            figure = tables.count == 1 ? try SVGPlot.figure(for: tables[0], options: options)
                : try SVGPlot.overlay(tables, labels: labels.isEmpty ? csvs.map(Library.stem) : labels, options: options)
        } catch let error as CSVError {
            throw DiagnosticsError(error.diagnostic(in: file(error.path)))
        } catch let error as CSVPlotError {
            switch error {
            case .csv(let e), .unrecognised(let e):
                throw DiagnosticsError(e.diagnostic(in: file(e.path)))
            case .plot(.unknownColumn(let name, let available)):
                let hint = Suggestions.didYouMean(name, among: available) ?? "columns of \(csvs[0]): \(available.joined(separator: ", "))"
                throw DiagnosticsError(.error("no column '\(name)' in '\(csvs[0])'", hint: hint))
            case .plot(let e):
                throw DiagnosticsError(.error("\(csvs.joined(separator: ", ")): \(e)"))
            }
        }
        for warning in figure.warnings { Console.error("warning: \(csvs.joined(separator: ", ")): \(warning)") }
        if let out {
            try OutputCheck.write(figure.svg, to: out, option: "--out", force: force)
        } else {
            StandardOutput.write(figure.svg)
        }
    }
}
