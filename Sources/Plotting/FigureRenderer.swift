import Foundation

extension Figure {
    /// The figure as a standalone SVG document.
    ///
    /// Points that cannot be drawn are left out and counted in `warnings`: non-finite
    /// coordinates anywhere, and values ≤ 0 on a log axis. A panel with nothing left to
    /// draw is an error, as is a log axis without a single positive value.
    public func render() throws(PlotError) -> RenderedPlot {
        try FigureRenderer(figure: self).render()
    }
}

/// Sizes in SVG pixels, chosen so a 760-pixel-wide figure reads well on a slide.
enum Metrics {
    static let padding = 14.0
    static let tickFont = 12.0
    static let labelFont = 13.0
    static let titleFont = 16.0
    static let panelTitleFont = 13.0
    static let legendFont = 12.0
    static let noteFont = 11.0
    static let tickLength = 5.0
    static let minorTickLength = 3.0
    static let panelGap = 26.0
    static let legendRow = 18.0
    static let legendSample = 24.0
    static let markerRadius = 3.5
    static let errorCap = 3.5
    static let lineWidth = 1.8
    static let maximumLegendCharacters = 30
    static let bandOpacity = "0.3"

    /// A conservative width estimate for sans-serif text (DejaVu Sans digits are
    /// 0.64 em, Helvetica's 0.56 em): layout never measures fonts, so it overestimates.
    static func textWidth(_ s: String, font: Double) -> Double {
        var em = 0.0
        for c in s {
            switch c {
            case "i", "l", "j", "I", ".", ",", ":", ";", "'", "|", "!", "(", ")", "[", "]", " ", "f", "t", "r": em += 0.36
            case "m", "w", "M", "W", "%": em += 0.9
            case "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹", "⁻": em += 0.42
            case _ where c.isUppercase: em += 0.72
            default: em += 0.62
            }
        }
        return em * font
    }
}

/// A panel's data after filtering, with its axis.
private struct PreparedPanel {
    var panel: Panel
    var series: [[[(x: Double, y: Double, error: Double?)]]]  // per series, per unbroken run of points
    var yTicks: AxisTicks
    var legend: [LegendEntry]
    var height: Double
}

/// One row of a legend: a sample of what is drawn, and its name.
struct LegendEntry {
    enum Sample { case line(String, dash: String?), marker(String), lineAndMarker(String, dash: String?), band(String), reference }
    var sample: Sample
    var label: String
}

struct FigureRenderer {
    let figure: Figure

    func render() throws(PlotError) -> RenderedPlot {
        guard !figure.panels.isEmpty else { throw .nothingToPlot("the figure has no panels") }
        var warnings: [String] = []
        var prepared: [PreparedPanel] = []
        for panel in figure.panels { prepared.append(try prepare(panel, warnings: &warnings)) }

        // Horizontal layout: room for the widest y tick label and the widest legend.
        let yTickWidth = prepared.flatMap(\.yTicks.labels).map { Metrics.textWidth($0, font: Metrics.tickFont) }.max() ?? 0
        let left = Metrics.padding + Metrics.labelFont + 12 + yTickWidth + Metrics.tickLength + 5
        let legendWidth = prepared.flatMap(\.legend)
            .map { Metrics.textWidth(legendText($0.label), font: Metrics.legendFont) }.max()
            .map { $0 + Metrics.legendSample + 6 + 14 + Metrics.padding } ?? 0
        let xRange = xDataRange(prepared)
        let provisionalWidth = figure.width - left - max(legendWidth, 30)
        let xTicks = ticks(for: figure.xAxis, data: xRange, target: Self.tickTarget(length: provisionalWidth, spacing: 80))
        let lastXLabel = Metrics.textWidth(xTicks.labels.last ?? "", font: Metrics.tickFont) / 2
        let right = max(legendWidth, lastXLabel + Metrics.padding, 24)
        let plotWidth = max(80, figure.width - left - right)

        // Vertical layout.
        var top = Metrics.padding
        if figure.title != nil { top += Metrics.titleFont + 10 }
        var panelTops: [Double] = []
        var y = top
        for (i, p) in prepared.enumerated() {
            if i > 0 { y += Metrics.panelGap }
            if p.panel.title != nil { y += Metrics.panelTitleFont + 8 }
            panelTops.append(y)
            y += p.height
        }
        let height = y + Metrics.tickLength + 4 + Metrics.tickFont + 12 + Metrics.labelFont + Metrics.padding

        var svg = SVGWriter(width: figure.width, height: height, title: figure.title)
        if let title = figure.title {
            svg.element("text", [("x", NumberFormat.coordinate(left)), ("y", NumberFormat.coordinate(Metrics.padding + Metrics.titleFont)),
                                 ("font-size", NumberFormat.coordinate(Metrics.titleFont)), ("font-weight", "bold")], text: title)
        }
        let xScale = ScaleMap(lower: xTicks.lower, upper: xTicks.upper, from: left, to: left + plotWidth,
                              logarithmic: figure.xAxis.scale == .logarithmic)
        for (i, p) in prepared.enumerated() {
            let frame = Frame(left: left, top: panelTops[i], width: plotWidth, height: p.height)
            drawPanel(p, index: i, frame: frame, xScale: xScale, xTicks: xTicks,
                      isBottom: i == prepared.count - 1, into: &svg)
        }
        // The shared axis label, under the bottom panel.
        let bottomOfPlots = panelTops.last! + prepared.last!.height
        svg.element("text", [("x", NumberFormat.coordinate(left + plotWidth / 2)),
                             ("y", NumberFormat.coordinate(bottomOfPlots + Metrics.tickLength + 4 + Metrics.tickFont + 10 + Metrics.labelFont)),
                             ("text-anchor", "middle")], text: figure.xAxis.title)
        return RenderedPlot(svg: svg.finish(), warnings: warnings)
    }

