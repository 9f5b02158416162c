import Foundation

/// A value over a two-dimensional grid (a two-parameter scan), drawn as coloured cells with
/// a colour bar. Rendering is a pure function of the heat map.
public struct HeatMap: Sendable {
    public var title: String?
    public var xAxis: Axis
    public var yAxis: Axis
    /// Grid coordinates, increasing.
    public var x: [Double]
    public var y: [Double]
    /// `values[j][i]` is the value at (`x[i]`, `y[j]`); non-finite values are drawn grey.
    public var values: [[Double]]
    /// What the colours mean, with its unit (the colour bar's label).
    public var colourLabel: String
    public var width: Double
    public var height: Double

    public init(title: String? = nil, xAxis: Axis, yAxis: Axis, x: [Double], y: [Double], values: [[Double]],
                colourLabel: String, width: Double = 760, height: Double = 420) {
        precondition(values.count == y.count && values.allSatisfy { $0.count == x.count }, "one value per grid point")
        self.title = title; self.xAxis = xAxis; self.yAxis = yAxis; self.x = x; self.y = y; self.values = values
        self.colourLabel = colourLabel; self.width = width; self.height = height
    }

    /// Values of both signs (a change that is potentiation here and depression there) are drawn
    /// on a diverging scale centred on zero (ColorBrewer RdBu; Harrower & Brewer 2003, Cartogr J
    /// 40:27), others on viridis (van der Walt & Smith, matplotlib 1.5), which keeps its order in
    /// grey and under the common colour-vision deficiencies.
    static let viridis: [Colour] = [0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21908C, 0x27AD81, 0x5DC863, 0xAADC32, 0xFDE725].map(Colour.init(hex:))
    static let redBlue: [Colour] = [0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B].map(Colour.init(hex:))
    static let missing = Colour(hex: 0xBBBBBB)

