import SourceDiagnostics
import PathwayModel

/// Thrown inside the parser to abandon the current statement after its error has been
/// reported; the statement loop catches it and resumes at the next line.
struct ParseAbort: Error {}

/// Recursive-descent parser for Kinapse's Antimony subset.
///
/// Statements end at a new line or `;` (except the `;` that introduces a rate law). Inside
/// parentheses new lines are skipped. After an error the parser skips to the end of the
/// statement and goes on, so one run reports every problem in the file.
struct Parser {
    let tokens: [Token]
    var index = 0
    var sink: DiagnosticSink

    // Expression state (see Parser+Expressions.swift).
    var parenthesisDepth = 0
    var nesting = 0
    var operatorCount = 0
    var expressionStart = 0

    private init(tokens: [Token], sink: DiagnosticSink) {
        self.tokens = tokens
        self.sink = sink
    }

    static func parse(_ file: SourceFile, into sink: inout DiagnosticSink) -> ParsedFile {
        parseKeepingTokens(file, into: &sink).parsed
    }

    /// The parsed file and the tokens it was read from, for readers that need to know where
    /// code stands (which lines a comment shares with a statement).
    static func parseKeepingTokens(_ file: SourceFile, into sink: inout DiagnosticSink) -> (parsed: ParsedFile, tokens: [Token]) {
        let (tokens, comments) = Lexer.tokenizeKeepingComments(file, into: &sink)
        var parser = Parser(tokens: tokens, sink: sink)
        let items = parser.parseTopLevel()
        sink = parser.sink
        return (ParsedFile(file: file, items: items, comments: comments), tokens)
    }

    /// One expression filling `file` (blank space around it allowed), for formulas written
    /// in other files (a fit problem's observables).
    static func parseLoneExpression(_ file: SourceFile, into sink: inout DiagnosticSink) -> Expression? {
        let tokens = Lexer.tokenize(file, into: &sink).filter { $0.kind != .newline }
        guard !sink.hasErrors else { return nil }
        var parser = Parser(tokens: tokens, sink: sink)
        defer { sink = parser.sink }
        do {
            let expression = try parser.parseExpression()
            guard parser.current.kind == .endOfFile else {
                try parser.fail("unexpected \(parser.current.description) after the expression", at: parser.current.range)
            }
            return expression
        } catch {
            return nil
        }
    }

    // MARK: - Top level

    private mutating func parseTopLevel() -> [TopLevelItem] {
        var items: [TopLevelItem] = []
        while current.kind != .endOfFile, !sink.isFull {
            if current.endsStatement {
                advance()
                continue
            }
            do {
                if current.isKeyword(.model) || current.isKeyword(.module) {
                    items.append(.model(try parseModel()))
                } else if current.isKeyword(.function) {
                    items.append(.function(try parseFunction()))
                    try expectStatementEnd()
                } else if current.isKeyword(.import) {
                    items.append(.import(try parseImport()))
                    try expectStatementEnd()
                } else {
                    let start = current.range
                    for statement in try parseStatement() { items.append(.statement(statement, range: start)) }
                    try expectStatementEnd()
                }
            } catch {
                recoverToStatementEnd()
            }
        }
        return items
    }

