import SourceDiagnostics

/// Splits a file into tokens in one linear pass over its UTF-8 bytes.
///
/// Follows Antimony's own lexer (`antimony_yylex` in antimony.ypp): `//` and `#` start line
/// comments, `/* */` block comments, a backslash before a line break joins lines, names are
/// ASCII letters, digits and `_`, and any other non-ASCII byte is an error.
struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var position = 0
    private var tokens: [Token] = []
    private var comments: [SourceComment] = []

    private init(file: SourceFile) {
        self.file = file
        self.bytes = file.utf8
    }

    /// The tokens of `file`, always ending with `.endOfFile`. Problems go to `sink`.
    static func tokenize(_ file: SourceFile, into sink: inout DiagnosticSink) -> [Token] {
        tokenizeKeepingComments(file, into: &sink).tokens
    }

    /// The tokens and, beside them, every comment: the parser never sees comments, but what
    /// they say about a value (its source, its unit) is read back from them.
    static func tokenizeKeepingComments(_ file: SourceFile, into sink: inout DiagnosticSink) -> (tokens: [Token], comments: [SourceComment]) {
        var lexer = Lexer(file: file)
        lexer.run(&sink)
        return (lexer.tokens, lexer.comments)
    }

    private mutating func run(_ sink: inout DiagnosticSink) {
        while position < bytes.count, !sink.isFull {
            let start = position
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                append(.newline, from: start)
            case UInt8(ascii: "#"):
                skipLineComment()
                keepComment(from: start, opening: 1, closing: 0)
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                skipLineComment()
                keepComment(from: start, opening: 2, closing: 0)
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                if skipBlockComment() {
                    keepComment(from: start, opening: 2, closing: 2)
                } else {
                    sink.error("unterminated comment: '/*' has no closing '*/'", at: range(start, start + 2))
                    position = bytes.count
                }
            case UInt8(ascii: "\\") where isLineContinuation():
                skipLineContinuation()
            case UInt8(ascii: "\""):
                lexString(&sink)
            case _ where isDigit(byte), UInt8(ascii: ".") where peek(1).map(isDigit) == true:
                lexNumber(&sink)
            case _ where isIdentifierStart(byte):
                while position < bytes.count, isIdentifierContinuation(bytes[position]) { position += 1 }
                append(.identifier(String(decoding: bytes[start..<position], as: UTF8.self)), from: start)
            default:
                if let punctuation = matchPunctuation() {
                    position += punctuation.rawValue.utf8.count
                    append(.punctuation(punctuation), from: start)
                } else {
                    reportUnexpectedCharacter(&sink)
                }
            }
        }
        tokens.append(Token(kind: .endOfFile, range: range(bytes.count, bytes.count)))
    }

    // MARK: - Pieces

    /// Records the comment from `start` to the current position, its delimiters (`opening`
    /// and `closing` bytes long) and surrounding blanks left out of its text.
    private mutating func keepComment(from start: Int, opening: Int, closing: Int) {
        let words = String(decoding: bytes[(start + opening)..<(position - closing)], as: UTF8.self)
        comments.append(SourceComment(range: range(start, position), words: words))
    }

    private mutating func skipLineComment() {
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
    }

    /// Returns false if the file ends inside the comment.
    private mutating func skipBlockComment() -> Bool {
        position += 2
        while position + 1 < bytes.count {
            if bytes[position] == UInt8(ascii: "*"), bytes[position + 1] == UInt8(ascii: "/") {
                position += 2
                return true
            }
            position += 1
        }
        return false
    }

    /// A backslash followed only by spaces up to the line break.
    private func isLineContinuation() -> Bool {
        var i = position + 1
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") || bytes[i] == UInt8(ascii: "\r") {
            i += 1
        }
        return i < bytes.count && bytes[i] == UInt8(ascii: "\n")
    }

    private mutating func skipLineContinuation() {
        while bytes[position] != UInt8(ascii: "\n") { position += 1 }
        position += 1
    }

    private mutating func lexString(_ sink: inout DiagnosticSink) {
        let start = position
        position += 1
        while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\n") {
            position += 1
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            sink.error("unterminated text: '\"' has no closing '\"' on the same line", at: range(start, start + 1))
            return
        }
        position += 1
        let text = String(decoding: bytes[(start + 1)..<(position - 1)], as: UTF8.self)
        append(.string(text), from: start)
    }

    /// Digits with an optional fraction and exponent (`1`, `1.5`, `.5`, `1e-3`). An `e` not
    /// followed by digits is left for the next token, as Antimony does.
    private mutating func lexNumber(_ sink: inout DiagnosticSink) {
        let start = position
        skipDigits()
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            var i = position + 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            if i < bytes.count, isDigit(bytes[i]) {
                position = i
                skipDigits()
            }
        }
        var text = String(decoding: bytes[start..<position], as: UTF8.self)
        if text.hasSuffix(".") { text += "0" }
        if text.hasPrefix(".") { text = "0" + text }
        guard let value = Double(text), value.isFinite else {
            sink.error("number '\(String(decoding: bytes[start..<position], as: UTF8.self))' is out of range", at: range(start, position))
            append(.number(0), from: start)
            return
        }
        append(.number(value), from: start)
    }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    /// Longest operator spelled at the current position.
    /// Every punctuation spelling as bytes, longest first, so the first match is the
    /// longest one (`:=` before `:`). Built once: the lexer runs over every byte of a file.
    /// Indexed by first byte, so a token is compared only with the spellings it can be.
    private static let punctuationSpellings: [[(Punctuation, [UInt8])]] = {
        var table = [[(Punctuation, [UInt8])]](repeating: [], count: 256)
        for (p, spelled) in Punctuation.allCases.map({ ($0, Array($0.rawValue.utf8)) }).sorted(by: { $0.1.count > $1.1.count }) {
            table[Int(spelled[0])].append((p, spelled))
        }
        return table
    }()

    private func matchPunctuation() -> Punctuation? {
        for (p, spelled) in Self.punctuationSpellings[Int(bytes[position])] where position + spelled.count <= bytes.count {
            var matches = true
            for k in 0..<spelled.count where bytes[position + k] != spelled[k] {
                matches = false
                break
            }
            if matches { return p }
        }
        return nil
    }

    private mutating func reportUnexpectedCharacter(_ sink: inout DiagnosticSink) {
        let start = position
        let length = utf8SequenceLength(bytes[position])
        position = min(bytes.count, position + length)
        let shown = String(decoding: bytes[start..<position], as: UTF8.self)
        let hint: String? = switch shown {
        case "&": "Antimony writes 'and' as '&&'"
        case "|": "Antimony writes 'or' as '||'"
        default: nil
        }
        let printable = shown.unicodeScalars.allSatisfy { $0.value >= 32 && $0 != "\u{FFFD}" && $0.value != 127 }
        let name = printable ? "'\(shown)'" : "byte 0x\(String(bytes[start], radix: 16, uppercase: true))"
        sink.error("unexpected character \(name)", at: range(start, position), hint: hint)
    }

    // MARK: - Helpers

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func append(_ kind: Token.Kind, from start: Int) {
        tokens.append(Token(kind: kind, range: range(start, position)))
    }

    private func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(file: file, start: start, end: end)
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

private func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
}

private func isIdentifierContinuation(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

/// Bytes in the UTF-8 sequence a lead byte starts (1 for stray continuation bytes, so
/// the lexer always advances).
private func utf8SequenceLength(_ lead: UInt8) -> Int {
    switch lead {
    case 0xF0...0xF7: 4
    case 0xE0...0xEF: 3
    case 0xC2...0xDF: 2
    default: 1
    }
}