    public func render() throws(PlotError) -> RenderedPlot {
        let finite = values.joined().filter(\.isFinite)
        guard !x.isEmpty, !y.isEmpty else { throw .nothingToPlot("the heat map has no grid") }
        guard let low = finite.min(), let high = finite.max() else { throw .nothingToPlot("no finite value in the heat map") }
        for (axis, grid) in [(xAxis, x), (yAxis, y)] where axis.scale == .logarithmic && grid.contains(where: { $0 <= 0 }) {
            throw .logAxis("'\(axis.label)' has values ≤ 0, which a log axis cannot place")
        }
        let missingCount = values.joined().count - finite.count
        let warnings = missingCount == 0 ? [] : ["heat map: \(missingCount) point\(missingCount == 1 ? "" : "s") without a value drawn grey"]

        let diverging = low < 0 && high > 0
        let reach = max(abs(low), abs(high))
        let (zLow, zHigh) = diverging ? (-reach, reach) : (low, high == low ? low + 1 : high)
        let zTicks = NiceTicks.linear(zLow, zHigh, target: 6)
        let colours = diverging ? Self.redBlue : Self.viridis

        let xEdges = Self.edges(x, logarithmic: xAxis.scale == .logarithmic)
        let yEdges = Self.edges(y, logarithmic: yAxis.scale == .logarithmic)
        let xTicks = ticks(xAxis, xEdges.first!...xEdges.last!)
        let yTicks = ticks(yAxis, yEdges.first!...yEdges.last!)

        let c = NumberFormat.coordinate
        let yTickWidth = yTicks.labels.map { Metrics.textWidth($0, font: Metrics.tickFont) }.max() ?? 0
        let left = Metrics.padding + Metrics.labelFont + 12 + yTickWidth + Metrics.tickLength + 5
        let barLabels = zTicks.labels.map { Metrics.textWidth($0, font: Metrics.tickFont) }.max() ?? 0
        let right = Metrics.padding + 16 + Metrics.tickLength + 4 + barLabels + 12 + Metrics.labelFont + 8
        let top = Metrics.padding + (title == nil ? 0 : Metrics.titleFont + 10)
        let frame = Frame(left: left, top: top, width: max(80, width - left - right), height: height)
        let totalHeight = frame.bottom + Metrics.tickLength + 4 + Metrics.tickFont + 12 + Metrics.labelFont + Metrics.padding
        let xMap = ScaleMap(lower: xEdges.first!, upper: xEdges.last!, from: frame.left, to: frame.right, logarithmic: xAxis.scale == .logarithmic)
        let yMap = ScaleMap(lower: yEdges.first!, upper: yEdges.last!, from: frame.bottom, to: frame.top, logarithmic: yAxis.scale == .logarithmic)

        var svg = SVGWriter(width: width, height: totalHeight, title: title)
        if let title {
            svg.element("text", [("x", c(left)), ("y", c(Metrics.padding + Metrics.titleFont)), ("font-size", c(Metrics.titleFont)),
                                 ("font-weight", "bold")], text: title)
        }
        svg.open("g", [("class", "cells"), ("shape-rendering", "crispEdges")])
        for (j, row) in values.enumerated() {
            let y0 = yMap.map(yEdges[j + 1]), y1 = yMap.map(yEdges[j])
            for (i, v) in row.enumerated() {
                let x0 = xMap.map(xEdges[i]), x1 = xMap.map(xEdges[i + 1])
                let colour = v.isFinite ? Self.colour(at: (v - zLow) / (zHigh - zLow), in: colours) : Self.missing
                svg.element("rect", [("x", c(x0)), ("y", c(y0)), ("width", c(x1 - x0)), ("height", c(y1 - y0)), ("fill", colour.description)])
            }
        }
        svg.close("g")

        // Axes: ticks outside the frame, labels under and left of it.
        let axisColour = Palette.axis.description
        var d = "M\(c(frame.left)),\(c(frame.top))V\(c(frame.bottom))H\(c(frame.right))V\(c(frame.top))Z"
        for v in xTicks.values where xMap.contains(v) { d += "M\(c(xMap.map(v))),\(c(frame.bottom))v\(c(Metrics.tickLength))" }
        for v in yTicks.values where yMap.contains(v) { d += "M\(c(frame.left)),\(c(yMap.map(v)))h\(c(-Metrics.tickLength))" }
        svg.element("path", [("d", d), ("fill", "none"), ("stroke", axisColour), ("stroke-width", "1")])
        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "middle")])
        for (v, label) in zip(xTicks.values, xTicks.labels) where xMap.contains(v) {
            svg.element("text", [("x", c(xMap.map(v))), ("y", c(frame.bottom + Metrics.tickLength + 3 + Metrics.tickFont))], text: label)
        }
        svg.close("g")
        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "end")])
        for (v, label) in zip(yTicks.values, yTicks.labels) where yMap.contains(v) {
            svg.element("text", [("x", c(frame.left - Metrics.tickLength - 4)), ("y", c(yMap.map(v) + Metrics.tickFont * 0.35))], text: label)
        }
        svg.close("g")
        svg.element("text", [("x", c(frame.left + frame.width / 2)),
                             ("y", c(frame.bottom + Metrics.tickLength + 4 + Metrics.tickFont + 10 + Metrics.labelFont)),
                             ("text-anchor", "middle")], text: xAxis.title)
        rotatedLabel(yAxis.title, x: Metrics.padding + Metrics.labelFont * 0.8, centre: frame.top + frame.height / 2, into: &svg)

        // The colour bar: the scale in 64 bands, its ticks on the right.
        let bar = Frame(left: frame.right + 16, top: frame.top, width: 16, height: frame.height)
        let bands = 64
        svg.open("g", [("class", "colour-bar"), ("shape-rendering", "crispEdges")])
        for k in 0..<bands {
            let f0 = Double(k) / Double(bands), f1 = Double(k + 1) / Double(bands)
            let y0 = bar.bottom - f1 * bar.height, y1 = bar.bottom - f0 * bar.height
            svg.element("rect", [("x", c(bar.left)), ("y", c(y0)), ("width", c(bar.width)), ("height", c(y1 - y0)),
                                 ("fill", Self.colour(at: (f0 + f1) / 2, in: colours).description)])
        }
        svg.close("g")
        var barPath = "M\(c(bar.left)),\(c(bar.top))H\(c(bar.right))V\(c(bar.bottom))H\(c(bar.left))Z"
        let zMap = ScaleMap(lower: zLow, upper: zHigh, from: bar.bottom, to: bar.top, logarithmic: false)
        for v in zTicks.values where zMap.contains(v) { barPath += "M\(c(bar.right)),\(c(zMap.map(v)))h\(c(Metrics.tickLength))" }
        svg.element("path", [("d", barPath), ("fill", "none"), ("stroke", axisColour), ("stroke-width", "1")])
        svg.open("g", [("font-size", c(Metrics.tickFont)), ("text-anchor", "start")])
        for (v, label) in zip(zTicks.values, zTicks.labels) where zMap.contains(v) {
            svg.element("text", [("x", c(bar.right + Metrics.tickLength + 3)), ("y", c(zMap.map(v) + Metrics.tickFont * 0.35))], text: label)
        }
        svg.close("g")
        rotatedLabel(colourLabel, x: bar.right + Metrics.tickLength + 4 + barLabels + 12 + Metrics.labelFont * 0.8,
                     centre: bar.top + bar.height / 2, into: &svg)
        return RenderedPlot(svg: svg.finish(), warnings: warnings)
    }

    /// Cell boundaries: midway between neighbouring grid values (geometrically on a log axis),
    /// the outer cells as wide as their neighbours' half-steps; one value gets a cell of ±50 %.
    static func edges(_ grid: [Double], logarithmic: Bool) -> [Double] {
        let t = logarithmic ? grid.map(log10) : grid
        guard t.count > 1 else {
            let v = t[0], half = logarithmic ? 0.5 : max(abs(v) * 0.5, 0.5)
            return [v - half, v + half].map { logarithmic ? Foundation.pow(10, $0) : $0 }
        }
        var e = [t[0] - (t[1] - t[0]) / 2]
        for k in 1..<t.count { e.append((t[k - 1] + t[k]) / 2) }
        e.append(t[t.count - 1] + (t[t.count - 1] - t[t.count - 2]) / 2)
        return e.map { logarithmic ? Foundation.pow(10, $0) : $0 }
    }

    /// Linear interpolation between the stops, f in [0, 1].
    static func colour(at f: Double, in stops: [Colour]) -> Colour {
        let u = min(max(f.isFinite ? f : 0, 0), 1) * Double(stops.count - 1)
        let k = min(Int(u), stops.count - 2), w = u - Double(k)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - w) + Double(b) * w).rounded()) }
        let a = stops[k], b = stops[k + 1]
        return Colour(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
    }

    private func ticks(_ axis: Axis, _ range: ClosedRange<Double>) -> AxisTicks {
        axis.scale == .logarithmic ? NiceTicks.logarithmic(range.lowerBound, range.upperBound)
                                   : NiceTicks.linear(range.lowerBound, range.upperBound, target: 6)
    }

    private func rotatedLabel(_ text: String, x: Double, centre y: Double, into svg: inout SVGWriter) {
        let c = NumberFormat.coordinate
        svg.element("text", [("x", c(x)), ("y", c(y)), ("transform", "rotate(-90 \(c(x)) \(c(y)))"), ("text-anchor", "middle")], text: text)
    }
}
