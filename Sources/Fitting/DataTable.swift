public import SourceDiagnostics
import Foundation

/// Measurements of one experiment: the non-missing cells of its data file, each with the
/// place it was written.
public struct DataTable: Sendable {
    public struct Point: Sendable {
        /// Index into the problem's observables.
        public var observable: Int
        /// Seconds of model time (from the start of the protocol, or of the pathway run).
        public var time: Double
        /// The time as written in the file, in its own unit and origin (for output files).
        public var writtenTime: Double
        public var value: Double
        /// From the row's `NAME_sd` cell, if the file has that column.
        public var sd: Double?
        public var range: SourceRange?
    }
    public var path: String
    public var points: [Point]
    /// Observables (indices) that have a column, in column order.
    public var observables: [Int]
    /// The distinct model times of all rows, ascending.
    public var times: [Double]
}

/// Where data may lie in time.
public enum AllowedTimes: Sendable {
    /// Any time in `0...end` (pathways; `end` nil: no upper limit).
    case span(end: Double?)
    /// Only at these test-stimulus times (synapse readouts), each matched within `tolerance` s.
    case testStimuli([Double], tolerance: Double, describe: String)
}

/// How the file's times map to model seconds: model = written × `scale` + `offset`.
public struct TimeConvention: Sendable, Equatable {
    public var scale: Double
    public var offset: Double
    public var unit: String
    public init(scale: Double = 1, offset: Double = 0, unit: String = "s") {
        self.scale = scale; self.offset = offset; self.unit = unit
    }
}

/// Reads a data file: CSV with a header row `time,OBS,…,OBS_sd,…`; `#` starts a comment
/// line; empty cells, `NA` and `NaN` are missing values. Every problem is reported with
/// the file, line and column of the cell, like a compiler error.
public enum DataReader {
    public static let maximumSize = 64 << 20

    public static func read(path: String, observables: [String], time: TimeConvention, allowed: AllowedTimes) throws(DiagnosticsError) -> DataTable {
        let file = try SourceFile.read(path: path)
        return try read(file, observables: observables, time: time, allowed: allowed)
    }

    public static func read(_ file: SourceFile, observables: [String], time convention: TimeConvention, allowed: AllowedTimes) throws(DiagnosticsError) -> DataTable {
        guard file.utf8.count <= maximumSize else {
            throw DiagnosticsError(.error("\(file.path) is larger than \(maximumSize >> 20) MiB", at: nil))
        }
        var d = DiagnosticCollector()
        let lines = splitLines(file)
        guard let headerIndex = lines.firstIndex(where: { !$0.isBlankOrComment(file) }) else {
            throw DiagnosticsError(.error("\(file.path) has no header row", at: nil,
                                          hint: "the first line names the columns: time,\(observables.first ?? "ipsc"),…"))
        }
        let header = cells(of: lines[headerIndex], in: file)
        // Column roles: time, an observable's values, or an observable's standard deviations.
        enum Role { case time, value(Int), sd(Int) }
        var roles: [Role?] = []
        var seen: [String: SourceRange] = [:]
        for cell in header {
            let name = cell.text.trimmingCharacters(in: .whitespaces)
            if let previous = seen[name] {
                d.add(Diagnostic(.error, "column '\(name)' appears twice", at: cell.range,
                                 hints: ["first at column \(previous.startLocation.column)"]))
                roles.append(nil)
                continue
            }
            seen[name] = cell.range
            if name == "time" {
                roles.append(.time)
            } else if let i = observables.firstIndex(of: name) {
                roles.append(.value(i))
            } else if name.hasSuffix("_sd"), let i = observables.firstIndex(of: String(name.dropLast(3))) {
                roles.append(.sd(i))
            } else {
                let candidates = ["time"] + observables + observables.map { $0 + "_sd" }
                d.add(Diagnostic(.error, "unknown column '\(name)': not an observable of the problem", at: cell.range,
                                 hints: [Suggestions.didYouMean(name, among: candidates)
                                         ?? (observables.isEmpty ? "the problem has no observables to match: declare them under [observables]"
                                             : "columns may be: time, \(observables.joined(separator: ", ")) and NAME_sd for each")]))
                roles.append(nil)
            }
        }
        guard let timeColumn = roles.firstIndex(where: { if case .time = $0 { true } else { false } }) else {
            d.add(Diagnostic(.error, "the header has no 'time' column", at: header.first?.range ?? lines[headerIndex].range(file),
                             hints: ["name the first column 'time'"]))
            throw DiagnosticsError(d.diagnostics)
        }
        for (c, role) in roles.enumerated() {
            if case .sd(let i) = role, !roles.contains(where: { if case .value(i) = $0 { true } else { false } }) {
                d.error("column '\(observables[i])_sd' has no column '\(observables[i])' beside it", at: header[c].range)
            }
        }
        try d.throwIfErrors()

        var points: [DataTable.Point] = []
        var times: [Double] = []
        for line in lines[(headerIndex + 1)...] where !line.isBlankOrComment(file) {
            if d.diagnostics.count >= 50 { break }
            let row = cells(of: line, in: file)
            if row.count != header.count {
                d.add(Diagnostic(.error, "this row has \(row.count) cells, the header \(header.count)", at: line.range(file),
                                 hints: ["leave a missing value empty (a,,c) rather than leaving it out"]))
                continue
            }
            guard case .number(let written) = parse(row[timeColumn], &d) else {
                if case .missing = parse(row[timeColumn], &d) { d.error("the time is missing", at: row[timeColumn].range) }
                continue
            }
            let t = written * convention.scale + convention.offset
            guard let modelTime = check(t, written: written, cell: row[timeColumn], allowed, convention, &d) else { continue }
            times.append(modelTime)
            var values: [Int: (Double, SourceRange)] = [:]
            var sds: [Int: (Double, SourceRange)] = [:]
            for (c, role) in roles.enumerated() {
                switch role {
                case .value(let i):
                    if case .number(let v) = parse(row[c], &d) { values[i] = (v, row[c].range) }
                case .sd(let i):
                    if case .number(let v) = parse(row[c], &d) {
                        if v > 0 { sds[i] = (v, row[c].range) } else {
                            d.add(Diagnostic(.error, "standard deviation \(row[c].text) is not positive", at: row[c].range,
                                             hints: ["a standard deviation must be greater than 0; leave the cell empty to drop the point"]))
                        }
                    }
                default: break
                }
            }
            for (i, (v, r)) in values.sorted(by: { $0.key < $1.key }) {
                points.append(.init(observable: i, time: modelTime, writtenTime: written, value: v, sd: sds[i]?.0, range: r))
            }
        }
        try d.throwIfErrors()
        if points.isEmpty {
            throw DiagnosticsError(.error("\(file.path) has no measurements (every value is missing)", at: nil))
        }
        let observed = roles.compactMap { role -> Int? in if case .value(let i) = role { i } else { nil } }
        return DataTable(path: file.path, points: points, observables: observed, times: Array(Set(times)).sorted())
    }

