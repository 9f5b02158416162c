public import SourceDiagnostics

/// Reads Kinapse's configuration files: a documented subset of TOML (docs/file-formats.md).
///
/// Why not a TOML library: diagnostics must point at the offending value
/// (`protocol.toml:12:9: error: …` with a caret), and the TOML packages available here
/// report positions only for syntax errors, not for values.
///
/// Supported: `key = value`, dotted keys, `[table]`, `[[array.of.tables]]`, comments,
/// basic and literal strings, integers and floats (with `_` separators, exponents, `inf`),
/// booleans, arrays (multi-line, trailing comma) and inline tables. Not supported (an
/// error, never misread): multi-line strings, dates and times.
public struct ConfigReader {
    public static let maximumDepth = 64
    public static let maximumSize = 4 << 20

    let file: SourceFile
    let bytes: [UInt8]
    var position = 0
    var diagnostics = DiagnosticCollector()
    /// Every `#` comment, in file order.
    var comments: [SourceComment] = []

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> ConfigTable {
        try readKeepingComments(file).table
    }

    /// The table and every comment of the file, for what comments say about values (their
    /// source, their unit).
    public static func readKeepingComments(_ file: SourceFile) throws(DiagnosticsError) -> (table: ConfigTable, comments: [SourceComment]) {
        guard file.utf8.count <= maximumSize else {
            throw DiagnosticsError(.error("\(file.path) is larger than \(maximumSize >> 20) MiB; configuration files are small", at: nil))
        }
        var reader = ConfigReader(file: file, bytes: file.utf8)
        let root = reader.readDocument()
        try reader.diagnostics.throwIfErrors()
        return (root, reader.comments)
    }

    public static func read(path: String) throws(DiagnosticsError) -> ConfigTable {
        try read(SourceFile.read(path: path))
    }

    // MARK: - Document structure

    mutating func readDocument() -> ConfigTable {
        var root = ConfigTable(range: range(0, 0))
        /// Path of the table that `key = value` lines currently go into.
        var current: [PathComponent] = []
        var explicitlyDefined = Set<String>()
        while true {
            skipWhitespaceCommentsAndNewlines()
            guard position < bytes.count else { break }
            if diagnostics.diagnostics.count >= 50 { break }
            let lineStart = position
            if peek() == UInt8(ascii: "[") {
                let isArray = peek(1) == UInt8(ascii: "[")
                position += isArray ? 2 : 1
                skipSpaces()
                guard let keys = readKeyPath() else { skipToNextLine(); continue }
                skipSpaces()
                if !expect(isArray ? "]]" : "]", "to close the table header") { skipToNextLine(); continue }
                let headerRange = range(lineStart, position)
                endOfLine()
                let dotted = keys.map(\.name).joined(separator: ".")
                if isArray {
                    current = appendArrayTable(&root, keys, headerRange)
                } else {
                    if explicitlyDefined.contains(dotted) {
                        diagnostics.error("table [\(dotted)] is defined twice", at: headerRange)
                    }
                    explicitlyDefined.insert(dotted)
                    current = openTable(&root, keys, headerRange)
                }
                continue
            }
            guard let keys = readKeyPath() else { skipToNextLine(); continue }
            skipSpaces()
            guard expect("=", "after the key '\(keys.map(\.name).joined(separator: "."))'") else { skipToNextLine(); continue }
            skipSpaces()
            guard let value = readValue(depth: 0) else { skipToNextLine(); continue }
            endOfLine()
            insert(&root, at: current, keys: keys, value: value)
        }
        return root
    }

    struct PathComponent {
        let name: String
        let range: SourceRange
        /// For arrays of tables: which element the path goes through.
        var arrayIndex: Int?
    }

    /// Applies `body` to the table at `path`, creating intermediate tables as needed.
    mutating func withTable(_ root: inout ConfigTable, _ path: ArraySlice<PathComponent>, _ body: (inout ConfigTable, inout ConfigReader) -> Void) {
        guard let first = path.first else {
            body(&root, &self)
            return
        }
        if root[first.name] == nil {
            root.insert(.init(key: first.name, keyRange: first.range, value: ConfigValue(.table(ConfigTable(range: first.range)), range: first.range)))
        }
        var failed = false
        root.update(first.name) { value in
            switch value.kind {
            case .table(var t):
                withTable(&t, path.dropFirst(), body)
                value.kind = .table(t)
            case .array(var elements):
                let i = first.arrayIndex ?? elements.count - 1
                guard i >= 0, i < elements.count, case .table(var t) = elements[i].kind else { failed = true; return }
                withTable(&t, path.dropFirst(), body)
                elements[i].kind = .table(t)
                value.kind = .array(elements)
            default:
                failed = true
            }
        }
        if failed { diagnostics.error("'\(first.name)' is not a table", at: first.range) }
    }

