import Testing
@testable import Plotting

/// The heat map of a two-parameter scan: where its cells lie and which colour each value gets.
@Suite struct HeatMapTests {
    @Test func cellEdgesLieMidwayBetweenGridValues() {
        #expect(HeatMap.edges([0, 1, 3], logarithmic: false) == [-0.5, 0.5, 2, 4])
        let log = HeatMap.edges([1, 10, 100], logarithmic: true)
        for (e, x) in zip(log, [0.316227766, 3.16227766, 31.6227766, 316.227766]) { #expect(abs(e / x - 1) < 1e-8) }
    }

    @Test func coloursRunFromTheFirstStopToTheLast() {
        #expect(HeatMap.colour(at: 0, in: HeatMap.viridis) == HeatMap.viridis.first)
        #expect(HeatMap.colour(at: 1, in: HeatMap.viridis) == HeatMap.viridis.last)
        // Half-way between two stops: the mean of their channels.
        let mid = HeatMap.colour(at: 0.0625, in: HeatMap.viridis), a = HeatMap.viridis[0], b = HeatMap.viridis[1]
        #expect(abs(Int(mid.red) - (Int(a.red) + Int(b.red)) / 2) <= 1 && abs(Int(mid.blue) - (Int(a.blue) + Int(b.blue)) / 2) <= 1)
    }

    /// Values of both signs use the diverging scale centred on zero, so 0 is its white middle;
    /// a missing value is grey and reported.
    @Test func signedValuesDivergeFromWhiteAtZero() throws {
        let map = HeatMap(xAxis: Axis("x"), yAxis: Axis("y"), x: [1, 2, 3], y: [1, 2],
                          values: [[-10, 0, 5], [.nan, 2, 10]], colourLabel: "change (%)")
        let plot = try map.render()
        #expect(plot.svg.contains("fill=\"#f7f7f7\""), "zero is the scale's middle")
        #expect(plot.svg.contains("fill=\"#2166ac\""), "the most negative value is the scale's end")
        #expect(plot.svg.contains("fill=\"#bbbbbb\""))
        #expect(plot.warnings == ["heat map: 1 point without a value drawn grey"])
        let cells = plot.svg.components(separatedBy: "<g class=\"cells\"")[1].components(separatedBy: "</g>")[0]
        #expect(cells.components(separatedBy: "<rect").count - 1 == 6)
    }

    @Test func aLogAxisRefusesNonPositiveGridValues() {
        let map = HeatMap(xAxis: Axis("x", scale: .logarithmic), yAxis: Axis("y"), x: [0, 1], y: [1], values: [[1, 2]], colourLabel: "z")
        #expect(throws: PlotError.self) { try map.render() }
    }
}

/// The ranking chart of `kinapse sensitivity --plot`.
@Suite struct BarChartTests {
    /// One bar per finite value, coloured by sign, whiskers away from zero, and an all-positive
    /// chart's axis starting at zero.
    @Test func barsFollowTheirSigns() throws {
        let chart = BarChart(labels: ["a", "b", "c"], values: [2, -1, .nan], errors: [0.5, 0.5, 0], valueAxis: Axis("effect"))
        let plot = try chart.render()
        let bars = plot.svg.components(separatedBy: "<g class=\"bars\"")[1].components(separatedBy: "</g>")[0]
        #expect(bars.components(separatedBy: "<rect").count - 1 == 2)
        #expect(bars.contains(Palette.blue.description) && bars.contains(Palette.vermillion.description))
        #expect(plot.warnings == ["bar chart: skipped 1 non-finite value"])
        let positive = try BarChart(labels: ["a"], values: [3], errors: [1], valueAxis: Axis("x")).render().svg
        #expect(positive.contains(">0</text>") && !positive.contains(">−1</text>") && !positive.contains(">-1</text>"))
    }
}
