extension SVGPlot {
    /// Bars a sensitivity command writes: Morris μ* with ± σ whiskers, or local
    /// log-derivatives, of the readout `--select` names (default: the file's first), in the
    /// file's rank order and at most `plottedBars` of them, as that command's `--plot` draws.
    static func sensitivityBars(_ table: CSVTable, _ options: CSVPlotOptions) throws(CSVPlotError) -> RenderedPlot {
        guard !options.logY else { throw .plot(.logAxis("a sensitivity ranking is drawn as bars on a linear axis; drop --log-y")) }
        let kind = KinapseCSVKind(header: table.header)
        let readouts = table.index(of: "readout") == nil ? [] : table.strings("readout")
        var seen: [String] = []
        for r in readouts where !seen.contains(r) { seen.append(r) }
        let chosen = options.panels.first?.first ?? seen.first
        if let chosen, !seen.isEmpty, !seen.contains(chosen) { throw .plot(.unknownColumn(chosen, available: seen)) }
        let rows = table.rows.indices.filter { readouts.isEmpty || readouts[$0] == chosen }
        let parameters = table.strings("parameter")
        var labels = rows.map { parameters[$0] }
        let values: [Double], errors: [Double]?, axis: Axis, title: String
        do throws(CSVError) {
            if kind == .morrisScreening {
                let muStar = try table.numbers("mu_star"), sigma = try table.numbers("sigma")
                values = rows.map { muStar[$0] }
                errors = rows.map { sigma[$0] }
                axis = Axis("μ* of \(chosen ?? "") per unit of the range")
                title = "Morris μ* of \(chosen ?? "") (± σ)"
            } else if table.index(of: "d_delta_ipsc_d_ln_p") != nil {
                let d = try table.numbers("d_delta_ipsc_d_ln_p")
                values = rows.map { d[$0] }
                errors = nil
                axis = Axis("∂ΔIPSC/∂ln p", unit: "percentage points")
                title = "local sensitivities of ΔIPSC"
            } else {
                // A pathway's file ranks by its largest readout; the bars of one readout go by their own size.
                let d = try table.numbers("d_ln_y_d_ln_p")
                let order = rows.sorted { abs(d[$0]).isNaN ? false : abs(d[$1]).isNaN ? true : abs(d[$0]) > abs(d[$1]) }
                labels = order.map { parameters[$0] }
                values = order.map { d[$0] }
                errors = nil
                axis = Axis("(p/y)·∂y/∂p of \(chosen ?? "")")
                title = "local sensitivities of \(chosen ?? "")"
            }
        } catch {
            throw .csv(error)
        }
        let n = min(plottedBars, labels.count)
        do throws(PlotError) {
            return try BarChart(title: options.title ?? title, labels: Array(labels.prefix(n)), values: Array(values.prefix(n)),
                                errors: errors.map { Array($0.prefix(n)) }, valueAxis: options.yLabel.map { Axis($0, unit: axis.unit) } ?? axis).render()
        } catch {
            throw .plot(error)
        }
    }

    /// Bars drawn of a ranking, as `kinapse sensitivity --plot` draws them: more would not
    /// fit their labels on one page.
    static let plottedBars = 25

    /// A one-dimensional synapse scan: each change (or each `--select` group) in a panel of
    /// its own against the varied value, as `kinapse scan --plot` draws it.
    static func scanCurves(_ table: CSVTable, _ options: CSVPlotOptions) throws -> Figure {
        let name = table.header[0]
        let x = try table.numbers(name)
        let groups = options.panels.isEmpty ? table.header.dropFirst().map { [$0] } : options.panels
        let panels = try groups.map { group in
            Panel(yAxis: Axis(group.count == 1 ? group[0] : "change", scale: options.logY ? .logarithmic : .linear),
                  series: try group.map { column throws(CSVError) in Series(column, x: x, y: try table.numbers(column), style: .linePoints) },
                  height: 160)
        }
        return Figure(title: options.title, xAxis: Axis(name, scale: isGeometric(x) ? .logarithmic : .linear, tight: true), panels: panels)
    }

    /// A two-dimensional synapse scan: a heat map of one change (the first, or the one
    /// `--select` names) over the grid, the first varied name on the y axis, as `kinapse scan --plot` draws it.
    static func scanHeatMap(_ table: CSVTable, _ options: CSVPlotOptions) throws(CSVPlotError) -> RenderedPlot {
        guard !options.logY else { throw .plot(.logAxis("a heat map's axes follow the scan's grid; drop --log-y")) }
        let outputs = Array(table.header.dropFirst(2))
        let column = options.panels.first?.first ?? outputs[0]
        guard outputs.contains(column) else { throw .plot(.unknownColumn(column, available: outputs)) }
        let rowValues: [Double], columnValues: [Double], z: [Double]
        do throws(CSVError) {
            rowValues = try table.numbers(table.header[0])
            columnValues = try table.numbers(table.header[1])
            z = try table.numbers(column)
        } catch {
            throw .csv(error)
        }
        var ys: [Double] = [], xs: [Double] = []
        for v in rowValues where !ys.contains(v) { ys.append(v) }
        for v in columnValues where !xs.contains(v) { xs.append(v) }
        // A failed point is missing from the file and stays NaN (grey), as in scan's own map.
        var values = [[Double]](repeating: [Double](repeating: .nan, count: xs.count), count: ys.count)
        for k in z.indices { values[ys.firstIndex(of: rowValues[k])!][xs.firstIndex(of: columnValues[k])!] = z[k] }
        func axis(_ name: String, _ v: [Double]) -> Axis { Axis(name, scale: isGeometric(v) ? .logarithmic : .linear, tight: true) }
        do throws(PlotError) {
            return try HeatMap(title: options.title, xAxis: axis(table.header[1], xs), yAxis: axis(table.header[0], ys), x: xs, y: ys,
                               values: values, colourLabel: column).render()
        } catch {
            throw .plot(error)
        }
    }

    /// Whether a scan's values were spaced logarithmically (`:log`): positive, with one ratio
    /// between neighbours (to the digits the CSV keeps).
    static func isGeometric(_ values: [Double]) -> Bool {
        guard values.count >= 3, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return false }
        let ratio = values[1] / values[0]
        guard abs(ratio - 1) > 1e-9 else { return false }
        return zip(values, values.dropFirst()).allSatisfy { abs($1 / $0 / ratio - 1) < 1e-6 }
    }
}
