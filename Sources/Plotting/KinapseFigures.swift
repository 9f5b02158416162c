public import KineticsCore

/// The figures Kinapse draws, each one call from a command.
public enum SVGPlot {
    /// How time-course columns are spread over panels.
    public enum PanelLayout: Sendable {
        /// Every column in one panel.
        case onePanel
        /// Columns whose peaks lie within a factor of 10 share a panel, so a 10⁻³ µM
        /// messenger is not flattened against a 10 µM enzyme (at most six panels).
        case byMagnitude
        /// One panel per group, in the order given.
        case groups([[String]])
    }

    /// What a column measures, for its panel's y axis: `concentration` in `µM`, `rate` in `µM/s`.
    public struct Quantity: Sendable, Hashable {
        public var name: String
        public var unit: String?
        public init(_ name: String, unit: String? = nil) { self.name = name; self.unit = unit }
    }

    /// Time courses of a pathway simulation, panels sharing the time axis.
    ///
    /// - Parameters:
    ///   - columns: the columns to draw (all by default); ignored with `.groups`.
    ///   - timeUnit: the model's time unit; runs longer than 20 min in seconds are drawn in minutes.
    ///   - quantity, unit: the y axis label, e.g. `"concentration"`, `"µM"`.
    ///   - quantities: per column, overriding `quantity` and `unit`; a panel whose columns
    ///     measure different things is labelled "value", without a unit.
    public static func timeCourse(trajectory: Trajectory, columns: [String]? = nil, layout: PanelLayout = .byMagnitude,
                                  logY: Bool = false, title: String? = nil, timeUnit: String = "s",
                                  quantity: String = "concentration", unit: String? = nil,
                                  quantities: [String: Quantity] = [:]) throws(PlotError) -> RenderedPlot {
        try timeCourseFigure(trajectory: trajectory, columns: columns, layout: layout, logY: logY, title: title,
                             timeUnit: timeUnit, quantity: quantity, unit: unit, quantities: quantities).render()
    }

    static func timeCourseFigure(trajectory: Trajectory, columns: [String]? = nil, layout: PanelLayout = .byMagnitude,
                                 logY: Bool = false, title: String? = nil, timeUnit: String = "s",
                                 quantity: String = "concentration", unit: String? = nil,
                                 quantities: [String: Quantity] = [:]) throws(PlotError) -> Figure {
        let groups: [[String]]
        switch layout {
        case .groups(let g): groups = g
        case .onePanel: groups = [columns ?? trajectory.columns]
        case .byMagnitude: groups = magnitudeGroups(columns ?? trajectory.columns, trajectory: trajectory)
        }
        for name in groups.joined() where !trajectory.columns.contains(name) {
            throw .unknownColumn(name, available: trajectory.columns)
        }
        guard !groups.joined().isEmpty else { throw .nothingToPlot("no columns selected") }
        let time = TimeAxis(times: trajectory.times, unit: timeUnit)
        let height = panelHeight(count: groups.count)
        let panels = groups.filter { !$0.isEmpty }.map { group in
            let values = group.map { trajectory.series($0)! }
            let nonNegative = values.joined().allSatisfy { !($0 < 0) }
            let measured = Set(group.map { quantities[$0] ?? Quantity(quantity, unit: unit) })
            let shown = measured.count == 1 ? measured.first! : Quantity("value")
            return Panel(yAxis: Axis(shown.name, unit: shown.unit, scale: logY ? .logarithmic : .linear, includes: nonNegative ? [0] : []),
                         series: zip(group, values).map { Series($0, x: time.values, y: $1) }, height: height, showsLegend: true)
        }
        return Figure(title: title, xAxis: Axis("time", unit: time.unit, tight: true), panels: panels)
    }

    /// Test-stimulus readouts of a synapse run (what `--readouts` writes), in seconds.
    public struct SynapseReadouts: Sendable {
        public var times: [Double]
        public var releaseProbability: [Double]
        public var receptors: [Double]
        /// Mean IPSC amplitude as a percentage of the baseline mean.
        public var amplitudePercent: [Double]
        public var inductionStart: Double
        public var inductionEnd: Double
        /// Shown on the induction band (e.g. the protocol's name).
        public var inductionLabel: String
        /// Where the change is measured, in seconds after the end of induction (shaded on
        /// the IPSC panel); `nil` when unknown.
        public var analysisWindow: ClosedRange<Double>?
        /// A biophysical synapse's recorded amplitude ("IPSC" in pA or "IPSP" in mV) and E_GABA (mV),
        /// drawn in panels of their own; nil for the quantal readout.
        public var recorded: (name: String, unit: String, values: [Double], eGABA: [Double])?