    private mutating func parseModel() throws(ParseAbort) -> ModelDefinition {
        let keyword = advance()
        var isMarkedMain = false
        if current.isPunctuation(.star) {
            advance()
            isMarkedMain = true
        }
        let nameToken = current
        let name = try expectPlainName("a model name after '\(keyword.range.text)'")
        var interface: [NameReference] = []
        if current.isPunctuation(.leftParen) {
            let open = advance()
            if !current.isPunctuation(.rightParen) {
                repeat {
                    if current.isPunctuation(.comma) { advance() }
                    interface.append(try parseNameReference(what: "a name in the interface of model '\(name)'"))
                } while current.isPunctuation(.comma)
            }
            try expectClosing(open, what: "the interface of model '\(name)'")
        }
        var body: [Statement] = []
        while !sink.isFull {
            if current.endsStatement, current.kind != .endOfFile {
                advance()
                continue
            }
            if current.kind == .endOfFile {
                sink.error("expected 'end' to close model '\(name)' (opened at \(keyword.range.startLocation))", at: current.range)
                break
            }
            if current.isKeyword(.end) {
                advance()
                try expectStatementEnd()
                break
            }
            if let nested = [Keyword.model, .module, .function, .import].first(where: current.isKeyword) {
                sink.error("'\(nested.rawValue)' cannot appear inside model '\(name)'; is an 'end' missing above?", at: current.range)
                break
            }
            do {
                body += try parseStatement()
                try expectStatementEnd()
            } catch {
                recoverToStatementEnd()
            }
        }
        return ModelDefinition(name: name, nameRange: nameToken.range, isMarkedMain: isMarkedMain, interface: interface, body: body)
    }

    private mutating func parseFunction() throws(ParseAbort) -> FunctionDeclaration {
        advance()
        let nameToken = current
        let name = try expectPlainName("a function name after 'function'")
        guard current.isPunctuation(.leftParen) else {
            try fail("expected '(' and the parameters of function '\(name)'", at: current.range)
        }
        let open = advance()
        var parameters: [(name: String, range: SourceRange)] = []
        if !current.isPunctuation(.rightParen) {
            repeat {
                if current.isPunctuation(.comma) { advance() }
                let token = current
                parameters.append((try expectPlainName("a parameter name of function '\(name)'"), token.range))
            } while current.isPunctuation(.comma)
        }
        try expectClosing(open, what: "the parameters of function '\(name)'")
        skipStatementEnds()
        if current.isKeyword(.end) || current.kind == .endOfFile {
            try fail("function '\(name)' has no body: write its formula before 'end'", at: current.range)
        }
        let body = try parseExpression()
        skipStatementEnds()
        guard current.isKeyword(.end) else {
            try fail("expected 'end' after the formula of function '\(name)', found \(current.description)", at: current.range)
        }
        advance()
        return FunctionDeclaration(name: name, nameRange: nameToken.range, parameters: parameters, body: body)
    }

    private mutating func parseImport() throws(ParseAbort) -> ImportDirective {
        advance()
        guard case .string(let path) = current.kind else {
            try fail("expected a file name in quotes after 'import', found \(current.description)", at: current.range)
        }
        return ImportDirective(path: path, range: advance().range)
    }

    // MARK: - Statements

    /// One statement (sometimes two: `S in cell = 2` is a placement and a value).
    private mutating func parseStatement() throws(ParseAbort) -> [Statement] {
        switch current.kind {
        case .identifier(let word):
            if let keyword = Keyword.named(word) { return try parseKeywordStatement(keyword) }
            return try parseNameStatement()
        case .number, .punctuation(.dollar), .punctuation(.arrow), .punctuation(.fatArrow):
            if reactionAhead() { return [.reaction(try parseReaction())] }
            if case .number = current.kind {
                try unsupported("statements starting with a number (algebraic rules '0 = …' and constraints)", at: current.range)
            }
            try fail("unexpected \(current.description) at the start of a statement", at: current.range)
        case .punctuation(.at):
            try unsupported("'@' for events; write 'at (trigger): …'", at: current.range)
        case .punctuation(.dashes):
            try unsupported("DNA strands ('--')", at: current.range)
        default:
            try fail("unexpected \(current.description) at the start of a statement", at: current.range)
        }
    }

