import KineticsCore

/// Which Kinapse CSV a table is, told by its header.
public enum KinapseCSVKind: String, Sendable, Equatable {
    /// `kinapse simulate … --out`: `time,<columns>`.
    case timeCourse = "time course"
    /// `kinapse simulate SYNAPSE --readouts`: one row per test stimulus.
    case synapseReadouts = "synapse readouts"
    /// `kinapse stdp`: `delta_t_ms,amplitude_change_percent,…`.
    case spikeTimingWindow = "STDP window"
    /// `kinapse scan SYNAPSE`: the one or two varied names, then the summary's changes.
    case synapseScan = "synapse scan"
    /// `kinapse sensitivity --method morris`: `rank,parameter,low,high,readout,mu_star,mu,sigma,effects`.
    case morrisScreening = "Morris screening"
    /// `kinapse sensitivity` (local): `rank,parameter,value,…` with the log-derivatives.
    case localSensitivities = "local sensitivities"

    static let readoutColumns = ["time", "phase", "minutes_after_induction", "Pr", "N", "amplitude_percent_of_baseline"]
    /// The changes a synapse scan writes after its varied names (with `delta_egaba_mV` last
    /// on a synapse with a recording).
    static let synapseScanColumns = ["delta_ipsc_percent", "delta_ppr_percent", "delta_inverse_cv2_percent", "delta_receptors_percent", "delta_pr_percent"]
    static let morrisColumns = ["rank", "parameter", "low", "high", "readout", "mu_star", "mu", "sigma", "effects"]

    /// How many names a synapse scan varied (the columns before its changes), if it is one.
    static func scanDimensions(_ header: [String]) -> Int? {
        guard let first = header.firstIndex(of: synapseScanColumns[0]), (1...2).contains(first),
              Array(header[first...].prefix(synapseScanColumns.count)) == synapseScanColumns,
              header.count == first + synapseScanColumns.count || (header.count == first + synapseScanColumns.count + 1 && header.last == "delta_egaba_mV")
        else { return nil }
        return first
    }

    public init?(header: [String]) {
        if Set(Self.readoutColumns).isSubset(of: header) {
            self = .synapseReadouts
        } else if header == Self.morrisColumns {
            self = .morrisScreening
        } else if header.starts(with: ["rank", "parameter", "value"]), header.contains("d_delta_ipsc_d_ln_p") || header.contains("d_ln_y_d_ln_p") {
            self = .localSensitivities
        } else if Self.scanDimensions(header) != nil {
            self = .synapseScan
        } else if header.first == "delta_t_ms" {
            self = .spikeTimingWindow
        } else if header.first == "time" {
            self = .timeCourse
        } else {
            return nil
        }
    }
}

/// Errors of `SVGPlot.figure(for:…)`: either the file is wrong, or the request is.
public enum CSVPlotError: Error, Sendable, CustomStringConvertible {
    case csv(CSVError)
    case plot(PlotError)
    /// The header matches no Kinapse CSV.
    case unrecognised(CSVError)

    public var description: String {
        switch self {
        case .csv(let e), .unrecognised(let e): e.description
        case .plot(let e): e.description
        }
    }
}

extension SVGPlot {
    /// Options of `kinapse plot`.
    public struct CSVPlotOptions: Sendable {
        /// Column groups, one panel each; empty for the default figure of the CSV's kind.
        public var panels: [[String]]
        public var logY: Bool
        public var title: String?
        /// Replaces the label of every panel's y axis (its unit stays).
        public var yLabel: String?

        public init(panels: [[String]] = [], logY: Bool = false, title: String? = nil, yLabel: String? = nil) {
            self.panels = panels; self.logY = logY; self.title = title; self.yLabel = yLabel
        }
    }