        public init(times: [Double], releaseProbability: [Double], receptors: [Double], amplitudePercent: [Double],
                    inductionStart: Double, inductionEnd: Double, inductionLabel: String = "induction",
                    analysisWindow: ClosedRange<Double>? = nil) {
            self.times = times; self.releaseProbability = releaseProbability; self.receptors = receptors
            self.amplitudePercent = amplitudePercent; self.inductionStart = inductionStart; self.inductionEnd = inductionEnd
            self.inductionLabel = inductionLabel; self.analysisWindow = analysisWindow
        }
    }

    /// A synapse run: optional pathway species on top, then release probability,
    /// receptors per site and the normalised IPSC, on a time axis in minutes from the
    /// start of induction, with the induction period shaded and the baseline at 100 %.
    ///
    /// - Parameters:
    ///   - pathway: the run's time course (seconds, same clock as the readouts).
    ///   - species: columns of `pathway` to draw (in one panel); `nil` draws none.
    public static func synapseRun(readouts r: SynapseReadouts, pathway: Trajectory? = nil, species: [String]? = nil,
                                  title: String? = nil) throws(PlotError) -> RenderedPlot {
        try synapseRunFigure(readouts: r, pathway: pathway, species: species, title: title).render()
    }

    static func synapseRunFigure(readouts r: SynapseReadouts, pathway: Trajectory? = nil, species: [String]? = nil,
                                 title: String? = nil) throws(PlotError) -> Figure {
        let minutes = { (t: Double) in (t - r.inductionStart) / 60 }
        let x = r.times.map(minutes)
        let band = Band(from: 0, to: minutes(r.inductionEnd), label: r.inductionLabel)
        let style: Series.Style = r.times.count <= 80 ? .linePoints : .line
        var panels: [Panel] = []
        if let pathway, let species, !species.isEmpty {
            for name in species where !pathway.columns.contains(name) { throw .unknownColumn(name, available: pathway.columns) }
            let t = pathway.times.map(minutes)
            panels.append(Panel(title: "Pathway", yAxis: Axis("concentration", unit: "µM", includes: [0]),
                                series: species.map { Series($0, x: t, y: pathway.series($0)!) }, bands: [band], height: 170))
        }
        panels.append(Panel(title: "Release probability", yAxis: Axis("Pr"),
                            series: [Series("Pr", x: x, y: r.releaseProbability, style: style, colour: Palette.blue)],
                            bands: [band], height: 130))
        panels.append(Panel(title: "Receptors per release site", yAxis: Axis("N"),
                            series: [Series("N", x: x, y: r.receptors, style: style, colour: Palette.bluishGreen)],
                            bands: [band], height: 130))
        if let recorded = r.recorded {
            panels.append(Panel(title: "Recorded \(recorded.name)", yAxis: Axis(recorded.name, unit: recorded.unit, includes: [0]),
                                series: [Series(recorded.name, x: x, y: recorded.values, style: style, colour: Palette.black)],
                                bands: [band], height: 150))
            panels.append(Panel(title: "GABA-A reversal potential", yAxis: Axis("E_GABA", unit: "mV"),
                                series: [Series("E_GABA", x: x, y: recorded.eGABA, style: style, colour: Palette.reddishPurple)],
                                bands: [band], height: 130))
        }
        panels.append(ipscPanel(x: x, percent: r.amplitudePercent, band: band, style: style))
        // Name the shaded period once, in the top panel.
        for i in panels.indices.dropFirst() { panels[i].bands = panels[i].bands.map { Band(from: $0.from, to: $0.to) } }
        if let window = r.analysisWindow {
            // The summary's "after" values are means over this window.
            panels[panels.count - 1].bands.append(Band(from: minutes(r.inductionEnd + window.lowerBound), to: minutes(r.inductionEnd + window.upperBound),
                                                       label: "analysis window", colour: Palette.skyBlue))
        }
        return Figure(title: title, xAxis: Axis("time from induction onset", unit: "min", tight: true), panels: panels)
    }

    /// Normalised IPSC amplitude alone (one panel), times in seconds.
    public static func normalisedIPSC(times: [Double], percent: [Double], inductionStart: Double, inductionEnd: Double,
                                      inductionLabel: String = "induction", title: String? = nil) throws(PlotError) -> RenderedPlot {
        let x = times.map { ($0 - inductionStart) / 60 }
        let band = Band(from: 0, to: (inductionEnd - inductionStart) / 60, label: inductionLabel)
        var panel = ipscPanel(x: x, percent: percent, band: band, style: times.count <= 80 ? .linePoints : .line)
        panel.title = nil
        panel.height = 260
        return try Figure(title: title, xAxis: Axis("time from induction onset", unit: "min", tight: true), panels: [panel]).render()
    }

    private static func ipscPanel(x: [Double], percent: [Double], band: Band, style: Series.Style) -> Panel {
        Panel(title: "Normalised IPSC", yAxis: Axis("IPSC amplitude", unit: "% of baseline", includes: [100]),
              series: [Series("IPSC amplitude", x: x, y: percent, style: style, colour: Palette.vermillion)],
              bands: [band], referenceLines: [ReferenceLine(y: 100, label: "baseline")], height: 200)
    }