    private mutating func parseKeywordStatement(_ keyword: Keyword) throws(ParseAbort) -> [Statement] {
        let range = current.range
        switch keyword {
        case .species, .compartment, .formula, .const, .var, .ext, .substanceOnly:
            return [.declaration(try parseDeclaration())]
        case .at:
            return [.event(try parseEvent(label: nil))]
        case .unit:
            advance()
            _ = try parseNameReference(what: "a unit name after 'unit'")
            // Units do not change the mathematics; the definition is read past, not checked.
            skip(while: { !$0.endsStatement })
            return []
        case .model, .module, .function, .import:
            try fail("'\(keyword.rawValue)' must be outside any model", at: range)
        case .end:
            try fail("'end' without a matching 'model' or 'function'", at: range)
        case .DNA, .gene, .operator:
            try unsupported("DNA strands, genes and operators ('\(keyword.rawValue)')", at: range)
        case .reaction:
            try unsupported("'reaction' declarations; write the reaction itself: 'J1: A -> B; rate'", at: range)
        case .event:
            try unsupported("'event' declarations; write events as 'E1: at (trigger): …'", at: range)
        case .delete:
            try unsupported("submodel deletions ('delete')", at: range)
        case .constraint, .maximize, .minimize:
            try unsupported("flux balance constraints and objectives ('\(keyword.rawValue)')", at: range)
        case .in, .is, .has, .after:
            try fail("unexpected keyword '\(keyword.rawValue)' at the start of a statement", at: range)
        }
    }

    /// `[const|var|ext] [substanceOnly] [species|compartment|formula] name [in c] [= value], …`
    private mutating func parseDeclaration() throws(ParseAbort) -> Declaration {
        let start = current.range
        var constness: Constness?
        if current.isKeyword(.const) || current.isKeyword(.ext) {
            constness = .constant
            advance()
        } else if current.isKeyword(.var) {
            constness = .variable
            advance()
        }
        var substanceOnly = false
        let substanceOnlyToken = current
        if current.isKeyword(.substanceOnly) {
            substanceOnly = true
            advance()
        }
        var kind: DeclaredKind?
        if let word = current.identifier, let declared = DeclaredKind(rawValue: word) {
            kind = declared
            advance()
        }
        if substanceOnly, let kind, kind != .species {
            try fail("'substanceOnly' applies only to species, not to a \(kind.rawValue)", at: substanceOnlyToken.range)
        }
        let what = "a name after '\(tokens[index - 1].range.text)'"
        var names: [DeclaredName] = []
        repeat {
            if current.isPunctuation(.comma) { advance() }
            var declared = DeclaredName(name: try parseNameReference(allowDollar: true, what: what))
            if current.isKeyword(.in) {
                advance()
                declared.compartment = try parseNameReference(what: "a compartment name after 'in'")
            }
            declared.value = try parseValueDefinitionIfPresent()
            if current.isKeyword(.has) {
                advance()
                skip(while: { !$0.endsStatement && !$0.isPunctuation(.comma) })
            }
            names.append(declared)
        } while current.isPunctuation(.comma)
        return Declaration(kind: kind, constness: constness, substanceOnly: substanceOnly,
                           keywordRange: start, names: names)
    }