    // MARK: Data

    private func prepare(_ panel: Panel, warnings: inout [String]) throws(PlotError) -> PreparedPanel {
        let logarithmic = panel.yAxis.scale == .logarithmic, logarithmicX = figure.xAxis.scale == .logarithmic
        var runs: [[[(x: Double, y: Double, error: Double?)]]] = []
        var lowest = Double.infinity, highest = -Double.infinity
        var anyPoint = false, anyPositive = false
        for s in panel.series {
            var seriesRuns: [[(x: Double, y: Double, error: Double?)]] = []
            var current: [(x: Double, y: Double, error: Double?)] = []
            var nonFinite = 0, nonPositive = 0, nonPositiveX = 0
            for i in s.x.indices {
                let x = s.x[i], y = s.y[i]
                guard x.isFinite, y.isFinite else {
                    nonFinite += 1
                    if !current.isEmpty { seriesRuns.append(current); current = [] }
                    continue
                }
                anyPoint = true
                if logarithmic && y <= 0 || logarithmicX && x <= 0 {
                    if logarithmic && y <= 0 { nonPositive += 1 } else { nonPositiveX += 1 }
                    if !current.isEmpty { seriesRuns.append(current); current = [] }
                    continue
                }
                anyPositive = true
                var error = s.yErrors.map { abs($0[i]) }
                if let e = error, !e.isFinite { error = nil; nonFinite += 1 }
                current.append((x, y, error))
                let e = error ?? 0
                lowest = min(lowest, logarithmic && y - e <= 0 ? y : y - e)
                highest = max(highest, y + e)
            }
            if !current.isEmpty { seriesRuns.append(current) }
            if nonFinite > 0 {
                warnings.append("'\(s.name)': skipped \(nonFinite) non-finite value\(nonFinite == 1 ? "" : "s") (NaN or infinity)")
            }
            if nonPositive > 0 {
                warnings.append("'\(s.name)': log y axis: skipped \(nonPositive) value\(nonPositive == 1 ? "" : "s") ≤ 0")
            }
            if nonPositiveX > 0 {
                warnings.append("'\(s.name)': log x axis: skipped \(nonPositiveX) point\(nonPositiveX == 1 ? "" : "s") at x ≤ 0")
            }
            runs.append(seriesRuns)
        }
        let name = panel.title ?? panel.yAxis.label
        if logarithmic, anyPoint, !anyPositive {
            throw .logAxis("no value in panel '\(name)' is positive, so none can be drawn on a log scale (plot it on a linear axis)")
        }
        if logarithmicX, anyPoint, !anyPositive {
            throw .logAxis("no point of panel '\(name)' has a positive x value, so none can be drawn on a log x axis")
        }
        guard anyPoint else {
            throw .nothingToPlot(panel.series.isEmpty ? "panel '\(name)' has no series" : "panel '\(name)' has no finite values")
        }
        let highestData = highest
        for r in panel.referenceLines where r.orientation == .horizontal && r.value.isFinite && (!logarithmic || r.value > 0) {
            lowest = min(lowest, r.value); highest = max(highest, r.value)
        }
        if !logarithmic {
            for v in panel.yAxis.includes where v.isFinite { lowest = min(lowest, v); highest = max(highest, v) }
        }
        let target = Self.tickTarget(length: panel.height, spacing: 42)
        var yTicks = ticks(for: panel.yAxis, data: lowest...highest, target: target)
        // A reference line on the frame's edge would be hidden by the axis (a baseline at
        // 100 % when nothing fell below it): give it one tick step of room.
        if !logarithmic, panel.yAxis.range == nil, !panel.yAxis.tight, yTicks.values.count >= 2 {
            let step = yTicks.values[1] - yTicks.values[0]
            let onEdge = { (edge: Double) in
                panel.referenceLines.contains { $0.orientation == .horizontal && abs($0.value - edge) <= 1e-9 * step }
            }
            let (low, high) = (onEdge(yTicks.lower) ? yTicks.lower - step : lowest, onEdge(yTicks.upper) ? yTicks.upper + step : highest)
            if low != lowest || high != highest { yTicks = ticks(for: panel.yAxis, data: low...high, target: target) }
            // Data reaching the top of the frame would merge with it (a peak drawn as a flat
            // edge): one more tick step above, when the top tick is within 2 % of the span.
            let top = yTicks.values.count >= 2 ? yTicks.values[yTicks.values.count - 1] - yTicks.values[yTicks.values.count - 2] : step
            if yTicks.upper - highestData <= 0.02 * (yTicks.upper - yTicks.lower) {
                yTicks = ticks(for: panel.yAxis, data: yTicks.lower...(yTicks.upper + top), target: target)
            }
        }
        var legend: [LegendEntry] = []
        if panel.showsLegend ?? (panel.series.count > 1) {
            for (i, s) in panel.series.enumerated() {
                let colour = (s.colour ?? Palette.colour(for: i)).description
                let dash = s.dash ?? Palette.dashPattern(for: i)
                let sample: LegendEntry.Sample = switch s.style {
                case .line: .line(colour, dash: dash)
                case .points: .marker(colour)
                case .linePoints: .lineAndMarker(colour, dash: dash)
                }
                legend.append(LegendEntry(sample: sample, label: s.name))
            }
        }
        for b in panel.bands { if let label = b.label { legend.append(LegendEntry(sample: .band((b.colour ?? Palette.band).description), label: label)) } }
        for r in panel.referenceLines { if let label = r.label { legend.append(LegendEntry(sample: .reference, label: label)) } }
        let legendHeight = legend.isEmpty ? 0 : Double(legend.count) * Metrics.legendRow + 8
        let labelLength = Metrics.textWidth(panel.yAxis.title, font: Metrics.labelFont) + 8
        return PreparedPanel(panel: panel, series: runs, yTicks: yTicks, legend: legend,
                             height: max(panel.height, legendHeight, min(labelLength, 320)))
    }