    /// The spike-timing window: change in IPSC amplitude against the pairing interval
    /// (post minus pre, ms), as points joined by a line, with zero change dashed.
    /// Failed pairings are NaN and are left out (and reported).
    public static func window(deltaT: [Double], change: [Double], quantity: String = "IPSC amplitude change",
                              title: String? = nil) throws(PlotError) -> RenderedPlot {
        try window(series: [(quantity, change)], deltaT: deltaT, title: title)
    }

    /// Several readouts of the same sweep in one window panel (`amplitude`, `PPR`, …).
    public static func window(series: [(name: String, change: [Double])], deltaT: [Double], title: String? = nil) throws(PlotError) -> RenderedPlot {
        try windowFigure(series: series, deltaT: deltaT, title: title).render()
    }

    static func windowFigure(series: [(name: String, change: [Double])], deltaT: [Double], title: String? = nil) -> Figure {
        let panel = Panel(yAxis: Axis(series.count == 1 ? series[0].name : "change", unit: "%"),
                          series: series.map { Series($0.name, x: deltaT, y: $0.change, style: .linePoints) },
                          referenceLines: [ReferenceLine(y: 0), ReferenceLine(x: 0)], height: 300)
        return Figure(title: title, xAxis: Axis("pairing interval Δt, post − pre", unit: "ms", tight: true), panels: [panel])
    }

    /// Measurements of one observable: points with optional ± error bars.
    public struct Observations: Sendable {
        public var name: String
        public var x: [Double], y: [Double]
        public var errors: [Double]?
        public init(_ name: String, x: [Double], y: [Double], errors: [Double]? = nil) {
            self.name = name; self.x = x; self.y = y; self.errors = errors
        }
    }

    /// A model curve.
    public struct Curve: Sendable {
        public var name: String
        public var x: [Double], y: [Double]
        public init(_ name: String, x: [Double], y: [Double]) { self.name = name; self.x = x; self.y = y }
    }

    /// One panel of a fit figure: observations and curves; the `i`th curve takes the
    /// colour of the `i`th observations.
    public struct FitPanel: Sendable {
        public var yAxis: Axis
        public var observations: [Observations]
        public var curves: [Curve]
        public init(yAxis: Axis, observations: [Observations], curves: [Curve]) {
            self.yAxis = yAxis; self.observations = observations; self.curves = curves
        }
    }

    /// Data points with error bars over fitted curves, one panel per observable.
    public static func fit(panels: [FitPanel], xAxis: Axis, title: String? = nil) throws(PlotError) -> RenderedPlot {
        let height = panelHeight(count: panels.count)
        let drawn = panels.map { p in
            var series: [Series] = []
            for (i, c) in p.curves.enumerated() {
                series.append(Series(c.name, x: c.x, y: c.y, style: .line, colour: Palette.colour(for: i)))
            }
            for (i, o) in p.observations.enumerated() {
                series.append(Series(o.name, x: o.x, y: o.y, yErrors: o.errors, style: .points, colour: Palette.colour(for: i)))
            }
            return Panel(yAxis: p.yAxis, series: series, height: height, showsLegend: series.count > 1)
        }
        return try Figure(title: title, xAxis: xAxis, panels: drawn).render()
    }

    // MARK: Helpers

    static func panelHeight(count: Int) -> Double {
        switch count {
        case ...1: 300
        case 2: 220
        default: 170
        }
    }

    /// Greedy grouping by peak magnitude (largest first); groups keep column order.
    static func magnitudeGroups(_ columns: [String], trajectory: Trajectory) -> [[String]] {
        let peaks = columns.map { name -> Double in
            (trajectory.series(name) ?? []).filter(\.isFinite).map(abs).max() ?? 0
        }
        let order = columns.indices.sorted { peaks[$0] != peaks[$1] ? peaks[$0] > peaks[$1] : $0 < $1 }
        var groups: [[Int]] = []
        var groupPeak = 0.0
        for i in order {
            if let last = groups.indices.last, groups.count >= 6 || peaks[i] * 10 >= groupPeak || peaks[i] == 0 {
                groups[last].append(i)
            } else {
                groups.append([i]); groupPeak = peaks[i]
            }
        }
        return groups.map { $0.sorted().map { columns[$0] } }
    }
}

/// Seconds, or minutes when the run is long enough that seconds are hard to read.
struct TimeAxis {
    let values: [Double]
    let unit: String

    init(times: [Double], unit: String) {
        let span = (times.filter(\.isFinite).max() ?? 0) - (times.filter(\.isFinite).min() ?? 0)
        if unit == "s", span > 1200 {
            values = times.map { $0 / 60 }; self.unit = "min"
        } else {
            values = times; self.unit = unit
        }
    }
}
