import ArgumentParser
import Foundation
import SourceDiagnostics
import KineticsCore
import Reporting
import Plotting
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayModel
import ParameterScans

/// `--plot FIG.svg` on simulate and stdp: the figure beside the CSV, written atomically.
enum PlotOutput {
    /// Figures are SVG only: a name with another extension (fig.png) would hold SVG under a
    /// name that promises something else, so it is refused; a name without one (/dev/stdout) is not.
    static func requireSVG(_ path: String?, option: String) throws {
        guard let path else { return }
        let ext = (path as NSString).pathExtension
        guard !ext.isEmpty, ext.lowercased() != "svg" else { return }
        let svg = ((path as NSString).deletingPathExtension) + ".svg"
        throw ValidationError("\(option) \(path): Kinapse draws figures as SVG only, not .\(ext)\nhint: \(option) \(svg) (convert it afterwards, e.g. with rsvg-convert)")
    }

    static func write(_ make: () throws -> RenderedPlot, to path: String, force: Bool) throws {
        let plot: RenderedPlot
        do { plot = try make() } catch {
            if case .unknownColumn(let name, let available) = error as? PlotError {
                let hint = Suggestions.didYouMean(name, among: available) ?? "columns: \(available.joined(separator: ", "))"
                throw DiagnosticsError(.error("cannot draw \(path): no column '\(name)' in the run", hint: hint))
            }
            throw DiagnosticsError(.error("cannot draw \(path): \(error)"))
        }
        for warning in plot.warnings { Console.error("warning: \(warning)") }
        try OutputCheck.write(plot.svg, to: path, option: "--plot", force: force)
    }

    static func pathway(_ trajectory: Trajectory, of pathway: Pathway, to path: String, force: Bool) throws {
        try write({ try SVGPlot.timeCourse(trajectory: trajectory, quantities: quantities(of: pathway)) }, to: path, force: force)
    }

    /// Species are concentrations, reaction columns rates, anything else a plain value; µM and
    /// s are the library's convention (Pathways/README.md), which Kinapse does not convert.
    static func quantities(of pathway: Pathway) -> [String: SVGPlot.Quantity] {
        var out: [String: SVGPlot.Quantity] = [:]
        for s in pathway.species { out[s.id] = SVGPlot.Quantity("concentration", unit: "µM") }
        for r in pathway.reactions { out[r.id] = SVGPlot.Quantity("rate", unit: "µM/s") }
        for p in pathway.parameters { out[p.id] = SVGPlot.Quantity("value") }
        for c in pathway.compartments { out[c.id] = SVGPlot.Quantity("size") }
        return out
    }

    /// Pr, N and the normalised IPSC against minutes from induction, under the chosen pathway species.
    static func synapse(_ result: SynapseRunResult, title: String, protocolDefinition p: InductionProtocol, species: [String],
                        to path: String, force: Bool) throws {
        let r = result.readouts
        var readouts = SVGPlot.SynapseReadouts(
            times: r.map(\.time), releaseProbability: r.map(\.response.releaseProbability),
            receptors: r.map(\.response.receptors), amplitudePercent: r.map(\.normalisedAmplitude),
            inductionStart: p.inductionStart, inductionEnd: p.inductionEnd, inductionLabel: p.name, analysisWindow: p.analysisWindow)
        if let unit = r.first?.recorded?.unit {
            readouts.recorded = (unit == "pA" ? "IPSC" : "IPSP", unit, r.map(\.amplitude), r.map { $0.recorded?.eGABA ?? .nan })
        }
        try write({ try SVGPlot.synapseRun(readouts: readouts, pathway: species.isEmpty ? nil : result.trajectory, species: species,
                                           title: title) }, to: path, force: force)
    }

    static func window(_ points: [SpikeTimingPoint], title: String, to path: String, force: Bool) throws {
        let done = points.filter { $0.summary != nil }
        try write({ try SVGPlot.window(deltaT: done.map { $0.deltaT * 1000 }, change: done.map { $0.summary!.amplitudeChange },
                                       title: title) }, to: path, force: force)
    }

    /// A scan's figure: for one varied name, each column against it in its own panel; for two,
    /// a heat map of `heatMapColumn` (default: the first column) over the grid.
    static func scan(_ grid: ScanGrid, columns: [String], points: [ScanPoint], heatMapColumn: String?, title: String,
                     to path: String, force: Bool) throws {
        let done = points.filter { $0.outputs != nil }
        func axis(_ k: Int) -> Axis { Axis(grid.names[k], scale: grid.ranges[k].logarithmic ? .logarithmic : .linear, tight: true) }
        if grid.names.count == 1 {
            let x = done.map { $0.values[0] }
            let panels = columns.enumerated().map { c, column in
                Panel(yAxis: Axis(column), series: [Series(column, x: x, y: done.map { $0.outputs![c] }, style: .linePoints)], height: 160)
            }
            try write({ try Figure(title: title, xAxis: axis(0), panels: panels).render() }, to: path, force: force)
            return
        }
        let column = heatMapColumn ?? columns[0]
        let c = columns.firstIndex(of: column)!
        let (xs, ys) = (grid.ranges[1].values, grid.ranges[0].values)
        // Row j of the map is the first name's j-th value; a failed or missing point is NaN (grey).
        var values = [[Double]](repeating: [Double](repeating: .nan, count: xs.count), count: ys.count)
        // Placed by their coordinates (the same numbers as the ranges'), since an interrupted scan may skip points.
        for p in points {
            guard let outputs = p.outputs, let j = ys.firstIndex(of: p.values[0]), let i = xs.firstIndex(of: p.values[1]) else { continue }
            values[j][i] = outputs[c]
        }
        try write({ try HeatMap(title: title, xAxis: axis(1), yAxis: axis(0), x: xs, y: ys, values: values, colourLabel: column).render() },
                  to: path, force: force)
    }
}