    // MARK: - Cells

    enum CellValue { case number(Double), missing, invalid }

    static func parse(_ cell: Cell, _ d: inout DiagnosticCollector) -> CellValue {
        let text = cell.text.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text == "NA" || text.lowercased() == "nan" { return .missing }
        if let v = Double(text), v.isFinite, text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
            return .number(v)
        }
        d.add(Diagnostic(.error, "'\(text)' is not a number", at: cell.range,
                         hints: ["write a number (1.5, 2e-3), or leave the cell empty, NA or NaN for a missing value"]))
        return .invalid
    }

    static func check(_ t: Double, written: Double, cell: Cell, _ allowed: AllowedTimes, _ c: TimeConvention,
                      _ d: inout DiagnosticCollector) -> Double? {
        func show(_ seconds: Double) -> String { format((seconds - c.offset) / c.scale) + " " + c.unit }
        switch allowed {
        case .span(let end):
            if t < 0 || (end.map { t > $0 } ?? false) {
                d.add(Diagnostic(.error, "time \(cell.text.trimmingCharacters(in: .whitespaces)) is outside the run", at: cell.range,
                                 hints: ["times must lie between \(show(0)) and \(end.map(show) ?? "the end")"]))
                return nil
            }
            return t
        case .testStimuli(let tests, let tolerance, let describe):
            guard let first = tests.first, let last = tests.last else { return nil }
            if t < first - tolerance || t > last + tolerance {
                d.add(Diagnostic(.error, "time \(cell.text.trimmingCharacters(in: .whitespaces)) is outside the protocol", at: cell.range,
                                 hints: ["the protocol's test stimuli run from \(show(first)) to \(show(last)): \(describe)"]))
                return nil
            }
            var best = first
            for x in tests where abs(x - t) < abs(best - t) { best = x }
            if abs(best - t) > tolerance {
                let below = tests.last { $0 <= t } ?? first
                let above = tests.first { $0 >= t } ?? last
                d.add(Diagnostic(.error, "time \(cell.text.trimmingCharacters(in: .whitespaces)) is not at a test stimulus", at: cell.range,
                                 hints: ["readouts exist only at test stimuli (\(describe)); the nearest are \(show(below)) and \(show(above))"]))
                return nil
            }
            return best
        }
    }

    static func format(_ x: Double) -> String {
        let r = (x * 1e6).rounded() / 1e6
        return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : "\(r)"
    }

    struct Line {
        let start: Int, end: Int
        func range(_ file: SourceFile) -> SourceRange { SourceRange(file: file, start: start, end: end) }
        func isBlankOrComment(_ file: SourceFile) -> Bool {
            for i in start..<end {
                let b = file.utf8[i]
                if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") { continue }
                return b == UInt8(ascii: "#")
            }
            return true
        }
    }

    struct Cell {
        let text: String
        let range: SourceRange
    }

    static func splitLines(_ file: SourceFile) -> [Line] {
        var out: [Line] = []
        var start = 0
        let bytes = file.utf8
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            out.append(Line(start: start, end: i > start && bytes[i - 1] == UInt8(ascii: "\r") ? i - 1 : i))
            start = i + 1
        }
        if start < bytes.count { out.append(Line(start: start, end: bytes.count)) }
        return out
    }

    /// Comma-separated cells (no quoting: data files hold numbers and plain names).
    static func cells(of line: Line, in file: SourceFile) -> [Cell] {
        var out: [Cell] = []
        var cellStart = line.start
        for i in line.start...line.end where i == line.end || file.utf8[i] == UInt8(ascii: ",") {
            // An empty cell gets a one-character range at its comma, so the caret has a place.
            let range = SourceRange(file: file, start: cellStart, end: max(i, cellStart))
            out.append(Cell(text: String(decoding: file.utf8[cellStart..<i], as: UTF8.self), range: range))
            cellStart = i + 1
        }
        return out
    }
}
