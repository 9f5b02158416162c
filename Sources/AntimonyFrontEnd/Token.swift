import SourceDiagnostics

/// One lexical unit of an Antimony file, with the bytes it covers.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        case number(Double)
        case string(String)
        case punctuation(Punctuation)
        /// Ends a statement (outside parentheses); Antimony is line-oriented.
        case newline
        case endOfFile
    }

    var kind: Kind
    var range: SourceRange

    var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    func isPunctuation(_ p: Punctuation) -> Bool { kind == .punctuation(p) }

    func isKeyword(_ word: Keyword) -> Bool { identifier == word.rawValue }

    /// True for the tokens that end a statement: a new line, `;`, or the end of the file.
    var endsStatement: Bool {
        switch kind {
        case .newline, .endOfFile, .punctuation(.semicolon): true
        default: false
        }
    }

    /// How the token is named in messages ("'*'", "a new line", "name 'k1'").
    var description: String {
        switch kind {
        case .identifier(let name):
            Keyword.named(name) != nil ? "keyword '\(name)'" : "name '\(name)'"
        case .number: "number '\(range.text)'"
        case .string: "text \(range.text)"
        case .punctuation(let p): "'\(p.rawValue)'"
        case .newline: "the end of the line"
        case .endOfFile: "the end of the file"
        }
    }
}

/// Operators and separators. Several exist only so the parser can reject Antimony
/// constructs outside the subset (`-|`, `--`, `...`) by name instead of misreading them.
enum Punctuation: String, Sendable, CaseIterable {
    case semicolon = ";", colon = ":", comma = ",", dot = ".", leftParen = "(", rightParen = ")"
    case plus = "+", minus = "-", star = "*", slash = "/", caret = "^", percent = "%"
    case dollar = "$", apostrophe = "'", equals = "=", colonEquals = ":="
    case equalEqual = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case andAnd = "&&", orOr = "||", bang = "!", arrow = "->", fatArrow = "=>", starStar = "**"
    case leftBrace = "{", rightBrace = "}", leftBracket = "[", rightBracket = "]", at = "@"
    case inhibitionArrow = "-|", activationArrow = "-o", dashes = "--", ellipsis = "..."
}

/// Words Antimony's lexer always treats as keywords (antimony.ypp, `antimony_yylex`), so they
/// can never be names. Words Kinapse does not support are still listed: a file using them
/// gets an "unsupported" error rather than a misreading.
enum Keyword: String, Sendable, CaseIterable {
    case model, module, end, species, formula, reaction, compartment, function
    case const, `var`, ext, substanceOnly
    case `import`, unit, has, `in`, `is`, at, after, event
    case DNA, gene, `operator`, delete, constraint, maximize, minimize

    /// The keyword spelled `word`, if it is one. Every name of a model passes through here;
    /// keywords are letters only, so names with digits or underscores (most generated
    /// ones) are answered without the string switch behind `init(rawValue:)`.
    static func named(_ word: String) -> Keyword? {
        for byte in word.utf8 where byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
            return nil
        }
        return Keyword(rawValue: word)
    }
}