    /// The figure for a Kinapse CSV, chosen by its header: time courses, a synapse run
    /// (Pr, N and normalised IPSC around the induction), or an STDP window.
    public static func figure(for table: CSVTable, options: CSVPlotOptions = CSVPlotOptions()) throws(CSVPlotError) -> RenderedPlot {
        // Bars and heat maps are drawn whole, not as panels of lines.
        switch KinapseCSVKind(header: table.header) {
        case .morrisScreening?, .localSensitivities?: return try sensitivityBars(table, options)
        case .synapseScan? where KinapseCSVKind.scanDimensions(table.header) == 2: return try scanHeatMap(table, options)
        default: break
        }
        do { return try labelled(try model(for: table, options: options), options).render() } catch let error as PlotError {
            throw .plot(error)
        } catch let error as CSVPlotError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Several runs of one kind (a control and a blocked run) on shared panels: one colour
    /// per run, named by `labels` in each panel's legend; several columns of a run in one
    /// panel are told apart by dashes. The panels, shading and axes are those of the first
    /// run's figure, and every run must have the columns it draws.
    public static func overlay(_ tables: [CSVTable], labels: [String], options: CSVPlotOptions = CSVPlotOptions()) throws(CSVPlotError) -> RenderedPlot {
        precondition(!tables.isEmpty && labels.count == tables.count, "one label per table")
        let kind = KinapseCSVKind(header: tables[0].header)
        if let kind, [.morrisScreening, .localSensitivities, .synapseScan].contains(kind) {
            let cell = tables[0].headerCells[0]
            throw .unrecognised(CSVError(
                path: tables[0].path, line: cell.line, column: 1, offset: cell.offset, length: cell.length,
                message: "a \(kind.rawValue) is drawn alone, not overlaid on other runs",
                hint: "plot each file by itself"))
        }
        for table in tables.dropFirst() where KinapseCSVKind(header: table.header) != kind {
            let cell = table.headerCells[0]
            throw .unrecognised(CSVError(
                path: table.path, line: cell.line, column: 1, offset: cell.offset, length: cell.length,
                message: "\(KinapseCSVKind(header: table.header).map { "a \($0.rawValue)" } ?? "not a Kinapse CSV"), but '\(tables[0].path)' is \(kind.map { "a \($0.rawValue)" } ?? "not a Kinapse CSV")",
                hint: "overlaid runs must be of one kind: time courses, synapse readouts or STDP windows"))
        }
        var options = options
        if kind == .timeCourse, options.panels.isEmpty {
            // The first run's grouping for all, so each panel holds the same columns in every run.
            let columns = Array(tables[0].header.dropFirst())
            do { options.panels = magnitudeGroups(columns, trajectory: try trajectory(tables[0], columns: columns)) } catch { throw .csv(error) }
        }
        for table in tables {
            for name in options.panels.joined() where table.index(of: name) == nil {
                let cell = table.headerCells[0]
                throw .csv(CSVError(path: table.path, line: cell.line, column: 1, offset: cell.offset, length: 0,
                                    message: "no column '\(name)' in '\(table.path)', which '\(tables[0].path)' has",
                                    hint: "overlaid runs must share the columns drawn; pick them with --select"))
            }
        }
        var merged: Figure
        do {
            let figures = try tables.map { table throws(CSVPlotError) in try model(for: table, options: options) }
            merged = figures[0]
            for p in merged.panels.indices {
                merged.panels[p].series = figures.enumerated().flatMap { run, figure in
                    let own = figure.panels[p].series
                    return own.enumerated().map { k, series in
                        var s = series
                        s.name = own.count == 1 ? labels[run] : "\(labels[run]): \(series.name)"
                        s.colour = Palette.colour(for: run)
                        s.dash = own.count == 1 ? nil : Palette.dashPattern(for: k)
                        return s
                    }
                }
                merged.panels[p].showsLegend = true
            }
            return try labelled(merged, options).render()
        } catch let error as PlotError {
            throw .plot(error)
        } catch let error as CSVPlotError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private static func labelled(_ figure: Figure, _ options: CSVPlotOptions) -> Figure {
        guard let yLabel = options.yLabel else { return figure }
        var figure = figure
        for p in figure.panels.indices { figure.panels[p].yAxis.label = yLabel }
        return figure
    }

    /// The figure for one table, not yet drawn.
    static func model(for table: CSVTable, options: CSVPlotOptions) throws(CSVPlotError) -> Figure {
        guard let kind = KinapseCSVKind(header: table.header) else {
            let cell = table.headerCells[0]
            throw .unrecognised(CSVError(
                path: table.path, line: cell.line, column: 1, offset: cell.offset, length: cell.length,
                message: "not a Kinapse CSV: the header starts with '\(cell.text)'",
                hint: "plot reads time courses ('time,…' from simulate --out), synapse readouts (simulate SYNAPSE --readouts), STDP windows ('delta_t_ms,…' from stdp), synapse scans and sensitivity rankings; a pathway's scan names only its own columns, so draw it with scan's --plot FIG.svg"))
        }
        for name in options.panels.joined() where table.index(of: name) == nil {
            throw .plot(.unknownColumn(name, available: table.header))
        }
        do {
            switch kind {
            case .timeCourse: return try timeCourse(table, options)
            case .synapseReadouts: return try readouts(table, options)
            case .spikeTimingWindow: return try spikeTiming(table, options)
            case .synapseScan: return try scanCurves(table, options)
            case .morrisScreening, .localSensitivities:
                preconditionFailure("bar charts are drawn by figure(for:) and never overlaid")
            }
        } catch let error as CSVError {
            throw .csv(error)
        } catch let error as PlotError {
            throw .plot(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private static func timeCourse(_ table: CSVTable, _ options: CSVPlotOptions) throws -> Figure {
        let columns = options.panels.isEmpty ? Array(table.header.dropFirst()) : Array(Set(options.panels.joined())).sorted()
        let layout: PanelLayout = options.panels.isEmpty ? .byMagnitude : .groups(options.panels)
        return try SVGPlot.timeCourseFigure(trajectory: try trajectory(table, columns: columns), layout: layout, logY: options.logY, title: options.title)
    }

    private static func trajectory(_ table: CSVTable, columns: [String]) throws(CSVError) -> Trajectory {
        var trajectory = Trajectory(columns: columns)
        let times = try table.numbers("time")
        let values = try columns.map { name throws(CSVError) in try table.numbers(name) }
        for r in times.indices { trajectory.append(time: times[r], row: values.map { $0[r] }) }
        return trajectory
    }

    private static func readouts(_ table: CSVTable, _ options: CSVPlotOptions) throws -> Figure {
        let times = try table.numbers("time")
        let minutes = try table.numbers("minutes_after_induction")
        let phases = table.strings("phase")
        // Baseline rows count minutes from the start of induction, follow-up rows from its end.
        let start = phases.indices.first { phases[$0] == "baseline" }.map { times[$0] - 60 * minutes[$0] }
        let end = phases.indices.first { phases[$0] != "baseline" }.map { times[$0] - 60 * minutes[$0] }
        let inductionStart = roundedToMillisecond(start ?? end ?? 0), inductionEnd = roundedToMillisecond(end ?? start ?? 0)
        if options.panels.isEmpty, !options.logY {
            let r = SynapseReadouts(times: times, releaseProbability: try table.numbers("Pr"), receptors: try table.numbers("N"),
                                    amplitudePercent: try table.numbers("amplitude_percent_of_baseline"),
                                    inductionStart: inductionStart, inductionEnd: inductionEnd)
            return try synapseRunFigure(readouts: r, title: options.title)
        }
        let groups = options.panels.isEmpty ? [["Pr"], ["N"], ["amplitude_percent_of_baseline"]] : options.panels
        return try readoutPanels(table, times: times, start: inductionStart, end: inductionEnd, groups: groups, options: options)
    }

    /// Chosen readout columns against time from induction onset, one panel per group.
    private static func readoutPanels(_ table: CSVTable, times: [Double], start: Double, end: Double, groups: [[String]],
                                      options: CSVPlotOptions) throws -> Figure {
        let x = times.map { ($0 - start) / 60 }
        let band = Band(from: 0, to: (end - start) / 60, label: "induction")
        let style: Series.Style = times.count <= 80 ? .linePoints : .line
        var panels: [Panel] = []
        for group in groups {
            let series = try group.map { name throws(CSVError) in Series(name, x: x, y: try table.numbers(name), style: style) }
            let percent = group.allSatisfy { $0 == "amplitude_percent_of_baseline" }
            panels.append(Panel(yAxis: percent ? Axis("IPSC amplitude", unit: "% of baseline", scale: options.logY ? .logarithmic : .linear, includes: [100])
                                               : Axis(group.count == 1 ? group[0] : "value", scale: options.logY ? .logarithmic : .linear),
                                series: series, bands: panels.isEmpty ? [band] : [Band(from: band.from, to: band.to)],
                                referenceLines: percent ? [ReferenceLine(y: 100, label: "baseline")] : [],
                                height: panelHeight(count: groups.count)))
        }
        return Figure(title: options.title, xAxis: Axis("time from induction onset", unit: "min", tight: true), panels: panels)
    }

    private static func spikeTiming(_ table: CSVTable, _ options: CSVPlotOptions) throws -> Figure {
        let deltaT = try table.numbers("delta_t_ms")
        let groups = options.panels.isEmpty ? [["amplitude_change_percent"]] : options.panels
        guard !options.logY else { throw PlotError.logAxis("an STDP window shows changes in percent, which are often negative; drop --log-y") }
        for name in groups.joined() where table.index(of: name) == nil {
            throw PlotError.unknownColumn(name, available: table.header)
        }
        if groups.count == 1 {
            let series = try groups[0].map { name throws(CSVError) in (name: readable(name), change: try table.numbers(name)) }
            return windowFigure(series: series, deltaT: deltaT, title: options.title)
        }
        let panels = try groups.map { group throws(CSVError) in
            Panel(yAxis: Axis(group.count == 1 ? readable(group[0]) : "change", unit: "%"),
                  series: try group.map { name throws(CSVError) in Series(readable(name), x: deltaT, y: try table.numbers(name), style: .linePoints) },
                  referenceLines: [ReferenceLine(y: 0), ReferenceLine(x: 0)], height: panelHeight(count: groups.count))
        }
        return Figure(title: options.title, xAxis: Axis("pairing interval Δt, post − pre", unit: "ms", tight: true), panels: panels)
    }

    /// `amplitude_change_percent` → `amplitude change` (the unit goes on the axis).
    static func readable(_ column: String) -> String {
        var name = column
        for suffix in ["_change_percent", "_percent"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count)) + (suffix == "_change_percent" ? " change" : "")
            break
        }
        switch name {
        case "amplitude change": return "IPSC amplitude change"
        case "inverse_cv2 change": return "1/CV² change"
        default: return name.replacingUnderscores()
        }
    }

    private static func roundedToMillisecond(_ t: Double) -> Double { (t * 1000).rounded() / 1000 }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