    /// A statement that starts with a name: a reaction, event, submodel, value, rule,
    /// synonym, display name or placement.
    private mutating func parseNameStatement() throws(ParseAbort) -> [Statement] {
        if reactionAhead() { return [.reaction(try parseReaction())] }
        let name = try parseNameReference(allowDollar: true, what: "a name")
        switch current.kind {
        case .punctuation(.colon):
            advance()
            if current.isKeyword(.at) { return [.event(try parseEvent(label: name))] }
            if current.identifier != nil, peek(1).isPunctuation(.leftParen) {
                return [.submodel(try parseSubmodel(name: name))]
            }
            try fail("expected a reaction ('A -> B; rate'), an event ('at …') or a submodel ('Model()') after '\(name.dotted):'",
                     at: current.range)
        case .punctuation(.equals), .punctuation(.colonEquals), .punctuation(.apostrophe):
            guard let value = try parseValueDefinitionIfPresent() else {
                try fail("expected '=' after \"\(name.dotted)'\" in a rate rule", at: current.range)
            }
            return [.value(name, value)]
        case .identifier("is"):
            advance()
            if case .string(let text) = current.kind {
                advance()
                return [.displayName(name, text)]
            }
            let other = try parseNameReference(what: "a name or a display name in quotes after 'is'")
            return [.synonym(name, other)]
        case .identifier("in"):
            advance()
            let compartment = try parseNameReference(what: "a compartment name after 'in'")
            var statements: [Statement] = [.placement(name, compartment: compartment)]
            if let value = try parseValueDefinitionIfPresent() { statements.append(.value(name, value)) }
            return statements
        case .identifier("has"):
            skip(while: { !$0.endsStatement })
            return []
        case .punctuation(.leftParen):
            try unsupported("submodels without a name; write 'A: \(name.dotted)()'", at: name.range)
        case .punctuation(.less), .punctuation(.lessEqual), .punctuation(.greater), .punctuation(.greaterEqual),
             .punctuation(.equalEqual), .punctuation(.notEqual):
            try unsupported("constraints ('\(name.dotted) \(current.range.text) …')", at: current.range)
        case .identifier(let next):
            if name.parts.count == 1, !name.hasDollar,
               let suggestion = Suggestions.closest(to: name.dotted, among: Self.statementKeywords) {
                try fail("unknown keyword '\(name.dotted)'", at: name.range, hint: "did you mean '\(suggestion)'?")
            }
            try fail("unexpected name '\(next)' after '\(name.dotted)'", at: current.range)
        default:
            if current.endsStatement {
                try fail("expected '=', ':=', 'is', 'in' or a reaction after '\(name.dotted)'", at: name.range)
            }
            try fail("unexpected \(current.description) after '\(name.dotted)'", at: current.range)
        }
    }

    static let statementKeywords = ["species", "compartment", "formula", "const", "var", "substanceOnly",
                                    "unit", "function", "model", "import", "at", "end"]

    /// `= expr`, `:= expr` or `' = expr`, if one comes next.
    private mutating func parseValueDefinitionIfPresent() throws(ParseAbort) -> ValueDefinition? {
        let operatorToken = current
        let kind: ValueKind
        switch current.kind {
        case .punctuation(.equals): kind = .initial
        case .punctuation(.colonEquals): kind = .assignmentRule
        case .punctuation(.apostrophe):
            guard peek(1).isPunctuation(.equals) else { return nil }
            advance()
            kind = .rateRule
        default: return nil
        }
        advance()
        if current.endsStatement {
            try fail("expected a value after '\(tokens[index - 1].range.text)'", at: current.range)
        }
        return ValueDefinition(kind: kind, expression: try parseExpression(), range: operatorToken.range)
    }

    /// `[label:] reactants (-> | =>) products ; [rate]`
    private mutating func parseReaction() throws(ParseAbort) -> ReactionStatement {
        let start = current.range
        var label: NameReference?
        if current.identifier != nil, peek(1).isPunctuation(.colon) {
            label = try parseNameReference(what: "a reaction name")
            advance()
        }
        let reactants = try parseParticipants()
        let isReversible: Bool
        switch current.kind {
        case .punctuation(.arrow): isReversible = true
        case .punctuation(.fatArrow): isReversible = false
        case .punctuation(.inhibitionArrow), .punctuation(.activationArrow):
            try unsupported("interactions ('\(current.range.text)')", at: current.range)
        default:
            try fail("expected '->' or '=>' after the reactants, found \(current.description)", at: current.range)
        }
        advance()
        let products = try parseParticipants()
        guard current.isPunctuation(.semicolon) else {
            try fail("expected ';' and a rate law after the reaction's products, found \(current.description)",
                     at: current.range)
        }
        advance()
        var rate: Expression?
        let rateRange = current.range
        if !current.endsStatement {
            rate = try parseExpression()
            if current.isKeyword(.in) {
                try unsupported("placing a reaction in a compartment ('in' after the rate law)", at: current.range)
            }
        }
        return ReactionStatement(label: label, reactants: reactants, products: products, isReversible: isReversible,
                                 rate: rate, rateRange: rateRange, range: label?.range ?? start)
    }

