/// A comment as written in an input file, kept beside the tokens the parsers read so that
/// what a file says about a value (its source, its unit) can be read back with the value.
public struct SourceComment: Sendable {
    /// The whole comment, delimiters included.
    public let range: SourceRange
    /// The words of the comment: delimiters and surrounding blanks removed.
    public let text: String

    public init(range: SourceRange, text: String) {
        self.range = range
        self.text = text
    }

    /// A comment whose words are `words` with blanks and line breaks trimmed from both ends.
    public init(range: SourceRange, words: Substring) {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        var trimmed = words.drop(while: blank)
        while let last = trimmed.last, blank(last) { trimmed = trimmed.dropLast() }
        self.init(range: range, text: String(trimmed))
    }

    public init(range: SourceRange, words: String) {
        self.init(range: range, words: words[...])
    }

    public var line: Int { range.startLocation.line }
}

/// The comments that belong to a value written on one line: the comment after it on the same
/// line, and the paragraph of comment lines directly above the run of value lines it is part of.
///
/// A run is a block of consecutive lines that each define a value (`k1 = 2`, `sites = 5`), so
/// a heading comment such as "initial values: resting steady state" covers every line under it
/// up to the next blank, comment-only or other line.
public struct CommentAttachment: Sendable {
    private var trailingByLine: [Int: [String]] = [:]
    private var commentOnlyLines: [Int: String] = [:]
    private let valueLines: Set<Int>

    /// `codeLines`: lines on which a token other than a comment starts; `valueLines`: lines
    /// that define a value (a subset of them).
    public init(comments: [SourceComment], codeLines: Set<Int>, valueLines: Set<Int>) {
        self.valueLines = valueLines
        for comment in comments {
            let location = comment.range.startLocation
            let lastLine = comment.range.file.location(ofOffset: max(comment.range.start, comment.range.end - 1)).line
            if codeLines.contains(location.line) {
                trailingByLine[location.line, default: []].append(comment.text)
            } else {
                // A block comment over several lines counts as that many comment-only lines.
                for line in location.line...lastLine where !codeLines.contains(line) {
                    commentOnlyLines[line] = (commentOnlyLines[line].map { $0 + " " } ?? "") + (line == location.line ? comment.text : "")
                }
            }
        }
    }

    /// The comment after the code on `line`, if any.
    public func trailing(line: Int) -> String? {
        trailingByLine[line].map { Self.oneLine($0) }
    }

    /// The words of `texts` on one line, single-spaced.
    private static func oneLine(_ texts: [String]) -> String {
        texts.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) }.joined(separator: " ")
    }

    /// The comment paragraph directly above the run of value lines that contains `line`.
    public func heading(line: Int) -> String? {
        var above = line - 1
        while valueLines.contains(above) { above -= 1 }
        var paragraph: [String] = []
        while above >= 1, let text = commentOnlyLines[above] {
            paragraph.insert(text, at: 0)
            above -= 1
        }
        let joined = Self.oneLine(paragraph)
        return joined.isEmpty ? nil : joined
    }
}