    private func xDataRange(_ prepared: [PreparedPanel]) -> ClosedRange<Double> {
        var lo = Double.infinity, hi = -Double.infinity
        for p in prepared {
            for run in p.series.joined() { for point in run { lo = min(lo, point.x); hi = max(hi, point.x) } }
            for r in p.panel.referenceLines where r.orientation == .vertical && r.value.isFinite { lo = min(lo, r.value); hi = max(hi, r.value) }
            for b in p.panel.bands where b.from.isFinite && b.to.isFinite { lo = min(lo, b.from); hi = max(hi, b.to) }
        }
        return lo...hi
    }

    private func ticks(for axis: Axis, data: ClosedRange<Double>, target: Int) -> AxisTicks {
        if let range = axis.range ?? (axis.tight && data.lowerBound < data.upperBound ? data : nil) {
            var t = axis.scale == .logarithmic && range.lowerBound > 0
                ? NiceTicks.logarithmic(range.lowerBound, range.upperBound)
                : NiceTicks.linear(range.lowerBound, range.upperBound, target: target)
            let inside = t.values.indices.filter { range.contains(t.values[$0]) }
            t.values = inside.map { t.values[$0] }
            t.labels = inside.map { t.labels[$0] }
            t.minor = t.minor.filter { range.contains($0) }
            t.lower = range.lowerBound; t.upper = range.upperBound
            return t
        }
        return axis.scale == .logarithmic ? NiceTicks.logarithmic(data.lowerBound, data.upperBound)
                                          : NiceTicks.linear(data.lowerBound, data.upperBound, target: target)
    }