    mutating func openTable(_ root: inout ConfigTable, _ keys: [PathComponent], _ range: SourceRange) -> [PathComponent] {
        withTable(&root, keys[...]) { _, _ in }
        return keys
    }

    mutating func appendArrayTable(_ root: inout ConfigTable, _ keys: [PathComponent], _ range: SourceRange) -> [PathComponent] {
        let parent = keys.dropLast()
        let last = keys[keys.count - 1]
        var index = 0
        withTable(&root, parent) { table, reader in
            let element = ConfigValue(.table(ConfigTable(range: range)), range: range)
            if let existing = table[last.name] {
                guard case .array(let elements) = existing.kind else {
                    reader.diagnostics.error("'\(last.name)' is already a value; it cannot also be an array of tables", at: last.range)
                    return
                }
                index = elements.count
                table.update(last.name) { v in v.kind = .array(elements + [element]) }
            } else {
                table.insert(.init(key: last.name, keyRange: last.range, value: ConfigValue(.array([element]), range: range)))
            }
        }
        var path = keys
        path[path.count - 1].arrayIndex = index
        return path
    }

    mutating func insert(_ root: inout ConfigTable, at tablePath: [PathComponent], keys: [PathComponent], value: ConfigValue) {
        let last = keys[keys.count - 1]
        withTable(&root, (tablePath + keys.dropLast())[...]) { table, reader in
            if let previous = table.entry(last.name) {
                reader.diagnostics.add(Diagnostic(.error, "'\(last.name)' is defined twice", at: last.range,
                                                  hints: ["first defined at line \(previous.keyRange.startLocation.line)"]))
                return
            }
            table.insert(.init(key: last.name, keyRange: last.range, value: value))
        }
    }

    // MARK: - Keys

    mutating func readKeyPath() -> [PathComponent]? {
        var out: [PathComponent] = []
        while true {
            skipSpaces()
            guard let key = readKey() else { return nil }
            out.append(key)
            skipSpaces()
            if peek() == UInt8(ascii: ".") { position += 1 } else { return out }
        }
    }