    /// `2 A + $B + C`, possibly empty.
    private mutating func parseParticipants() throws(ParseAbort) -> [ReactionParticipant] {
        var participants: [ReactionParticipant] = []
        switch current.kind {
        case .punctuation(.arrow), .punctuation(.fatArrow), .punctuation(.semicolon),
             .punctuation(.inhibitionArrow), .punctuation(.activationArrow):
            return participants
        default: break
        }
        while true {
            var stoichiometry = 1.0
            if case .number(let value) = current.kind {
                stoichiometry = value
                advance()
            }
            let name = try parseNameReference(allowDollar: true, what: "a species name")
            participants.append(ReactionParticipant(stoichiometry: stoichiometry, name: name))
            guard current.isPunctuation(.plus) else { return participants }
            advance()
        }
    }

    /// `at [delay after] trigger [, option = value]… : x = value, …`
    private mutating func parseEvent(label: NameReference?) throws(ParseAbort) -> EventStatement {
        let at = advance()
        let first = try parseExpression()
        var event = EventStatement(label: label, trigger: first, assignments: [], range: at.range)
        if current.isKeyword(.after) {
            advance()
            event.delay = first
            event.trigger = try parseExpression()
        }
        while current.isPunctuation(.comma) {
            advance()
            let optionToken = current
            let option = try expectPlainName("an event option (priority, t0, persistent, fromTrigger) after ','")
            guard current.isPunctuation(.equals) else {
                try fail("expected '=' after the event option '\(option)'", at: current.range)
            }
            advance()
            switch option {
            case "priority": event.priority = try parseExpression()
            case "t0": event.initialValue = try parseBooleanOption(option)
            case "persistent": event.persistent = try parseBooleanOption(option)
            case "fromTrigger": event.useValuesFromTriggerTime = try parseBooleanOption(option)
            default:
                let hint = Suggestions.didYouMean(option, among: ["priority", "t0", "persistent", "fromTrigger"])
                try fail("unknown event option '\(option)'; expected priority, t0, persistent or fromTrigger",
                         at: optionToken.range, hint: hint)
            }
        }
        guard current.isPunctuation(.colon) else {
            try fail("expected ':' after the event trigger, then assignments like 'S = 0', found \(current.description)",
                     at: current.range)
        }
        advance()
        skipNewlines()
        while true {
            let target = try parseNameReference(what: "an assignment like 'S = 0' in the event")
            guard current.isPunctuation(.equals) else {
                try fail("expected '=' after '\(target.dotted)' in the event's assignments, found \(current.description)",
                         at: current.range)
            }
            advance()
            event.assignments.append(EventAssignmentStatement(target: target, value: try parseExpression()))
            guard current.isPunctuation(.comma) || current.isPunctuation(.colon) else { break }
            advance()
            skipNewlines()
        }
        return event
    }

    private mutating func parseBooleanOption(_ option: String) throws(ParseAbort) -> Bool {
        switch current.identifier {
        case "true":
            advance()
            return true
        case "false":
            advance()
            return false
        default:
            try fail("expected 'true' or 'false' after '\(option) =', found \(current.description)", at: current.range)
        }
    }

