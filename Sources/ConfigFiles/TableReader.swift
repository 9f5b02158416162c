public import SourceDiagnostics

/// Typed, diagnosed access to one table of a configuration file. Every accessor records
/// the key as known; `finish()` then reports keys nobody asked for, with a did-you-mean,
/// so a typo like `test_intervall` is an error instead of a silently ignored line.
public struct TableReader {
    public let table: ConfigTable
    /// How the table is named in messages: "[baseline]", "the protocol".
    public let name: String
    private var known: [String] = []

    public init(_ table: ConfigTable, name: String) {
        self.table = table
        self.name = name
    }

    public var range: SourceRange { table.range }

    public mutating func value(_ key: String) -> ConfigValue? {
        known.append(key)
        return table[key]
    }

    /// A number, optionally required and within bounds.
    public mutating func number(_ key: String, default fallback: Double? = nil, minimum: Double? = nil,
                                maximum: Double? = nil, exclusiveMinimum: Bool = false,
                                diagnostics: inout DiagnosticCollector) -> Double? {
        guard let v = value(key) else {
            if fallback == nil { diagnostics.error("\(name) needs '\(key)' (a number)", at: table.range) }
            return fallback
        }
        guard case .number(let x) = v.kind else {
            diagnostics.error("'\(key)' must be a number, not \(v.typeName)", at: v.range)
            return nil
        }
        guard x.isFinite else {
            diagnostics.error("'\(key)' must be a finite number", at: v.range)
            return nil
        }
        if let minimum, exclusiveMinimum ? x <= minimum : x < minimum {
            diagnostics.error("'\(key)' must be \(exclusiveMinimum ? "greater than" : "at least") \(formatted(minimum)) (got \(formatted(x)))", at: v.range)
            return nil
        }
        if let maximum, x > maximum {
            diagnostics.error("'\(key)' must be at most \(formatted(maximum)) (got \(formatted(x)))", at: v.range)
            return nil
        }
        return x
    }

    /// A whole number ≥ `minimum`.
    public mutating func integer(_ key: String, default fallback: Int? = nil, minimum: Int = 0,
                                 diagnostics: inout DiagnosticCollector) -> Int? {
        guard let v = value(key) else {
            if fallback == nil { diagnostics.error("\(name) needs '\(key)' (a whole number)", at: table.range) }
            return fallback
        }
        guard case .number(let x) = v.kind, x == x.rounded() else {
            // A number says what was given ("not 2.5"); anything else says its type.
            let given = if case .number(let x) = v.kind { formatted(x) } else { v.typeName }
            diagnostics.error("'\(key)' must be a whole number, not \(given)", at: v.range)
            return nil
        }
        guard abs(x) < 1e9 else {
            diagnostics.error("'\(key)' must be a whole number below 1000000000 (got \(formatted(x)))", at: v.range)
            return nil
        }
        guard Int(x) >= minimum else {
            diagnostics.error("'\(key)' must be at least \(minimum) (got \(Int(x)))", at: v.range)
            return nil
        }
        return Int(x)
    }

    public mutating func string(_ key: String, required: Bool = true, diagnostics: inout DiagnosticCollector) -> (String, SourceRange)? {
        guard let v = value(key) else {
            if required { diagnostics.error("\(name) needs '\(key)' (a \"string\")", at: table.range) }
            return nil
        }
        guard case .string(let s) = v.kind else {
            diagnostics.error("'\(key)' must be a \"string\", not \(v.typeName)", at: v.range)
            return nil
        }
        return (s, v.range)
    }

    public mutating func bool(_ key: String, default fallback: Bool, diagnostics: inout DiagnosticCollector) -> Bool {
        guard let v = value(key) else { return fallback }
        guard case .bool(let b) = v.kind else {
            diagnostics.error("'\(key)' must be true or false, not \(v.typeName)", at: v.range)
            return fallback
        }
        return b
    }

    /// A sub-table (`[name.key]` or an inline `{ … }`).
    public mutating func table(_ key: String, required: Bool = false, diagnostics: inout DiagnosticCollector) -> TableReader? {
        guard let v = value(key) else {
            if required { diagnostics.error("\(name) needs a [\(key)] table", at: table.range) }
            return nil
        }
        guard case .table(let t) = v.kind else {
            diagnostics.error("'\(key)' must be a table, not \(v.typeName)", at: v.range)
            return nil
        }
        return TableReader(t, name: "[\(key)]")
    }

    /// An array of tables (`[[key]]`).
    public mutating func tables(_ key: String, diagnostics: inout DiagnosticCollector) -> [TableReader] {
        guard let v = value(key) else { return [] }
        guard case .array(let elements) = v.kind else {
            diagnostics.error("'\(key)' must be written as [[\(key)]] tables, not \(v.typeName)", at: v.range)
            return []
        }
        var out: [TableReader] = []
        for (i, e) in elements.enumerated() {
            guard case .table(let t) = e.kind else {
                diagnostics.error("element \(i + 1) of '\(key)' must be a table", at: e.range)
                continue
            }
            out.append(TableReader(t, name: "[[\(key)]] number \(i + 1)"))
        }
        return out
    }

    /// Reports every key that no accessor asked for.
    public func finish(diagnostics: inout DiagnosticCollector) {
        for entry in table.entries where !known.contains(entry.key) {
            diagnostics.add(Diagnostic(.error, "unknown key '\(entry.key)' in \(name)", at: entry.keyRange,
                                       hints: [Suggestions.didYouMean(entry.key, among: known) ?? "known keys: \(known.joined(separator: ", "))"]))
        }
    }

    private func formatted(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}