    mutating func readKey() -> PathComponent? {
        let start = position
        if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "'") {
            guard let s = readString() else { return nil }
            return PathComponent(name: s, range: range(start, position))
        }
        while position < bytes.count, isBareKeyByte(bytes[position]) { position += 1 }
        guard position > start else {
            diagnostics.error("expected a key (letters, digits, '_' or '-', or a quoted name)", at: range(start, start + 1))
            return nil
        }
        return PathComponent(name: String(decoding: bytes[start..<position], as: UTF8.self), range: range(start, position))
    }

    func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    // MARK: - Values

    mutating func readValue(depth: Int) -> ConfigValue? {
        let start = position
        guard depth < Self.maximumDepth else {
            diagnostics.error("values nest deeper than \(Self.maximumDepth) levels", at: range(start, start + 1))
            return nil
        }
        guard let b = peek() else {
            diagnostics.error("expected a value", at: range(start, start))
            return nil
        }
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            guard let s = readString() else { return nil }
            return ConfigValue(.string(s), range: range(start, position))
        case UInt8(ascii: "["):
            return readArray(depth: depth)
        case UInt8(ascii: "{"):
            return readInlineTable(depth: depth)
        default:
            let word = readWord()
            let r = range(start, position)
            switch word {
            case "true": return ConfigValue(.bool(true), range: r)
            case "false": return ConfigValue(.bool(false), range: r)
            case "inf", "+inf": return ConfigValue(.number(.infinity), range: r)
            case "-inf": return ConfigValue(.number(-.infinity), range: r)
            case "nan", "+nan", "-nan":
                diagnostics.error("'nan' is not accepted here: give a number", at: r)
                return nil
            default:
                let digits = word.replacingOccurrences(of: "_", with: "")
                if !word.isEmpty, let v = Double(digits), !word.hasPrefix("_"), !word.hasSuffix("_"),
                   word.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
                    return ConfigValue(.number(v), range: r)
                }
                if word.isEmpty {
                    diagnostics.error("expected a value (a number, a \"string\", true/false, [array] or {table})", at: range(start, start + 1))
                } else if word.contains(where: { $0 == ":" }) || word.filter({ $0 == "-" }).count >= 2 {
                    diagnostics.error("unsupported: dates and times are not used in Kinapse files", at: r)
                } else {
                    diagnostics.add(Diagnostic(.error, "expected a value, found '\(word)'", at: r,
                                               hints: ["text values need quotes: \"\(word)\""]))
                }
                return nil
            }
        }
    }

    mutating func readWord() -> String {
        let start = position
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
                || b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") || b == UInt8(ascii: "#") { break }
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func readArray(depth: Int) -> ConfigValue? {
        let start = position
        position += 1
        var elements: [ConfigValue] = []
        while true {
            skipWhitespaceCommentsAndNewlines()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return ConfigValue(.array(elements), range: range(start, position))
            }
            guard position < bytes.count else {
                diagnostics.error("expected ']' to close the array opened here", at: range(start, start + 1))
                return nil
            }
            guard let v = readValue(depth: depth + 1) else { return nil }
            elements.append(v)
            skipWhitespaceCommentsAndNewlines()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            if peek() == UInt8(ascii: "]") { continue }
            if position >= bytes.count {
                diagnostics.error("expected ']' to close the array opened here", at: range(start, start + 1))
                return nil
            }
            diagnostics.error("expected ',' or ']' in the array", at: range(position, position + 1))
            return nil
        }
    }

    mutating func readInlineTable(depth: Int) -> ConfigValue? {
        let start = position
        position += 1
        var table = ConfigTable(range: range(start, start + 1))
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return ConfigValue(.table(table), range: range(start, position))
        }
        while true {
            skipSpaces()
            guard let keys = readKeyPath() else { return nil }
            skipSpaces()
            guard expect("=", "after the key") else { return nil }
            skipSpaces()
            guard let v = readValue(depth: depth + 1) else { return nil }
            insert(&table, at: [], keys: keys, value: v)
            skipSpaces()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            if peek() == UInt8(ascii: "}") {
                position += 1
                return ConfigValue(.table(table), range: range(start, position))
            }
            diagnostics.error("expected ',' or '}' in the inline table (inline tables stay on one line)", at: range(position, position + 1))
            return nil
        }
    }

    mutating func readString() -> String? {
        let start = position
        let quote = bytes[position]
        if position + 2 < bytes.count, bytes[position + 1] == quote, bytes[position + 2] == quote {
            diagnostics.error("unsupported: multi-line strings", at: range(start, start + 3))
            return nil
        }
        position += 1
        var out: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            if b == quote {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == UInt8(ascii: "\n") { break }
            if quote == UInt8(ascii: "\""), b == UInt8(ascii: "\\") {
                let escapeStart = position
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "u"):
                    let hexStart = position + 1
                    let hexEnd = hexStart + 4
                    guard hexEnd <= bytes.count, let code = UInt32(String(decoding: bytes[hexStart..<hexEnd], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else {
                        diagnostics.error("expected four hex digits after '\\u'", at: range(escapeStart, min(hexEnd, bytes.count)))
                        return nil
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    position = hexEnd - 1
                default:
                    diagnostics.error("unknown escape '\\\(Character(Unicode.Scalar(bytes[position])))' in a string", at: range(escapeStart, position + 1))
                    return nil
                }
                position += 1
                continue
            }
            out.append(b)
            position += 1
        }
        diagnostics.error("unterminated string (it must end on the same line)", at: range(start, start + 1))
        return nil
    }

    // MARK: - Lexical helpers

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(file: file, start: min(start, bytes.count), end: min(end, bytes.count))
    }

    mutating func skipSpaces() {
        while let b = peek(), b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") { position += 1 }
    }

    mutating func skipWhitespaceCommentsAndNewlines() {
        while let b = peek() {
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                position += 1
            } else if b == UInt8(ascii: "#") {
                skipComment()
            } else {
                break
            }
        }
    }

    /// Skips a `#` comment to the end of its line, keeping its words.
    mutating func skipComment() {
        let start = position
        skipToNextLine()
        comments.append(SourceComment(range: range(start, position), words: String(decoding: bytes[(start + 1)..<position], as: UTF8.self)))
    }

    mutating func skipToNextLine() {
        while let b = peek(), b != UInt8(ascii: "\n") { position += 1 }
    }

    /// After a complete statement only a comment may follow on the line.
    mutating func endOfLine() {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { skipComment() }
        guard let b = peek(), b != UInt8(ascii: "\n"), b != UInt8(ascii: "\r") else { return }
        diagnostics.error("expected the end of the line after the value", at: range(position, position + 1),
                          hint: "one 'key = value' per line")
        skipToNextLine()
    }

    mutating func expect(_ text: String, _ context: String) -> Bool {
        let expected = Array(text.utf8)
        if position + expected.count <= bytes.count, Array(bytes[position..<(position + expected.count)]) == expected {
            position += expected.count
            return true
        }
        diagnostics.error("expected '\(text)' \(context)", at: range(position, position + 1))
        return false
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        for c in self where String(c) != target { out.append(c) }
        return out
    }
}