    static func tickTarget(length: Double, spacing: Double) -> Int { max(2, min(8, Int(length / spacing))) }

    private func legendText(_ name: String) -> String {
        name.count > Metrics.maximumLegendCharacters ? String(name.prefix(Metrics.maximumLegendCharacters - 1)) + "…" : name
    }

    // MARK: Drawing

    private func drawPanel(_ p: PreparedPanel, index: Int, frame: Frame, xScale: ScaleMap, xTicks: AxisTicks,
                           isBottom: Bool, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        let yScale = ScaleMap(lower: p.yTicks.lower, upper: p.yTicks.upper, from: frame.bottom, to: frame.top,
                              logarithmic: p.panel.yAxis.scale == .logarithmic)
        let clipID = "kinapse-plot-area-\(index + 1)"
        svg.open("g", [("class", "panel")])
        svg.open("defs", [])
        svg.open("clipPath", [("id", clipID)])
        svg.element("rect", [("x", c(frame.left)), ("y", c(frame.top)), ("width", c(frame.width)), ("height", c(frame.height))])
        svg.close("clipPath")
        svg.close("defs")

        if let title = p.panel.title {
            svg.element("text", [("x", c(frame.left)), ("y", c(frame.top - 8)), ("font-size", c(Metrics.panelTitleFont)),
                                 ("font-weight", "bold")], text: title)
        }

        // Bands under everything else.
        for band in p.panel.bands where band.from.isFinite && band.to.isFinite {
            var x0 = xScale.map(band.from), x1 = xScale.map(band.to)
            if x1 - x0 < 3 { let mid = (x0 + x1) / 2; x0 = mid - 1.5; x1 = mid + 1.5 }
            svg.element("rect", [("x", c(x0)), ("y", c(frame.top)), ("width", c(x1 - x0)), ("height", c(frame.height)),
                                 ("fill", (band.colour ?? Palette.band).description), ("fill-opacity", Metrics.bandOpacity), ("clip-path", "url(#\(clipID))")])
        }

        // Grid.
        svg.open("g", [("stroke", Palette.grid.description), ("stroke-width", "1")])
        for v in p.yTicks.values {
            let y = yScale.map(v)
            svg.element("line", [("x1", c(frame.left)), ("y1", c(y)), ("x2", c(frame.right)), ("y2", c(y))])
        }
        for v in xTicks.values {
            let x = xScale.map(v)
            svg.element("line", [("x1", c(x)), ("y1", c(frame.top)), ("x2", c(x)), ("y2", c(frame.bottom))])
        }
        svg.close("g")

        for line in p.panel.referenceLines where line.value.isFinite {
            var (x1, y1, x2, y2) = (frame.left, 0.0, frame.right, 0.0)
            switch line.orientation {
            case .horizontal:
                guard yScale.contains(line.value) else { continue }
                (y1, y2) = (yScale.map(line.value), yScale.map(line.value))
            case .vertical:
                guard xScale.contains(line.value) else { continue }
                (x1, y1, x2, y2) = (xScale.map(line.value), frame.top, xScale.map(line.value), frame.bottom)
            }
            svg.element("line", [("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)),
                                 ("stroke", Palette.reference.description), ("stroke-width", "1.2"), ("stroke-dasharray", "6 4")])
        }

        // Series: lines clipped to the plot area; markers and error bars (of points
        // inside the axis ranges) unclipped, so a point on the edge stays round.
        svg.open("g", [("clip-path", "url(#\(clipID))")])
        for (s, series) in p.panel.series.enumerated() where series.style != .points {
            drawLines(series, runs: p.series[s], index: s, xScale: xScale, yScale: yScale, frame: frame, into: &svg)
        }
        svg.close("g")
        for (s, series) in p.panel.series.enumerated() {
            let inside = p.series[s].joined().filter { xScale.contains($0.x) && yScale.contains($0.y) }
            let isolated = p.series[s].allSatisfy { $0.count == 1 }
            guard series.style != .line || isolated || inside.contains(where: { $0.error != nil }) else { continue }
            drawMarkers(series, points: inside, drawsMarkers: series.style != .line || isolated, index: s,
                        xScale: xScale, yScale: yScale, frame: frame, into: &svg)
        }

        drawAxes(p, frame: frame, xScale: xScale, yScale: yScale, xTicks: xTicks, isBottom: isBottom, into: &svg)
        if !p.legend.isEmpty { drawLegend(p.legend, frame: frame, into: &svg) }
        svg.close("g")
    }

    private func drawLines(_ series: Series, runs: [[(x: Double, y: Double, error: Double?)]], index: Int,
                           xScale: ScaleMap, yScale: ScaleMap, frame: Frame, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        let colour = (series.colour ?? Palette.colour(for: index)).description
        let dash = series.dash ?? Palette.dashPattern(for: index)
        for run in runs where run.count > 1 {
            let pixels = Decimation.reduce(run.map { (xScale.map($0.x), yScale.map($0.y)) }, columns: frame.width)
            var d = ""
            for (i, point) in pixels.enumerated() { d += (i == 0 ? "M" : "L") + c(point.0) + "," + c(point.1) }
            var attributes = [("d", d), ("fill", "none"), ("stroke", colour), ("stroke-width", c(Metrics.lineWidth)),
                              ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
            if let dash { attributes.append(("stroke-dasharray", dash)) }
            svg.element("path", attributes)
        }
    }

    private func drawMarkers(_ series: Series, points: [(x: Double, y: Double, error: Double?)], drawsMarkers: Bool, index: Int,
                             xScale: ScaleMap, yScale: ScaleMap, frame: Frame, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        let colour = (series.colour ?? Palette.colour(for: index)).description
        var d = ""
        for point in points {
            guard let e = point.error, e > 0 else { continue }
            let x = xScale.map(point.x)
            // Bars end at the plot area; a cap marks only an end that is inside it.
            let lowInside = yScale.contains(point.y - e), highInside = yScale.contains(point.y + e)
            let low = lowInside ? yScale.map(point.y - e) : frame.bottom
            let high = highInside ? yScale.map(point.y + e) : frame.top
            d += "M\(c(x)),\(c(low))V\(c(high))"
            if highInside { d += "M\(c(x - Metrics.errorCap)),\(c(high))H\(c(x + Metrics.errorCap))" }
            if lowInside { d += "M\(c(x - Metrics.errorCap)),\(c(low))H\(c(x + Metrics.errorCap))" }
        }
        if !d.isEmpty {
            svg.element("path", [("d", d), ("fill", "none"), ("stroke", colour), ("stroke-width", "1.2")])
        }
        guard drawsMarkers, !points.isEmpty else { return }
        svg.open("g", [("fill", colour), ("stroke", "#ffffff"), ("stroke-width", "0.8")])
        for point in points {
            svg.element("circle", [("cx", c(xScale.map(point.x))), ("cy", c(yScale.map(point.y))), ("r", c(Metrics.markerRadius))])
        }
        svg.close("g")
    }

    private func drawAxes(_ p: PreparedPanel, frame: Frame, xScale: ScaleMap, yScale: ScaleMap, xTicks: AxisTicks,
                          isBottom: Bool, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        let axisColour = Palette.axis.description
        var d = "M\(c(frame.left)),\(c(frame.top))V\(c(frame.bottom))H\(c(frame.right))"
        for v in p.yTicks.values { d += "M\(c(frame.left)),\(c(yScale.map(v)))h\(c(-Metrics.tickLength))" }
        for v in p.yTicks.minor { d += "M\(c(frame.left)),\(c(yScale.map(v)))h\(c(-Metrics.minorTickLength))" }
        for v in xTicks.values { d += "M\(c(xScale.map(v))),\(c(frame.bottom))v\(c(Metrics.tickLength))" }
        svg.element("path", [("d", d), ("fill", "none"), ("stroke", axisColour), ("stroke-width", "1")])

        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "end")])
        for (v, label) in zip(p.yTicks.values, p.yTicks.labels) {
            svg.element("text", [("x", c(frame.left - Metrics.tickLength - 4)), ("y", c(yScale.map(v) + Metrics.tickFont * 0.35))], text: label)
        }
        svg.close("g")
        if isBottom {
            svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "middle")])
            for (v, label) in zip(xTicks.values, xTicks.labels) {
                svg.element("text", [("x", c(xScale.map(v))), ("y", c(frame.bottom + Metrics.tickLength + 3 + Metrics.tickFont))], text: label)
            }
            svg.close("g")
        }
        // The y label, rotated, centred on the plot area; smaller if it would overrun it.
        let title = p.panel.yAxis.title
        let fullWidth = Metrics.textWidth(title, font: Metrics.labelFont)
        let font = max(10, min(Metrics.labelFont, Metrics.labelFont * frame.height / max(fullWidth, 1)))
        let x = Metrics.padding + font * 0.8, y = frame.top + frame.height / 2
        var attributes = [("x", c(x)), ("y", c(y)), ("transform", "rotate(-90 \(c(x)) \(c(y)))"), ("text-anchor", "middle")]
        if font != Metrics.labelFont { attributes.append(("font-size", c(font))) }
        svg.element("text", attributes, text: title)
    }

    private func drawLegend(_ entries: [LegendEntry], frame: Frame, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        let x0 = frame.right + 14, x1 = x0 + Metrics.legendSample
        svg.open("g", [("class", "legend"), ("font-size", c(Metrics.legendFont))])
        for (i, entry) in entries.enumerated() {
            let y = frame.top + 10 + Double(i) * Metrics.legendRow
            func line(_ colour: String, dash: String?, width: Double = Metrics.lineWidth) {
                var attributes = [("x1", c(x0)), ("y1", c(y)), ("x2", c(x1)), ("y2", c(y)), ("stroke", colour), ("stroke-width", c(width))]
                if let dash { attributes.append(("stroke-dasharray", dash)) }
                svg.element("line", attributes)
            }
            func marker(_ colour: String) {
                svg.element("circle", [("cx", c((x0 + x1) / 2)), ("cy", c(y)), ("r", c(Metrics.markerRadius)),
                                       ("fill", colour), ("stroke", "#ffffff"), ("stroke-width", "0.8")])
            }
            switch entry.sample {
            case .line(let colour, let dash): line(colour, dash: dash)
            case .marker(let colour): marker(colour)
            case .lineAndMarker(let colour, let dash): line(colour, dash: dash); marker(colour)
            case .band(let colour):
                svg.element("rect", [("x", c(x0)), ("y", c(y - 6)), ("width", c(Metrics.legendSample)), ("height", "12"),
                                     ("fill", colour), ("fill-opacity", Metrics.bandOpacity)])
            case .reference: line(Palette.reference.description, dash: "6 4", width: 1.2)
            }
            svg.element("text", [("x", c(x1 + 6)), ("y", c(y + Metrics.legendFont * 0.35))], text: legendText(entry.label))
        }
        svg.close("g")
    }
}

