/// Renders diagnostics the way compilers do:
///
///     Pathways/x.ant:3:14: error: expected ')' to close '('
///       3 | J1: A -> B; k*(A
///         |               ^
///     hint: ...
public struct DiagnosticRenderer: Sendable {
    public var colored: Bool
    public init(colored: Bool = false) { self.colored = colored }

    /// Longest source excerpt shown under a diagnostic, in characters.
    static let maximumLineWidth = 160

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined(separator: "\n")
    }

    public func render(_ d: Diagnostic) -> String {
        var out = headline(d)
        if let range = d.range {
            let start = range.startLocation
            let lineText = range.file.lineText(start.line)
            let gutter = String(start.line)
            let pad = String(repeating: " ", count: gutter.count)
            // Width of the caret run: the range's characters on its first line, at least one.
            let endLoc = range.file.location(ofOffset: range.end)
            let lineLength = lineText.unicodeScalars.count
            let lastColumn = endLoc.line == start.line ? endLoc.column : lineLength + 1
            let width = max(1, lastColumn - start.column)
            // A very long line (generated or minified input) is shown as a window around
            // the caret, so that one diagnostic never prints megabytes.
            var shown = lineText
            var column = start.column
            var caretWidth = width
            if lineLength > Self.maximumLineWidth {
                let scalars = Array(lineText.unicodeScalars)
                let from = max(0, min(column - 1 - Self.maximumLineWidth / 2, scalars.count - Self.maximumLineWidth))
                let to = min(scalars.count, from + Self.maximumLineWidth)
                var view = String(String.UnicodeScalarView(scalars[from..<to]))
                column -= from
                if from > 0 { view = "…" + view; column += 1 }
                if to < scalars.count { view += "…" }
                shown = view
                caretWidth = max(1, min(width, to - (start.column - 1)))
            }
            let indent = String(repeating: " ", count: max(0, column - 1))
            let marker = "^" + String(repeating: "~", count: caretWidth - 1)
            out += "\n \(gutter) | \(expandTabs(shown))"
            out += "\n \(pad) | \(indent)\(paint(marker, "\u{1B}[1;32m"))"
        }
        for hint in d.hints { out += "\n" + paint("hint:", "\u{1B}[1;36m") + " \(hint)" }
        return out
    }

    private func headline(_ d: Diagnostic) -> String {
        let label: String
        switch d.severity {
        case .error: label = paint("error:", "\u{1B}[1;31m")
        case .warning: label = paint("warning:", "\u{1B}[1;35m")
        case .note: label = paint("note:", "\u{1B}[1;30m")
        }
        if let range = d.range {
            return "\(range.file.path):\(range.startLocation): \(label) \(d.message)"
        }
        return "\(label) \(d.message)"
    }

    /// Tabs would shift the caret; show each as one space so columns line up.
    private func expandTabs(_ s: String) -> String { s.replacingOccurrences(of: "\t", with: " ") }

    private func paint(_ s: String, _ code: String) -> String {
        colored ? code + s + "\u{1B}[0m" : s
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard target.count == 1, replacement.count == 1 else { return self }
        return replacingOccurrences(of: Character(target), with: Character(replacement))
    }
}
