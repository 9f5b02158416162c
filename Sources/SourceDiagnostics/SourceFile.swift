/// The text of one input file, with a line table for turning byte offsets into
/// 1-based line and column numbers.
///
/// A class, not a struct, so that every `SourceRange` can point at its file cheaply
/// and diagnostics from imported files still know where they came from.
public final class SourceFile: Sendable, CustomStringConvertible {
    /// The path as the user spelled it (shown in diagnostics).
    public let path: String
    public let text: String
    /// UTF-8 offsets of the first byte of every line.
    private let lineStarts: [Int]
    public let utf8: [UInt8]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        let bytes = Array(text.utf8)
        self.utf8 = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    public var description: String { path }

    /// 1-based line and column of a UTF-8 offset. Columns count characters (Unicode
    /// scalars), so a caret lands under the right glyph on lines with non-ASCII text.
    public func location(ofOffset offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, utf8.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let lineStart = lineStarts[lo]
        let prefix = utf8[lineStart..<clamped]
        let column = String(decoding: prefix, as: UTF8.self).unicodeScalars.count + 1
        return SourceLocation(line: lo + 1, column: column)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : utf8.count
        if end > start, utf8[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: utf8[start..<max(start, end)], as: UTF8.self)
    }
}

public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A half-open range of UTF-8 offsets in one file.
public struct SourceRange: Hashable, Sendable {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    public var startLocation: SourceLocation { file.location(ofOffset: start) }
    public var text: String { String(decoding: file.utf8[start..<min(end, file.utf8.count)], as: UTF8.self) }

    /// The smallest range covering both (same file assumed).
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public static func == (a: SourceRange, b: SourceRange) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(file))
        hasher.combine(start)
        hasher.combine(end)
    }
}
