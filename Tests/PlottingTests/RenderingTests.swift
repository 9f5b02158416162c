import Testing
import Foundation
@testable import Plotting

@Suite struct RenderingTests {
    func figure(title: String? = nil, series: [Series], scale: Axis.Scale = .linear) -> Figure {
        Figure(title: title, xAxis: Axis("time", unit: "s"), panels: [Panel(yAxis: Axis("A", scale: scale), series: series)])
    }

    @Test func renderingIsDeterministic() throws {
        let a = try SVGPlot.synapseRun(readouts: Fixtures.readouts, pathway: Fixtures.synapsePathway, species: ["Ca"]).svg
        let b = try SVGPlot.synapseRun(readouts: Fixtures.readouts, pathway: Fixtures.synapsePathway, species: ["Ca"]).svg
        #expect(a == b)
        // No wall-clock, random or process-dependent content.
        #expect(!a.contains("nan") && !a.contains("inf"))
    }

    @Test func textIsEscapedForXML() throws {
        let nasty = "A<B> & \"C\" 'D'\u{1}"
        let svg = try figure(title: nasty, series: [Series(nasty, x: [0, 1], y: [1, 2]), Series("E", x: [0, 1], y: [2, 3])]).render().svg
        #expect(svg.contains("A&lt;B&gt; &amp; &quot;C&quot; &apos;D&apos;\u{FFFD}"))
        #expect(!svg.contains("A<B>"))
        #expect(!svg.contains("\u{1}"))
    }

    @Test func dataReachingTheTopTickGetMarginAbove() throws {
        // 0…10 would get ticks 0, 2, …, 10 with the peak on the frame's top edge; the axis
        // must go one step higher. A peak at 9 already has room (its top tick is 10).
        let peak = try figure(series: [Series("A", x: [0, 1, 2], y: [0, 10, 4])]).render().svg
        #expect(peak.contains(">12</text>") || peak.contains(">15</text>"), "a tick above the peak")
        let room = try figure(series: [Series("A", x: [0, 1, 2], y: [0, 9, 4])]).render().svg
        #expect(room.contains(">10</text>") && !room.contains(">12</text>") && !room.contains(">15</text>"))
    }

    @Test func escapeLeavesOrdinaryTextAlone() {
        #expect(XML.escape("Ca²⁺ → CaM, 10⁻³ µM") == "Ca²⁺ → CaM, 10⁻³ µM")
    }

    @Test func nonFiniteValuesAreSkippedAndCounted() throws {
        let plot = try figure(series: [Series("A", x: [0, 1, 2, 3, .nan, 5], y: [1, .infinity, 2, -.infinity, 3, .nan])]).render()
        #expect(plot.warnings == ["'A': skipped 4 non-finite values (NaN or infinity)"])
        for bad in ["nan", "inf", "NaN", "Inf"] { #expect(!plot.svg.contains(bad)) }
        // The line breaks at every gap, leaving (0, 1) and (2, 2) on their own: drawn as
        // two markers, with no line joining them.
        #expect(plot.svg.components(separatedBy: "<circle ").count - 1 == 2)
        #expect(!plot.svg.contains("stroke-linejoin"))
    }

    @Test func onlyNonFiniteValuesIsAnError() {
        #expect(throws: PlotError.nothingToPlot("panel 'A' has no finite values")) {
            try figure(series: [Series("A", x: [0, 1], y: [.nan, .nan])]).render()
        }
    }

    @Test func logAxisDropsNonPositiveValuesAndSaysSo() throws {
        let plot = try figure(series: [Series("A", x: [0, 1, 2, 3], y: [0, 1, -2, 100])], scale: .logarithmic).render()
        #expect(plot.warnings == ["'A': log y axis: skipped 2 values ≤ 0"])
        #expect(plot.svg.contains(">100</text>"))
    }

    @Test func logAxisWithoutPositiveValuesIsAnError() {
        #expect(throws: PlotError.self) {
            try figure(series: [Series("A", x: [0, 1], y: [0, -1])], scale: .logarithmic).render()
        }
        do {
            _ = try figure(series: [Series("A", x: [0, 1], y: [0, -1])], scale: .logarithmic).render()
        } catch {
            #expect(error.description.contains("no value in panel 'A' is positive"))
        }
    }

    @Test func unknownColumnNamesTheColumn() {
        #expect(throws: PlotError.unknownColumn("Sx", available: ["S", "P", "cAMP"])) {
            try SVGPlot.timeCourse(trajectory: Fixtures.timeCourse, layout: .groups([["S", "Sx"]]))
        }
    }

    @Test func longSeriesAreThinnedToThePixelGrid() throws {
        let n = 100_000
        let x = (0..<n).map { Double($0) }
        let y = (0..<n).map { Double(($0 * 7919) % 1000) }
        let svg = try figure(series: [Series("A", x: x, y: y)]).render().svg
        #expect(svg.utf8.count < 200_000)
        // The extremes survive the thinning.
        #expect(svg.contains(">1000</text>"))
    }

    @Test func coloursFollowOkabeIto() throws {
        let series = (0..<9).map { Series("S\($0)", x: [0, 1], y: [Double($0), Double($0) + 1]) }
        let svg = try figure(series: series).render().svg
        #expect(svg.contains("stroke=\"#0072b2\""))
        #expect(svg.contains("stroke=\"#d55e00\""))
        #expect(!svg.contains("#f0e442"))  // yellow is not used for lines
        #expect(svg.contains("stroke-dasharray=\"6 3\""))  // the eighth series repeats blue, dashed
    }
}
