public import SourceDiagnostics

/// A tab-separated PEtab table: a header row and data rows, every cell with its place in
/// the file (so errors point at `file:line:column`). Blank lines are skipped; a row may be
/// shorter than the header (missing cells are empty), never longer.
public struct TSVTable: Sendable {
    public struct Cell: Sendable {
        public let text: String
        public let range: SourceRange
        public var isEmpty: Bool { text.isEmpty }
    }

    public let file: SourceFile
    public let header: [Cell]
    public let rows: [[Cell]]

    public init(_ file: SourceFile) throws(DiagnosticsError) {
        self.file = file
        let bytes = file.utf8
        var lines: [[Cell]] = []
        var lineStart = 0
        var diagnostics = DiagnosticCollector()
        func finish(_ end: Int) {
            var stop = end
            if stop > lineStart, bytes[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
            guard bytes[lineStart..<stop].contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
            var cells: [Cell] = []
            var cellStart = lineStart
            for k in lineStart...stop where k == stop || bytes[k] == UInt8(ascii: "\t") {
                var a = cellStart, b = k
                while a < b, bytes[a] == UInt8(ascii: " ") { a += 1 }
                while b > a, bytes[b - 1] == UInt8(ascii: " ") { b -= 1 }
                var text = String(decoding: bytes[a..<b], as: UTF8.self)
                if text.count >= 2, text.first == "\"", text.last == "\"" { text = String(text.dropFirst().dropLast()) }
                cells.append(Cell(text: text, range: SourceRange(file: file, start: cellStart, end: k)))
                cellStart = k + 1
            }
            lines.append(cells)
        }
        for (k, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            finish(k)
            lineStart = k + 1
        }
        finish(bytes.count)
        guard let header = lines.first else {
            throw DiagnosticsError(.error("'\(file.path)' is empty; a PEtab table starts with a header row of tab-separated column names",
                                          at: SourceRange(file: file, start: 0, end: 0)))
        }
        for (i, cell) in header.enumerated() {
            if cell.isEmpty { diagnostics.error("empty column name in the header", at: cell.range, hint: "columns are separated by single tabs") }
            if header[..<i].contains(where: { $0.text == cell.text }) { diagnostics.error("column '\(cell.text)' appears twice", at: cell.range) }
        }
        for row in lines.dropFirst() where row.count > header.count {
            diagnostics.error("this row has \(row.count) cells but the header names \(header.count) columns", at: row[header.count].range,
                              hint: "cells are separated by single tabs; an extra tab adds a cell")
        }
        try diagnostics.throwIfErrors()
        self.header = header
        self.rows = Array(lines.dropFirst())
    }

    /// The index of a column by name.
    public func column(_ name: String) -> Int? { header.firstIndex { $0.text == name } }

    /// Row `r`'s cell in column `c`; an empty cell (at the row's end) when the row is short.
    public func cell(_ r: Int, _ c: Int) -> Cell {
        let row = rows[r]
        if c < row.count { return row[c] }
        let end = row.last?.range.end ?? 0
        return Cell(text: "", range: SourceRange(file: file, start: end, end: end))
    }

    /// The header cell's range (for errors about a whole column), or the file's start.
    public var headerRange: SourceRange {
        header.first.map { $0.range.union(header.last!.range) } ?? SourceRange(file: file, start: 0, end: 0)
    }
}