    /// `A: Model(arguments)`; the label has been read.
    private mutating func parseSubmodel(name: NameReference) throws(ParseAbort) -> SubmodelStatement {
        guard name.parts.count == 1, !name.hasDollar else {
            try fail("a submodel name must be a plain name, not '\(name.range.text)'", at: name.range)
        }
        let modelToken = advance()
        let open = advance()
        var arguments: [SubmodelArgument] = []
        if !current.isPunctuation(.rightParen) {
            repeat {
                if current.isPunctuation(.comma) { advance() }
                if case .number(let value) = current.kind {
                    arguments.append(.number(value, advance().range))
                } else {
                    arguments.append(.name(try parseNameReference(what: "a name or a number as argument of '\(modelToken.range.text)'")))
                }
            } while current.isPunctuation(.comma)
        }
        try expectClosing(open, what: "the arguments of '\(modelToken.range.text)'")
        if current.isPunctuation(.comma) {
            try unsupported("submodel conversion factors ('timeconv', 'extentconv')", at: current.range)
        }
        if current.isKeyword(.in) {
            try unsupported("placing a submodel in a compartment", at: current.range)
        }
        return SubmodelStatement(name: name, modelName: modelToken.identifier ?? "", modelNameRange: modelToken.range,
                                 arguments: arguments)
    }

    // MARK: - Names

    /// `x`, `A.x`, and with `allowDollar` also `$x`.
    mutating func parseNameReference(allowDollar: Bool = false, what: String) throws(ParseAbort) -> NameReference {
        let start = current.range
        var hasDollar = false
        if allowDollar, current.isPunctuation(.dollar) {
            advance()
            hasDollar = true
        }
        var parts = [try expectPlainName(what)]
        var end = tokens[index - 1].range
        while current.isPunctuation(.dot), peek(1).identifier != nil {
            advance()
            parts.append(try expectPlainName("a name after '.'"))
            end = tokens[index - 1].range
        }
        return NameReference(parts: parts, range: start.union(end), hasDollar: hasDollar)
    }

    /// An identifier that is not a keyword.
    mutating func expectPlainName(_ what: String) throws(ParseAbort) -> String {
        guard let name = current.identifier, Keyword.named(name) == nil else {
            try fail("expected \(what), found \(current.description)", at: current.range)
        }
        advance()
        return name
    }

    // MARK: - Token helpers

    var current: Token { tokens[index] }

    func peek(_ offset: Int) -> Token { tokens[min(index + offset, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    mutating func skip(while predicate: (Token) -> Bool) {
        while current.kind != .endOfFile, predicate(current) { advance() }
    }

    mutating func skipNewlines() { skip(while: { $0.kind == .newline }) }

    private mutating func skipStatementEnds() { skip(while: { $0.endsStatement }) }

    /// True if an arrow comes before the end of the statement, so it is a reaction.
    private func reactionAhead() -> Bool {
        var i = index
        while i < tokens.count, !tokens[i].endsStatement {
            switch tokens[i].kind {
            case .punctuation(.arrow), .punctuation(.fatArrow), .punctuation(.inhibitionArrow),
                 .punctuation(.activationArrow):
                return true
            default: i += 1
            }
        }
        return false
    }

    private mutating func expectStatementEnd() throws(ParseAbort) {
        guard current.endsStatement else {
            try fail("unexpected \(current.description); expected a new line or ';' to end the statement", at: current.range)
        }
        if current.kind != .endOfFile { advance() }
    }

    /// Expects the `)` matching `open`.
    mutating func expectClosing(_ open: Token, what: String) throws(ParseAbort) {
        if parenthesisDepth > 0 { skipNewlines() }
        guard current.isPunctuation(.rightParen) else {
            try failMissing("expected ')' to close '(' opened at \(open.range.startLocation) (\(what))")
        }
        advance()
    }

    /// Skips the rest of a statement after an error, including its terminator.
    private mutating func recoverToStatementEnd() {
        parenthesisDepth = 0
        nesting = 0
        skip(while: { !$0.endsStatement })
        if current.kind != .endOfFile { advance() }
    }

    // MARK: - Errors

    mutating func fail(_ message: String, at range: SourceRange, hint: String? = nil) throws(ParseAbort) -> Never {
        sink.error(message, at: range, hint: hint)
        throw ParseAbort()
    }

    mutating func unsupported(_ what: String, at range: SourceRange) throws(ParseAbort) -> Never {
        try fail("unsupported: \(what)", at: range)
    }
}
