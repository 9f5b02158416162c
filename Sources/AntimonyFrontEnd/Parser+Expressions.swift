import SourceDiagnostics
import PathwayModel

/// Expressions, with the precedence of libSBML's Level 3 infix parser, which Antimony hands
/// its formulas to (L3Parser.ypp): `&&`/`||` < comparisons < `+ -` < `* /` < unary `- + !`
/// < `^` (right-associative, so `-2^2` is `-(2^2)` and `2^3^2` is `2^(3^2)`).
///
/// Where Antimony's reading would surprise a reader, the parser refuses instead of picking
/// one: `&&` mixed with `||` (libSBML gives them equal precedence, left to right), chained
/// comparisons (`a < b < c`), and a name right after a number (`2 k` is 2 with unit `k`).
extension Parser {
    /// Deepest nesting of parentheses, calls and prefix operators in one expression.
    static let maximumNesting = 200
    /// Most binary operators in one expression; keeps trees shallow enough to walk recursively.
    static let maximumOperators = 1000

    mutating func parseExpression() throws(ParseAbort) -> Expression {
        if nesting == 0 {
            operatorCount = 0
            expressionStart = index
        }
        return try parseLogical()
    }

    /// `a && b && c` or `a || b || c` (also `and`, `or`), never the two mixed.
    private mutating func parseLogical() throws(ParseAbort) -> Expression {
        var left = try parseComparison()
        var chainOperator: Expression.BinaryOperator?
        while let op = logicalOperator() {
            let token = current
            if let chainOperator, chainOperator != op {
                try fail("'&&' and '||' need parentheses when combined: Antimony gives them equal precedence",
                         at: token.range)
            }
            chainOperator = op
            advance()
            left = .binary(op, left, try parseComparison())
            try countOperator()
        }
        return left
    }

    private mutating func logicalOperator() -> Expression.BinaryOperator? {
        skipNewlinesInParentheses()
        switch current.kind {
        case .punctuation(.andAnd), .identifier("and"), .identifier("AND"): return .and
        case .punctuation(.orOr), .identifier("or"), .identifier("OR"): return .or
        default: return nil
        }
    }

    private mutating func parseComparison() throws(ParseAbort) -> Expression {
        let left = try parseAdditive()
        guard let op = comparisonOperator() else { return left }
        advance()
        let right = try parseAdditive()
        if comparisonOperator() != nil {
            try fail("comparisons cannot be chained; write 'a < b && b < c' instead of 'a < b < c'", at: current.range)
        }
        try countOperator()
        return .binary(op, left, right)
    }

    private mutating func comparisonOperator() -> Expression.BinaryOperator? {
        skipNewlinesInParentheses()
        guard case .punctuation(let p) = current.kind else { return nil }
        return switch p {
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        case .equalEqual: .equal
        case .notEqual: .notEqual
        default: nil
        }
    }

    private mutating func parseAdditive() throws(ParseAbort) -> Expression {
        var left = try parseMultiplicative()
        while true {
            skipNewlinesInParentheses()
            let op: Expression.BinaryOperator
            switch current.kind {
            case .punctuation(.plus): op = .add
            case .punctuation(.minus): op = .subtract
            case .punctuation(.dashes):
                try fail("'--' is read by Antimony as a DNA strand, not as minus a negative; write 'a + b' or 'a - (-b)'",
                         at: current.range)
            case .punctuation(.activationArrow), .punctuation(.inhibitionArrow):
                try fail("'\(current.range.text)' is read by Antimony as an interaction arrow; put a space after '-'",
                         at: current.range)
            default: return left
            }
            advance()
            left = .binary(op, left, try parseMultiplicative())
            try countOperator()
        }
    }

    private mutating func parseMultiplicative() throws(ParseAbort) -> Expression {
        var left = try parseUnary()
        while true {
            skipNewlinesInParentheses()
            let op: Expression.BinaryOperator
            switch current.kind {
            case .punctuation(.star): op = .multiply
            case .punctuation(.slash): op = .divide
            case .punctuation(.starStar):
                try fail("'**' is not an operator in Antimony; write powers with '^'", at: current.range)
            case .punctuation(.percent):
                try unsupported("the remainder operator '%'", at: current.range)
            default: return left
            }
            advance()
            left = .binary(op, left, try parseUnary())
            try countOperator()
        }
    }

    /// Prefix `-`, `+`, `!` and `not`; they bind tighter than `*` but looser than `^`.
    private mutating func parseUnary() throws(ParseAbort) -> Expression {
        skipNewlinesInParentheses()
        let op: Expression.UnaryOperator?
        switch current.kind {
        case .punctuation(.minus): op = .negate
        case .punctuation(.bang), .identifier("not"): op = .not
        case .punctuation(.plus): op = nil
        default: return try parsePower()
        }
        let operatorToken = advance()
        try enterNesting(at: operatorToken.range)
        defer { nesting -= 1 }
        let operand = try parseUnary()
        return op.map { .unary($0, operand) } ?? operand
    }

