public import SourceDiagnostics

/// A node of the YAML subset PEtab files use: block mappings, block sequences and
/// scalars (plain or quoted), with `#` comments; flow collections, anchors and multi-line
/// scalars are refused with an error at their place.
public indirect enum YAMLNode: Sendable {
    case scalar(String, SourceRange)
    case sequence([YAMLNode], SourceRange)
    case mapping([(key: String, keyRange: SourceRange, value: YAMLNode)], SourceRange)

    public var range: SourceRange {
        switch self {
        case .scalar(_, let r), .sequence(_, let r), .mapping(_, let r): r
        }
    }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries, _) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    var kindName: String {
        switch self {
        case .scalar: "a value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// Reads the YAML subset of `YAMLNode` (PEtab problem and solution files).
public enum YAMLSubset {
    /// One line's content after its indentation, comments removed (offsets in the file).
    struct Line {
        var indent: Int
        var start: Int
        var end: Int
    }

    public static func parse(_ file: SourceFile) throws(DiagnosticsError) -> YAMLNode {
        var parser = Parser(file: file, lines: lines(of: file))
        guard !parser.lines.isEmpty else {
            throw DiagnosticsError(.error("'\(file.path)' is empty; a PEtab problem starts with 'format_version: 1'",
                                          at: SourceRange(file: file, start: 0, end: 0)))
        }
        let node = try parser.node()
        if parser.index < parser.lines.count {
            let line = parser.lines[parser.index]
            throw DiagnosticsError(.error("unexpected indentation", at: SourceRange(file: file, start: line.start, end: line.end),
                                          hint: "entries of one mapping or list start in the same column"))
        }
        return node
    }

    /// Non-blank lines with comments stripped (a `#` starts a comment outside quotes when
    /// it begins the line or follows a space).
    static func lines(of file: SourceFile) -> [Line] {
        let bytes = file.utf8
        var out: [Line] = []
        var lineStart = 0
        func finish(_ end: Int) {
            var i = lineStart
            while i < end, bytes[i] == UInt8(ascii: " ") { i += 1 }
            var quote: UInt8?
            var contentEnd = end
            var j = i
            while j < end {
                let b = bytes[j]
                if let q = quote {
                    if b == q { quote = nil }
                } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                    quote = b
                } else if b == UInt8(ascii: "#"), j == i || bytes[j - 1] == UInt8(ascii: " ") {
                    contentEnd = j
                    break
                }
                j += 1
            }
            while contentEnd > i, [UInt8(ascii: " "), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[contentEnd - 1]) {
                contentEnd -= 1
            }
            if contentEnd > i, !(bytes[i] == UInt8(ascii: "-") && contentEnd - i == 3 && bytes[i + 1] == UInt8(ascii: "-")) {
                out.append(Line(indent: i - lineStart, start: i, end: contentEnd))
            }
        }
        for (k, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            finish(k)
            lineStart = k + 1
        }
        finish(bytes.count)
        return out
    }

    struct Parser {
        let file: SourceFile
        var lines: [Line]
        var index = 0

        func text(_ start: Int, _ end: Int) -> String { String(decoding: file.utf8[start..<end], as: UTF8.self) }
        func range(_ start: Int, _ end: Int) -> SourceRange { SourceRange(file: file, start: start, end: end) }

        func startsItem(_ line: Line) -> Bool {
            let b = file.utf8
            return b[line.start] == UInt8(ascii: "-") && (line.end == line.start + 1 || b[line.start + 1] == UInt8(ascii: " "))
        }

        /// Offset of the `: ` (or final `:`) that ends a mapping key on the line, if any.
        func keyColon(_ line: Line) -> Int? {
            let b = file.utf8
            var quote: UInt8?
            var i = line.start
            while i < line.end {
                let c = b[i]
                if let q = quote {
                    if c == q { quote = nil }
                } else if i == line.start, c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    quote = c
                } else if c == UInt8(ascii: ":"), i + 1 == line.end || b[i + 1] == UInt8(ascii: " ") {
                    return i
                }
                i += 1
            }
            return nil
        }

        mutating func node() throws(DiagnosticsError) -> YAMLNode {
            let line = lines[index]
            if startsItem(line) { return try sequence(indent: line.indent) }
            if keyColon(line) != nil { return try mapping(indent: line.indent) }
            index += 1
            return try scalar(line.start, line.end)
        }

        mutating func sequence(indent: Int) throws(DiagnosticsError) -> YAMLNode {
            var items: [YAMLNode] = []
            let first = lines[index].start
            var last = lines[index].end
            while index < lines.count, lines[index].indent == indent, startsItem(lines[index]) {
                let line = lines[index]
                var rest = line.start + 1
                while rest < line.end, file.utf8[rest] == UInt8(ascii: " ") { rest += 1 }
                if rest == line.end {
                    index += 1
                    guard index < lines.count, lines[index].indent > indent else {
                        items.append(.scalar("", range(line.start, line.end)))
                        continue
                    }
                    items.append(try node())
                } else {
                    // The item's content continues as if it were a line indented to its column.
                    lines[index] = Line(indent: indent + (rest - line.start), start: rest, end: line.end)
                    items.append(try node())
                }
                last = items.last!.range.end
            }
            return .sequence(items, range(first, last))
        }

        mutating func mapping(indent: Int) throws(DiagnosticsError) -> YAMLNode {
            var entries: [(key: String, keyRange: SourceRange, value: YAMLNode)] = []
            let first = lines[index].start
            var last = lines[index].end
            while index < lines.count, lines[index].indent == indent, !startsItem(lines[index]) {
                let line = lines[index]
                guard let colon = keyColon(line) else {
                    throw DiagnosticsError(.error("expected 'key: value'", at: range(line.start, line.end)))
                }
                let keyNode = try scalar(line.start, colon)
                guard case .scalar(let key, let keyRange) = keyNode else { preconditionFailure("a scalar") }
                if entries.contains(where: { $0.key == key }) {
                    throw DiagnosticsError(.error("'\(key)' is given twice", at: keyRange))
                }
                var valueStart = colon + 1
                while valueStart < line.end, file.utf8[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                index += 1
                let value: YAMLNode
                if valueStart < line.end {
                    value = try scalar(valueStart, line.end)
                } else if index < lines.count, lines[index].indent > indent || (lines[index].indent == indent && startsItem(lines[index])) {
                    value = try node()
                } else {
                    value = .scalar("", range(colon, colon))
                }
                entries.append((key, keyRange, value))
                last = value.range.end
            }
            return .mapping(entries, range(first, last))
        }

        func scalar(_ start: Int, _ end: Int) throws(DiagnosticsError) -> YAMLNode {
            let b = file.utf8
            let r = range(start, end)
            switch b[start] {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard end - start >= 2, b[end - 1] == b[start] else {
                    throw DiagnosticsError(.error("unterminated quoted value", at: r, hint: "close the quote on the same line"))
                }
                let inner = text(start + 1, end - 1)
                if b[start] == UInt8(ascii: "'") { return .scalar(inner.replacingOccurrences(of: "''", with: "'"), r) }
                guard !inner.contains("\\") else {
                    throw DiagnosticsError(.error("escape sequences in double-quoted values are not supported", at: r,
                                                  hint: "write the value in single quotes or unquoted"))
                }
                return .scalar(inner, r)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                throw DiagnosticsError(.error("flow collections ('[…]', '{…}') are not supported", at: r,
                                              hint: "write a list as lines starting with '- '"))
            case UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "|"), UInt8(ascii: ">"):
                throw DiagnosticsError(.error("anchors, aliases and block scalars are not supported", at: r))
            default:
                return .scalar(text(start, end), r)
            }
        }
    }
}