struct Frame {
    var left: Double, top: Double, width: Double, height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }
}

/// Data value → pixel along one axis.
struct ScaleMap {
    let lower: Double, upper: Double, from: Double, to: Double, logarithmic: Bool

    func accepts(_ v: Double) -> Bool { v.isFinite && (!logarithmic || v > 0) }

    /// Within the axis range (with a little slack for rounding).
    func contains(_ v: Double) -> Bool {
        guard accepts(v) else { return false }
        let slack = abs(upper - lower) * 1e-9
        return v >= min(lower, upper) - slack && v <= max(lower, upper) + slack
    }

    func map(_ v: Double) -> Double {
        let (a, b, x) = logarithmic ? (log10(lower), log10(upper), log10(v)) : (lower, upper, v)
        let t = b == a ? 0.5 : (x - a) / (b - a)
        // Far outside the axis (clipped anyway): keep coordinates finite and short.
        return from + (to - from) * min(max(t, -10), 11)
    }
}

/// Thins a polyline with far more points than pixel columns: per column it keeps the
/// first, lowest, highest and last point, in order, which draws the same picture.
enum Decimation {
    static func reduce(_ points: [(Double, Double)], columns: Double) -> [(Double, Double)] {
        guard points.count > Int(columns) * 4 else { return points }
        var out: [(Double, Double)] = []
        out.reserveCapacity(Int(columns) * 4 + 4)
        var bucket: [(index: Int, point: (Double, Double))] = []
        var bucketColumn = Int.min
        func flush() {
            guard !bucket.isEmpty else { return }
            let first = bucket.first!, last = bucket.last!
            let low = bucket.min { $0.point.1 < $1.point.1 }!, high = bucket.max { $0.point.1 < $1.point.1 }!
            var seen = Set<Int>()
            for entry in [first, low, high, last].sorted(by: { $0.index < $1.index }) where seen.insert(entry.index).inserted {
                out.append(entry.point)
            }
            bucket.removeAll(keepingCapacity: true)
        }
        for (i, p) in points.enumerated() {
            let column = Int(p.0.rounded(.down))
            if column != bucketColumn { flush(); bucketColumn = column }
            bucket.append((i, p))
        }
        flush()
        return out
    }
}