    private mutating func parsePower() throws(ParseAbort) -> Expression {
        let base = try parsePrimary()
        skipNewlinesInParentheses()
        guard current.isPunctuation(.caret) else { return base }
        let caret = advance()
        try countOperator()
        try enterNesting(at: caret.range)
        defer { nesting -= 1 }
        // The exponent may itself carry a sign or a power: `2^-1`, `2^3^2`.
        return .binary(.power, base, try parseUnary())
    }

    private mutating func parsePrimary() throws(ParseAbort) -> Expression {
        skipNewlinesInParentheses()
        let token = current
        switch token.kind {
        case .number(let value):
            advance()
            if let unit = current.identifier, Keyword.named(unit) == nil, !["and", "or", "AND", "OR"].contains(unit) {
                try fail("a name right after a number is a unit in Antimony ('\(token.range.text) \(unit)' means \(token.range.text) in units of \(unit)); write '\(token.range.text)*\(unit)' for a product, or leave the unit out",
                         at: current.range)
            }
            return .number(value)
        case .identifier(let word):
            if Keyword.named(word) != nil {
                try fail("unexpected keyword '\(word)' in an expression", at: token.range)
            }
            if peek(1).isPunctuation(.leftParen) { return try parseCall() }
            if word == "time" {
                advance()
                return .time
            }
            let name = try parseNameReference(what: "a name")
            return .symbol(name.dotted, name.range)
        case .punctuation(.leftParen):
            let open = advance()
            try enterNesting(at: open.range)
            parenthesisDepth += 1
            let inner = try parseLogical()
            try expectClosing(open, what: "the parenthesized expression")
            parenthesisDepth -= 1
            nesting -= 1
            return inner
        case .string:
            try fail("text in quotes cannot be part of an expression", at: token.range)
        case .punctuation(.dollar):
            try fail("'$' marks a fixed species in declarations and reactions, not in expressions", at: token.range)
        case .punctuation(.leftBrace):
            try unsupported("'{…}' lists (uncertainty and distribution data)", at: token.range)
        case .punctuation(.ellipsis):
            try unsupported("'...' (DNA strand rate inheritance)", at: token.range)
        default:
            try failMissingOperand()
        }
    }

    /// `f(a, b)`; the name is kept as written for the model compiler to resolve.
    private mutating func parseCall() throws(ParseAbort) -> Expression {
        let nameToken = advance()
        let name = nameToken.identifier ?? ""
        let open = advance()
        try enterNesting(at: open.range)
        parenthesisDepth += 1
        var arguments: [Expression] = []
        skipNewlines()
        if !current.isPunctuation(.rightParen) {
            while true {
                arguments.append(try parseLogical())
                skipNewlines()
                if current.isPunctuation(.comma) {
                    advance()
                    continue
                }
                if current.isPunctuation(.rightParen) { break }
                try failMissing("expected ',' or ')' after an argument of '\(name)' (its '(' is at \(open.range.startLocation))")
            }
        }
        advance()
        parenthesisDepth -= 1
        nesting -= 1
        return .call(name, arguments, nameToken.range.union(tokens[index - 1].range))
    }

    // MARK: - Helpers

    private mutating func skipNewlinesInParentheses() {
        if parenthesisDepth > 0 { skipNewlines() }
    }

    private mutating func enterNesting(at range: SourceRange) throws(ParseAbort) {
        nesting += 1
        if nesting > Self.maximumNesting {
            try fail("expression is nested too deeply (more than \(Self.maximumNesting) levels)", at: range)
        }
    }

    private mutating func countOperator() throws(ParseAbort) {
        operatorCount += 1
        if operatorCount > Self.maximumOperators {
            try fail("expression has more than \(Self.maximumOperators) operators; split it with intermediate assignment rules",
                     at: tokens[index - 1].range)
        }
    }

    /// The last token before `index` that is not a line break.
    private func previousSignificantIndex() -> Int? {
        var i = index - 1
        while i >= 0, tokens[i].kind == .newline { i -= 1 }
        return i >= 0 ? i : nil
    }

    /// Reports something missing. When the parser already looked past line breaks (inside
    /// parentheses), the error points just after the last real token, where the missing
    /// text belongs, and parsing resumes from that line break.
    mutating func failMissing(_ message: String) throws(ParseAbort) -> Never {
        if let previous = previousSignificantIndex(), current.kind == .endOfFile || previous < index - 1 {
            let end = tokens[previous].range
            let at = SourceRange(file: end.file, start: end.end, end: end.end)
            index = previous + 1
            try fail(message, at: at)
        }
        try fail(message, at: current.range)
    }

    /// An operand was expected: at the start ("unexpected '*' at start of expression") or
    /// after an operator ("expected an expression after '+'").
    private mutating func failMissingOperand() throws(ParseAbort) -> Never {
        guard index > expressionStart, let previous = previousSignificantIndex(), previous >= expressionStart else {
            if current.endsStatement {
                try fail("expected an expression, found \(current.description)", at: current.range)
            }
            try fail("unexpected \(current.description) at start of expression", at: current.range)
        }
        try failMissing("expected an expression after '\(tokens[previous].range.text)', found \(current.description)")
    }
}
