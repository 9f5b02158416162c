public import SourceDiagnostics
import ConfigFiles
import Foundation

/// The best-parameter file `kinapse fit` writes and `kinapse simulate --params FILE` reads:
///
///     # comments
///     [parameters]              # model values, applied as overrides (like --set)
///     k_pot = 0.0512
///
///     [observation_parameters]  # scales, offsets and noise levels of the fit (not model values)
///     sd_ipsc = 2.9
public enum ParameterFile {
    /// The model values, checked against `knownNames` (an unknown name is an error at its
    /// position, with a did-you-mean).
    public static func read(path: String, knownNames: some Collection<String>) throws(DiagnosticsError) -> [(name: String, value: Double)] {
        let root = try ConfigReader.read(SourceFile.read(path: path))
        var d = DiagnosticCollector()
        var top = TableReader(root, name: "the parameter file")
        var out: [(name: String, value: Double)] = []
        if let table = top.table("parameters", required: true, diagnostics: &d) {
            for entry in table.table.entries {
                guard case .number(let v) = entry.value.kind, v.isFinite else {
                    d.error("'\(entry.key)' must be a finite number", at: entry.value.range)
                    continue
                }
                guard knownNames.contains(entry.key) else {
                    d.add(Diagnostic(.error, "the model has no parameter '\(entry.key)'", at: entry.keyRange,
                                     hints: [Suggestions.didYouMean(entry.key, among: knownNames) ?? "was the file written for another model?"]))
                    continue
                }
                out.append((entry.key, v))
            }
        }
        _ = top.table("observation_parameters", diagnostics: &d)
        top.finish(diagnostics: &d)
        try d.throwIfErrors()
        return out
    }

    /// The file's text: model values, then observation parameters, each in the order given.
    public static func text(header: [String], model: [(name: String, value: Double)], observation: [(name: String, value: Double)]) -> String {
        var out = header.map { "# \($0)\n" }.joined()
        out += "[parameters]\n"
        for (name, value) in model { out += "\(key(name)) = \(number(value))\n" }
        if !observation.isEmpty {
            out += "\n[observation_parameters]\n"
            for (name, value) in observation { out += "\(key(name)) = \(number(value))\n" }
        }
        return out
    }

    /// Shortest text that reads back as the same Double.
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : "\(v)"
    }

    /// Bare keys where TOML allows them, quoted otherwise (names with dots).
    static func key(_ name: String) -> String {
        name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? name : "\"\(name)\""
    }
}
