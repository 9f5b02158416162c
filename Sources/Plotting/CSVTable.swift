/// A CSV file as Kinapse writes it: a header, then rows of comma-separated cells (no
/// quoting). Every cell remembers where it came from, so a bad value can be reported as
/// `run.csv:7:12: error: …` with a caret under it.
public struct CSVTable: Sendable {
    public struct Cell: Sendable {
        public var text: String
        /// 1-based line in the file.
        public var line: Int
        /// UTF-8 offset of the cell's first byte in the file, and its length.
        public var offset: Int
        public var length: Int
    }

    public let path: String
    public let header: [String]
    public let headerCells: [Cell]
    public let rows: [[Cell]]

    /// Splits `text`; rows must have as many cells as the header. Blank lines and lines
    /// starting with `#` are skipped.
    public init(parsing text: String, path: String) throws(CSVError) {
        self.path = path
        var lines: [[Cell]] = []
        var lineNumber = 0
        var offset = 0
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split on "\n".
        for rawBytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            defer { offset += rawBytes.count + 1 }
            var bytes = rawBytes[...]
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            // Comment lines, such as the `# partial: …` line that ends the output of a failed run.
            if bytes.first == UInt8(ascii: "#") { continue }
            var cells: [Cell] = []
            var cellOffset = offset
            for fieldBytes in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let field = Substring(fieldBytes)
                let leading = field.prefix { $0 == " " || $0 == "\t" }.utf8.count
                let trimmed = field.trimmingSpaces()
                cells.append(Cell(text: String(trimmed), line: lineNumber, offset: cellOffset + leading, length: trimmed.utf8.count))
                cellOffset += fieldBytes.count + 1
            }
            lines.append(cells)
        }
        guard let first = lines.first else {
            throw CSVError(path: path, line: 1, column: 1, offset: 0, length: 0, message: "the file is empty; expected a header line such as 'time,A,B'")
        }
        headerCells = first
        header = first.map(\.text)
        for cell in first where cell.text.isEmpty {
            throw CSVError(at: cell, in: path, text: text, "empty column name in the header")
        }
        var seen: [String: Int] = [:]
        for (i, cell) in first.enumerated() {
            if let earlier = seen[cell.text] {
                throw CSVError(at: cell, in: path, text: text, "column '\(cell.text)' appears twice in the header (columns \(earlier + 1) and \(i + 1))")
            }
            seen[cell.text] = i
        }
        for row in lines.dropFirst() where row.count != first.count {
            let line = row[0].line
            let message = "row \(line) has \(row.count) cell\(row.count == 1 ? "" : "s") but the header has \(first.count) columns"
            if row.count > first.count {
                throw CSVError(at: row[first.count], in: path, text: text, message)
            }
            let last = row[row.count - 1]
            throw CSVError(path: path, line: line, column: characterColumn(of: last.offset + last.length, in: text),
                           offset: last.offset + last.length, length: 0, message: message,
                           hint: "missing: \(header[row.count...].joined(separator: ", "))")
        }
        rows = Array(lines.dropFirst())
        self.text = text
    }

    /// Kept to turn offsets into columns for errors raised after parsing.
    private let text: String

    public var rowCount: Int { rows.count }

    /// The index of a column by name.
    public func index(of column: String) -> Int? { header.firstIndex(of: column) }

    /// The column's cells as numbers. `nan`, `inf` and `-inf` are numbers (non-finite
    /// ones, which figures leave out); an empty cell or `NA` is a missing value, NaN, as in
    /// fit data files (`DataReader`); anything else that does not parse is an error naming
    /// its row and column.
    public func numbers(_ column: String) throws(CSVError) -> [Double] {
        guard let c = index(of: column) else { preconditionFailure("no column '\(column)' (check with index(of:))") }
        var out: [Double] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            let cell = row[c]
            guard let v = Self.number(cell.text) else {
                throw CSVError(at: cell, in: path, text: text, "row \(cell.line), column '\(column)': '\(cell.text)' is not a number",
                               hint: "write numbers as 0.25 or 1.5e-3; leave a missing value empty, NA or nan")
            }
            out.append(v)
        }
        return out
    }

    public func strings(_ column: String) -> [String] {
        guard let c = index(of: column) else { preconditionFailure("no column '\(column)' (check with index(of:))") }
        return rows.map { $0[c].text }
    }

    /// Decimal numbers, the spellings Swift and Kinapse print for non-finite values, and
    /// the missing values of data files (empty, `NA`).
    static func number(_ s: String) -> Double? {
        if s.isEmpty || s == "NA" { return .nan }
        switch s.lowercased() {
        case "nan", "-nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard let first = s.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first) else { return nil }
        guard !s.lowercased().contains("x") else { return nil }  // no hexadecimal floats
        return Double(s)
    }
}

/// A problem in a CSV file, located like a compiler diagnostic.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based line and character column of the offending cell.
    public var line: Int
    public var column: Int
    /// UTF-8 range of the cell, for a caret under it.
    public var offset: Int
    public var length: Int
    public var message: String
    public var hint: String?

    public init(path: String, line: Int, column: Int, offset: Int, length: Int, message: String, hint: String? = nil) {
        self.path = path; self.line = line; self.column = column; self.offset = offset; self.length = length
        self.message = message; self.hint = hint
    }

    init(at cell: CSVTable.Cell, in path: String, text: String, _ message: String, hint: String? = nil) {
        self.init(path: path, line: cell.line, column: characterColumn(of: cell.offset, in: text), offset: cell.offset,
                  length: cell.length, message: message, hint: hint)
    }

    /// `run.csv:7:12: error: …` (and the hint on its own line).
    public var description: String {
        "\(path):\(line):\(column): error: \(message)" + (hint.map { "\nhint: \($0)" } ?? "")
    }
}

/// The 1-based character column of a UTF-8 offset.
private func characterColumn(of offset: Int, in text: String) -> Int {
    let utf8 = Array(text.utf8.prefix(offset))
    let lineStart = (utf8.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
    return String(decoding: utf8[lineStart...], as: UTF8.self).unicodeScalars.count + 1
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
