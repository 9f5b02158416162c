import Foundation

/// The run settings of one SBML Test Suite case (`NNNNN-settings.txt`).
public struct CaseSettings: Sendable, Hashable {
    public var start: Double = 0
    public var duration: Double = 0
    public var steps: Int = 0
    public var variables: [String] = []
    public var absolute: Double = 0
    public var relative: Double = 0
    public var amount: Set<String> = []
    public var concentration: Set<String> = []

    public init() {}

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(text: String) throws(FormatError) {
        func list(_ v: String) -> [String] {
            v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            func number() throws(FormatError) -> Double {
                guard let v = Double(value) else { throw FormatError(description: "settings: '\(key): \(value)' is not a number") }
                return v
            }
            switch key {
            case "start": if !value.isEmpty { start = try number() }
            case "duration": if !value.isEmpty { duration = try number() }
            case "steps":
                if !value.isEmpty {
                    guard let n = Int(value) ?? Double(value).map({ Int($0) }), n >= 1 else {
                        throw FormatError(description: "settings: 'steps: \(value)' is not a positive integer")
                    }
                    steps = n
                }
            case "variables": variables = list(value)
            case "absolute": absolute = try number()
            case "relative": relative = try number()
            case "amount": amount = Set(list(value))
            case "concentration": concentration = Set(list(value))
            default: continue
            }
        }
    }

    public init(path: String) throws {
        try self.init(text: String(contentsOfFile: path, encoding: .utf8))
    }

    /// Output times: `steps + 1` equally spaced points from `start` to `start + duration`.
    public var times: [Double] {
        (0...steps).map { i in i == steps ? start + duration : start + duration * Double(i) / Double(steps) }
    }
}

/// The expected results of a case (`NNNNN-results.csv`).
public struct ExpectedResults: Sendable {
    public var columns: [String]
    public var times: [Double]
    /// Row-major, `columns.count` values per time.
    public var rows: [[Double]]

    /// `hasTimeColumn: false` reads a steady-state result (flux balance): a header and one
    /// row of values, with no time; `times` is then empty.
    public init(path: String, hasTimeColumn: Bool = true) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw CaseSettings.FormatError(description: "results: empty file") }
        let header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        columns = Array(header.dropFirst(hasTimeColumn ? 1 : 0))
        times = []
        rows = []
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { Self.number(String($0)) }
            guard cells.count == header.count, !hasTimeColumn || cells[0] != nil else {
                throw CaseSettings.FormatError(description: "results: malformed row '\(line)'")
            }
            if hasTimeColumn { times.append(cells[0]!) }
            rows.append(cells.dropFirst(hasTimeColumn ? 1 : 0).map { $0 ?? .nan })
        }
    }

    static func number(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        switch t.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return Double(t)
        }
    }
}
