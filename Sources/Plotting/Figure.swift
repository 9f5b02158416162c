/// A figure: one or several panels stacked vertically that share one horizontal axis.
///
/// Build one, then `render()` it to SVG. Rendering is a pure function of the figure:
/// the same figure always gives byte-identical SVG.
public struct Figure: Sendable {
    public var title: String?
    /// The shared horizontal axis (its label is drawn under the bottom panel).
    public var xAxis: Axis
    public var panels: [Panel]
    /// Total width in SVG pixels.
    public var width: Double

    public init(title: String? = nil, xAxis: Axis, panels: [Panel], width: Double = 760) {
        self.title = title; self.xAxis = xAxis; self.panels = panels; self.width = width
    }
}

/// One plot area with its own vertical axis.
public struct Panel: Sendable {
    /// A short heading drawn above the plot area.
    public var title: String?
    public var yAxis: Axis
    public var series: [Series]
    /// Shaded spans of the horizontal axis (an induction period).
    public var bands: [Band]
    /// Dashed lines across the panel (a baseline at 100 %, zero change).
    public var referenceLines: [ReferenceLine]
    /// Height of the plot area in SVG pixels (grown if the legend needs more).
    public var height: Double
    /// Whether the legend lists the series; by default only when there is more than one.
    /// Labelled bands and reference lines are always listed.
    public var showsLegend: Bool?

    public init(title: String? = nil, yAxis: Axis, series: [Series], bands: [Band] = [], referenceLines: [ReferenceLine] = [],
                height: Double = 220, showsLegend: Bool? = nil) {
        self.title = title; self.yAxis = yAxis; self.series = series; self.bands = bands
        self.referenceLines = referenceLines; self.height = height; self.showsLegend = showsLegend
    }
}

public struct Axis: Sendable {
    public enum Scale: Sendable, Equatable { case linear, logarithmic }

    public var label: String
    /// Shown in parentheses after the label: `time (min)`.
    public var unit: String?
    public var scale: Scale
    /// A fixed range; `nil` fits the data (widened to whole tick steps).
    public var range: ClosedRange<Double>?
    /// Linear axes: stretch the fitted range to include these values (0 for
    /// concentrations, 100 for a baseline in percent).
    public var includes: [Double]
    /// `true`: the axis ends where the data end (time axes); `false`: it is widened to
    /// the next tick on either side (value axes).
    public var tight: Bool

    public init(_ label: String, unit: String? = nil, scale: Scale = .linear, range: ClosedRange<Double>? = nil,
                includes: [Double] = [], tight: Bool = false) {
        self.label = label; self.unit = unit; self.scale = scale; self.range = range; self.includes = includes
        self.tight = tight
    }

    public var title: String { unit.map { "\(label) (\($0))" } ?? label }
}

/// One data set drawn in a panel.
public struct Series: Sendable {
    public enum Style: Sendable, Equatable {
        /// A polyline; non-finite points break it.
        case line
        /// Markers only.
        case points
        /// Markers joined by a line (the STDP window).
        case linePoints
    }

    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Symmetric vertical error bars (± this value), one per point; `nil` for none.
    public var yErrors: [Double]?
    public var style: Style
    /// `nil` takes the palette colour for the series' position in its panel.
    public var colour: Colour?
    /// An SVG `stroke-dasharray`, e.g. `"6 3"`; `nil` for solid (or the palette's choice).
    public var dash: String?

    public init(_ name: String, x: [Double], y: [Double], yErrors: [Double]? = nil, style: Style = .line,
                colour: Colour? = nil, dash: String? = nil) {
        precondition(x.count == y.count, "series '\(name)': \(x.count) x values but \(y.count) y values")
        precondition(yErrors.map { $0.count == y.count } ?? true, "series '\(name)': one error per point")
        self.name = name; self.x = x; self.y = y; self.yErrors = yErrors; self.style = style
        self.colour = colour; self.dash = dash
    }
}

/// A shaded span of the horizontal axis, across the whole panel height.
public struct Band: Sendable {
    public var from: Double
    public var to: Double
    /// Listed in the legend with a shaded swatch (e.g. "induction").
    public var label: String?
    /// `nil`: the palette's band colour (Okabe–Ito orange).
    public var colour: Colour?

    public init(from: Double, to: Double, label: String? = nil, colour: Colour? = nil) {
        self.from = min(from, to); self.to = max(from, to); self.label = label; self.colour = colour
    }
}

/// A dashed line across a panel: horizontal at a `y` value (a baseline at 100 %) or
/// vertical at an `x` value (Δt = 0).
public struct ReferenceLine: Sendable {
    public enum Orientation: Sendable, Equatable { case horizontal, vertical }

    public var value: Double
    public var orientation: Orientation
    /// Listed in the legend with a dashed sample (e.g. "baseline").
    public var label: String?

    public init(y: Double, label: String? = nil) { self.value = y; self.orientation = .horizontal; self.label = label }
    public init(x: Double, label: String? = nil) { self.value = x; self.orientation = .vertical; self.label = label }
}

/// The SVG text and what was left out of it on the way.
public struct RenderedPlot: Sendable {
    public var svg: String
    /// Points that could not be drawn (non-finite values, non-positive values on a log
    /// axis), one line per series; meant for standard error.
    public var warnings: [String]

    public init(svg: String, warnings: [String]) { self.svg = svg; self.warnings = warnings }
}

public enum PlotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A requested column does not exist; `available` lists those that do.
    case unknownColumn(String, available: [String])
    /// Nothing drawable: no panels, or a panel without a single finite point.
    case nothingToPlot(String)
    /// A log axis over data with no positive value.
    case logAxis(String)

    public var description: String {
        switch self {
        case .unknownColumn(let name, _): "no column '\(name)'"
        case .nothingToPlot(let why): "nothing to plot: \(why)"
        case .logAxis(let why): "log y axis: \(why)"
        }
    }
}
