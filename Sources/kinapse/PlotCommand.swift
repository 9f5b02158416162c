import ArgumentParser
import Foundation
import SourceDiagnostics
import Reporting
import Plotting

/// `kinapse plot RUN.csv`: a Kinapse CSV in, an SVG figure out.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a Kinapse CSV as an SVG figure: time courses, a synapse run or an STDP window.",
        discussion: """
        The figure follows from the CSV's header:
          time,…               (simulate --out) time courses; columns whose peaks
                               differ more than tenfold get panels of their own
          time,…,phase,Pr,N,…  (simulate --readouts) Pr, N and the IPSC in % of
                               baseline, induction shaded, baseline dashed
          delta_t_ms,…         (stdp) the plasticity window

        Non-finite values (nan, inf) are left out and counted on standard error.

        Examples:
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 60 --out run.csv
          kinapse plot run.csv --out run.svg
          kinapse plot run.csv --select Ca,Ca4CaM --select cGMP,PKG_active
          kinapse plot run.csv --select cGMP --log-y --title "cGMP" > cgmp.svg
          kinapse plot readouts.csv --out ipsc.svg
          kinapse plot window.csv --out window.svg
        """)

    @Argument(help: "A CSV written by 'kinapse simulate' (--out or --readouts) or 'kinapse stdp'.")
    var csv: String

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

    func validate() throws {
        try OutputCheck.refuseConflicts([("--out", out)], inputs: [csv], force: force)
        for group in select where group.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--select expects column names, e.g. --select Ca,cGMP (got '\(group)')")
        }
    }

    func run() throws {
        let file: SourceFile
        do { file = try SourceFile.read(path: csv) } catch {
            Console.report(error.diagnostics)
            throw Status.badInput
        }
        let figure: RenderedPlot
        do {
            let table = try CSVTable(parsing: file.text, path: csv)
            figure = try SVGPlot.figure(for: table, options: .init(panels: panels, logY: logY, title: title))
        } catch let error as CSVError {
            Console.report([diagnostic(error, in: file)])
            throw Status.badInput
        } catch let error as CSVPlotError {
            switch error {
            case .csv(let e), .unrecognised(let e):
                Console.report([diagnostic(e, in: file)])
            case .plot(.unknownColumn(let name, let available)):
                let hint = Suggestions.didYouMean(name, among: available) ?? "columns of \(csv): \(available.joined(separator: ", "))"
                Console.report([Diagnostic(.error, "no column '\(name)' in '\(csv)'", hints: [hint])])
            case .plot(let e):
                Console.report([Diagnostic(.error, "\(csv): \(e)")])
            }
            throw Status.badInput
        }
        for warning in figure.warnings { Console.error("warning: \(csv): \(warning)") }
        if let out {
            try OutputCheck.write(figure.svg, to: out, option: "--out", force: force)
        } else {
            print(figure.svg, terminator: "")
        }
    }

    private func diagnostic(_ e: CSVError, in file: SourceFile) -> Diagnostic {
        Diagnostic(.error, e.message, at: SourceRange(file: file, start: e.offset, end: e.offset + e.length),
                   hints: e.hint.map { [$0] } ?? [])
    }
}
