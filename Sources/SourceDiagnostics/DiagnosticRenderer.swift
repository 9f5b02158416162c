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
            out += "\n \(gutter) | \(Self.visible(expandTabs(shown)))"
            out += "\n \(pad) | \(indent)\(paint(marker, "\u{1B}[1;32m"))"
        }
        for hint in d.hints { out += "\n" + paint("hint:", "\u{1B}[1;36m") + " \(Self.escaped(hint))" }
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
            return "\(Self.escaped(range.file.path)):\(range.startLocation): \(label) \(Self.escaped(d.message))"
        }
        return "\(label) \(Self.escaped(d.message))"
    }

    /// Control characters (from a binary or corrupted file) would drive the terminal, so
    /// messages show them as `\u{1B}`-style escapes.
    public static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isUnprintable) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if isUnprintable(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The source line under a caret shows each control character as one visible symbol
    /// (U+2400 control pictures, U+FFFD otherwise), so the caret keeps its column.
    static func visible(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isUnprintable) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            guard isUnprintable(scalar) else { out.append(scalar); continue }
            let picture: UInt32 = scalar.value < 0x20 ? 0x2400 + scalar.value : scalar.value == 0x7F ? 0x2421 : 0xFFFD
            out.append(Unicode.Scalar(picture)!)
        }
        return String(out)
    }

    /// C0 and C1 control characters other than tab and line feed, and DEL.
    static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (v < 0x20 && v != 0x09 && v != 0x0A) || (0x7F...0x9F).contains(v)
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
