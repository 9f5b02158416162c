import Testing
import Foundation
@testable import Plotting

/// Golden SVGs of each kind of figure. Look at them after regenerating:
/// `rsvg-convert Tests/PlottingTests/Snapshots/NAME.svg -o /tmp/NAME.png`.
@Suite struct FigureSnapshotTests {
    @Test func timeCourseGroupedByMagnitude() throws {
        let plot = try SVGPlot.timeCourse(trajectory: Fixtures.timeCourse, title: "Synthetic pathway", unit: "µM")
        try FigureSnapshot.expect(plot.svg, matches: "time-course.svg")
        #expect(plot.warnings == ["'cAMP': skipped 1 non-finite value (NaN or infinity)"])
        // Two panels: S and P share one, the thousand-fold smaller messenger gets its own.
        #expect(plot.svg.components(separatedBy: "<g class=\"panel\">").count - 1 == 2)
    }

    @Test func timeCourseOnLogAxis() throws {
        let plot = try SVGPlot.timeCourse(trajectory: Fixtures.timeCourse, layout: .onePanel, logY: true)
        try FigureSnapshot.expect(plot.svg, matches: "time-course-log.svg")
        // cAMP is 0 at t = 0, which a log axis cannot show.
        #expect(plot.warnings.contains("'cAMP': log y axis: skipped 1 value ≤ 0"))
    }

    @Test func synapseRun() throws {
        let plot = try SVGPlot.synapseRun(readouts: Fixtures.readouts, pathway: Fixtures.synapsePathway, species: ["Ca", "P"],
                                          title: "Synthetic synapse, TBS")
        try FigureSnapshot.expect(plot.svg, matches: "synapse-run.svg")
        #expect(plot.warnings.isEmpty)
        #expect(plot.svg.contains(">TBS</text>"))
        #expect(plot.svg.contains(">baseline</text>"))
    }

    /// `kinapse plot readouts.csv --select amplitude_percent_of_baseline`: the IPSC alone,
    /// the induction shaded, the baseline at 100 %.
    @Test func normalisedIPSCFromAReadoutsCSV() throws {
        let table = try CSVTable(parsing: Fixtures.readoutsCSV, path: "readouts.csv")
        let plot = try SVGPlot.figure(for: table, options: .init(panels: [["amplitude_percent_of_baseline"]], title: "IPSC"))
        try FigureSnapshot.expect(plot.svg, matches: "ipsc-from-readouts.svg")
        #expect(plot.warnings.isEmpty)
        #expect(plot.svg.contains(">induction</text>"))
        #expect(plot.svg.contains(">baseline</text>"))
        #expect(plot.svg.contains("% of baseline"))
        // No value falls below 100 %, yet the axis keeps a step of room under the baseline.
        #expect(plot.svg.contains(">90</text>"))
    }

    @Test func spikeTimingWindow() throws {
        let plot = try SVGPlot.window(deltaT: Fixtures.windowDeltaT, change: Fixtures.windowChange)
        try FigureSnapshot.expect(plot.svg, matches: "stdp-window.svg")
        #expect(plot.warnings.count == 1)
    }

    @Test func dataWithErrorBarsOverFits() throws {
        let x: [Double] = [0, 2, 4, 6, 8, 10]
        let curveX = Array(stride(from: 0.0, through: 10, by: 0.25))
        let panels = [
            SVGPlot.FitPanel(yAxis: Axis("pCaMKII", unit: "% of max"),
                             observations: [.init("pCaMKII data", x: x, y: [2, 38, 61, 70, 77, 80], errors: [2, 5, 6, 5, 7, 6])],
                             curves: [.init("pCaMKII fit", x: curveX, y: curveX.map { 85 * $0 / ($0 + 2.2) })]),
            SVGPlot.FitPanel(yAxis: Axis("IPSC", unit: "% of baseline", includes: [100]),
                             observations: [.init("IPSC data", x: x, y: [100, 112, 121, 126, 131, 129], errors: [4, 6, 5, 8, 7, 9])],
                             curves: [.init("IPSC fit", x: curveX, y: curveX.map { 100 + 35 * $0 / ($0 + 2.5) })]),
        ]
        let plot = try SVGPlot.fit(panels: panels, xAxis: Axis("time", unit: "min", tight: true), title: "Fit")
        try FigureSnapshot.expect(plot.svg, matches: "fit.svg")
    }
}
