import Foundation

/// Named values as horizontal bars, top to bottom in the given order (a sensitivity ranking):
/// positive bars blue, negative vermillion, with optional whiskers (± a spread).
public struct BarChart: Sendable {
    public var title: String?
    /// One label per bar, drawn left of it.
    public var labels: [String]
    public var values: [Double]
    /// Whiskers of ± this value at the end of each bar; `nil` for none.
    public var errors: [Double]?
    public var valueAxis: Axis
    public var width: Double

    public init(title: String? = nil, labels: [String], values: [Double], errors: [Double]? = nil, valueAxis: Axis, width: Double = 760) {
        precondition(labels.count == values.count && (errors?.count ?? values.count) == values.count, "one label (and error) per value")
        self.title = title; self.labels = labels; self.values = values; self.errors = errors; self.valueAxis = valueAxis; self.width = width
    }

    static let rowHeight = 20.0
    static let barHeight = 13.0

    public func render() throws(PlotError) -> RenderedPlot {
        let drawn = values.indices.filter { values[$0].isFinite }
        guard !drawn.isEmpty else { throw .nothingToPlot(values.isEmpty ? "the bar chart has no bars" : "no finite value among the bars") }
        let skipped = values.count - drawn.count
        let warnings = skipped == 0 ? [] : ["bar chart: skipped \(skipped) non-finite value\(skipped == 1 ? "" : "s")"]
        var low = 0.0, high = 0.0
        for i in drawn {
            let e = errors.map { abs($0[i]).isFinite ? abs($0[i]) : 0 } ?? 0
            // Whiskers point away from zero, as drawn.
            if values[i] < 0 { low = min(low, values[i] - e) } else { high = max(high, values[i] + e) }
        }
        if low == high { high = 1 }
        let ticks = NiceTicks.linear(low, high, target: 6)

        let c = NumberFormat.coordinate
        let labelWidth = labels.map { Metrics.textWidth($0, font: Metrics.tickFont) }.max() ?? 0
        let left = Metrics.padding + labelWidth + 10
        let lastTick = Metrics.textWidth(ticks.labels.last ?? "", font: Metrics.tickFont) / 2
        let top = Metrics.padding + (title == nil ? 0 : Metrics.titleFont + 10)
        let frame = Frame(left: left, top: top, width: max(80, width - left - Metrics.padding - lastTick),
                          height: Double(labels.count) * Self.rowHeight + 6)
        let height = frame.bottom + Metrics.tickLength + 4 + Metrics.tickFont + 12 + Metrics.labelFont + Metrics.padding
        let x = ScaleMap(lower: ticks.lower, upper: ticks.upper, from: frame.left, to: frame.right, logarithmic: false)

        var svg = SVGWriter(width: width, height: height, title: title)
        if let title {
            svg.element("text", [("x", c(Metrics.padding)), ("y", c(Metrics.padding + Metrics.titleFont)),
                                 ("font-size", c(Metrics.titleFont)), ("font-weight", "bold")], text: title)
        }
        svg.open("g", [("stroke", Palette.grid.description), ("stroke-width", "1")])
        for v in ticks.values { svg.element("line", [("x1", c(x.map(v))), ("y1", c(frame.top)), ("x2", c(x.map(v))), ("y2", c(frame.bottom))]) }
        svg.close("g")

        svg.open("g", [("class", "bars")])
        for i in drawn {
            let centre = frame.top + 3 + (Double(i) + 0.5) * Self.rowHeight
            let (a, b) = (x.map(min(0, values[i])), x.map(max(0, values[i])))
            let colour = values[i] < 0 ? Palette.vermillion : Palette.blue
            svg.element("rect", [("x", c(a)), ("y", c(centre - Self.barHeight / 2)), ("width", c(max(b - a, 0.5))),
                                 ("height", c(Self.barHeight)), ("fill", colour.description)])
            if let e = errors?[i], e.isFinite, e > 0 {
                let end = x.map(values[i]), whisker = x.map(values[i] + (values[i] < 0 ? -e : e))
                svg.element("path", [("d", "M\(c(end)),\(c(centre))H\(c(whisker))M\(c(whisker)),\(c(centre - 4))V\(c(centre + 4))"),
                                     ("fill", "none"), ("stroke", Palette.axis.description), ("stroke-width", "1.2")])
            }
        }
        svg.close("g")
        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "end")])
        for (i, label) in labels.enumerated() {
            let centre = frame.top + 3 + (Double(i) + 0.5) * Self.rowHeight
            svg.element("text", [("x", c(frame.left - 6)), ("y", c(centre + Metrics.tickFont * 0.35))], text: label)
        }
        svg.close("g")

        var d = "M\(c(frame.left)),\(c(frame.bottom))H\(c(frame.right))"
        for v in ticks.values { d += "M\(c(x.map(v))),\(c(frame.bottom))v\(c(Metrics.tickLength))" }
        if x.contains(0) { d += "M\(c(x.map(0))),\(c(frame.top))V\(c(frame.bottom))" }
        svg.element("path", [("d", d), ("fill", "none"), ("stroke", Palette.axis.description), ("stroke-width", "1")])
        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "middle")])
        for (v, label) in zip(ticks.values, ticks.labels) {
            svg.element("text", [("x", c(x.map(v))), ("y", c(frame.bottom + Metrics.tickLength + 3 + Metrics.tickFont))], text: label)
        }
        svg.close("g")
        svg.element("text", [("x", c(frame.left + frame.width / 2)),
                             ("y", c(frame.bottom + Metrics.tickLength + 4 + Metrics.tickFont + 10 + Metrics.labelFont)),
                             ("text-anchor", "middle")], text: valueAxis.title)
        return RenderedPlot(svg: svg.finish(), warnings: warnings)
    }
}
