import SourceDiagnostics
import PathwayModel

/// Content MathML (the subset SBML Levels 2 and 3 allow) to `Expression`.
///
/// Operators the engine has no instruction for are rewritten into ones it has
/// (`sech x` → `1/cosh x`, `log_b x` → `ln x / ln b`, `rem` → `a − b·trunc(a/b)`);
/// `delay` and `rateOf` become calls the compiler knows.
struct MathMLReader {
    static let avogadro = 6.02214179e23
    static let timeURL = "http://www.sbml.org/sbml/symbols/time"
    static let delayURL = "http://www.sbml.org/sbml/symbols/delay"
    static let avogadroURL = "http://www.sbml.org/sbml/symbols/avogadro"
    static let rateOfURL = "http://www.sbml.org/sbml/symbols/rateOf"

    struct Failure: Error {
        let diagnostic: Diagnostic
    }

    /// Deepest element nesting in one `<math>`: the same bound as the Antimony parser's,
    /// so that every later pass can walk the expression recursively.
    static let maximumNesting = 200
    /// Most elements in one `<math>`: an n-ary `<plus/>` becomes a chain as deep as its
    /// operand count (the Antimony parser allows 1000 operators).
    static let maximumElements = 2000

    /// The expression in a `<math>` element (its single child).
    static func read(math: XMLElement) throws(Failure) -> Expression? {
        try checkSize(math)
        let content = math.children.filter { $0.name != "annotation" && $0.name != "annotation-xml" }
        guard let first = content.first else { return nil }
        return try expression(first)
    }

    /// Refuses a `<math>` too deep or too large before converting it (the conversion
    /// recurses, and would overflow the stack on a deep enough document).
    static func checkSize(_ math: XMLElement) throws(Failure) {
        var stack: [(XMLElement, Int)] = [(math, 0)]
        var count = 0
        while let (e, depth) = stack.popLast() {
            guard e.name != "annotation" && e.name != "annotation-xml" else { continue }
            count += 1
            if depth > maximumNesting {
                throw Failure(diagnostic: .error("MathML nested deeper than \(maximumNesting) levels", at: e.range,
                                                 hint: "split the formula with assignment rules"))
            }
            if count > maximumElements {
                throw Failure(diagnostic: .error("MathML expression with more than \(maximumElements) elements", at: math.range,
                                                 hint: "split the formula with assignment rules"))
            }
            for c in e.children.reversed() { stack.append((c, depth + 1)) }  // first child first
        }
    }

    static func unsupported(_ feature: String, _ e: XMLElement) -> Failure {
        Failure(diagnostic: SBMLConverter.unsupportedDiagnostic(feature, at: e.range))
    }

    static func invalid(_ message: String, _ e: XMLElement) -> Failure {
        Failure(diagnostic: .error("invalid MathML: " + message, at: e.range))
    }

    static func trimmed(_ s: String) -> String {
        var scalars = Substring(s)
        while let f = scalars.first, f.isWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    static func number(_ text: String, _ e: XMLElement) throws(Failure) -> Double {
        let t = trimmed(text)
        switch t.lowercased() {
        case "inf", "infinity", "+inf": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "notanumber": return .nan
        default: break
        }
        guard let v = Double(t) else { throw invalid("'\(t)' is not a number", e) }
        return v
    }

    static func expression(_ e: XMLElement) throws(Failure) -> Expression {
        switch e.name {
        case "cn":
            let type = e.attribute("type") ?? "real"
            switch type {
            case "e-notation", "rational":
                guard e.children.count == 1, e.children[0].name == "sep" else { throw invalid("<cn type=\"\(type)\"> needs one <sep/>", e) }
                let a = try number(e.textParts[0], e), b = try number(e.textParts[1], e)
                if type == "rational" { return .number(a / b) }
                return .number(Double("\(trimmed(e.textParts[0]))e\(trimmed(e.textParts[1]))") ?? a * pow10(b))
            case "real", "integer", "double":
                return .number(try number(e.text, e))
            default:
                throw unsupported("<cn type=\"\(type)\">", e)
            }
        case "ci":
            return .symbol(trimmed(e.text), e.textRange ?? e.range)
        case "csymbol":
            let url = trimmed(e.attribute("definitionURL") ?? "")
            switch url {
            case timeURL: return .time
            case avogadroURL: return .number(avogadro)
            case delayURL: throw invalid("delay must be applied to a value and a time interval", e)
            case rateOfURL: throw invalid("rateOf must be applied to an argument", e)
            default: throw unsupported("csymbol '\(url)'", e)
            }
        case "true": return .number(1)
        case "false": return .number(0)
        case "pi": return .number(Double.pi)
        case "exponentiale": return .number(2.718281828459045)
        case "infinity": return .number(.infinity)
        case "notanumber": return .number(.nan)
        case "semantics":
            guard let first = e.children.first(where: { $0.name != "annotation" && $0.name != "annotation-xml" }) else {
                throw invalid("empty <semantics>", e)
            }
            return try expression(first)
        case "piecewise":
            var args: [Expression] = []
            var otherwise: Expression?
            for c in e.children {
                switch c.name {
                case "piece":
                    guard c.children.count == 2 else { throw invalid("<piece> needs a value and a condition", c) }
                    args.append(try expression(c.children[0]))
                    args.append(try expression(c.children[1]))
                case "otherwise":
                    guard c.children.count == 1 else { throw invalid("<otherwise> needs one value", c) }
                    otherwise = try expression(c.children[0])
                default: throw invalid("unexpected <\(c.name)> in <piecewise>", c)
                }
            }
            // No piece applies and no otherwise: undefined (NaN).
            args.append(otherwise ?? .number(.nan))
            return .call("piecewise", args, e.range)
        case "apply":
            return try apply(e)
        case "lambda":
            throw invalid("<lambda> outside a function definition", e)
        default:
            throw unsupported("MathML element <\(e.name)>", e)
        }
    }

    static func pow10(_ b: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(abs(b)) { r *= 10 }
        return b < 0 ? 1 / r : r
    }

    static func call(_ name: String, _ args: Expression..., range: SourceRange? = nil) -> Expression {
        .call(name, args, range)
    }

    static func apply(_ e: XMLElement) throws(Failure) -> Expression {
        guard let head = e.children.first else { throw invalid("empty <apply>", e) }
        var qualifiers: [String: XMLElement] = [:]
        var operandElements: [XMLElement] = []
        for c in e.children.dropFirst() {
            if c.name == "degree" || c.name == "logbase" || c.name == "bvar" { qualifiers[c.name] = c } else { operandElements.append(c) }
        }
        var args: [Expression] = []
        for o in operandElements { args.append(try expression(o)) }
        let r = head.range
        func need(_ n: Int) throws(Failure) {
            guard args.count == n else { throw invalid("<\(head.name)> takes \(n) argument\(n == 1 ? "" : "s"), got \(args.count)", head) }
        }
        func one() throws(Failure) -> Expression { try need(1); return args[0] }
        func reciprocal(_ x: Expression) -> Expression { .binary(.divide, .number(1), x) }
        func chain(_ op: Expression.BinaryOperator) throws(Failure) -> Expression {
            guard args.count >= 2 else {
                if args.count == 1 { return .number(1) }
                throw invalid("<\(head.name)> needs arguments", head)
            }
            var terms: [Expression] = []
            for i in 0..<(args.count - 1) { terms.append(.binary(op, args[i], args[i + 1])) }
            return terms.count == 1 ? terms[0] : .call("and", terms, r)
        }
        func trunc(_ x: Expression) -> Expression {
            .call("piecewise", [call("floor", x), .binary(.greaterEqual, x, .number(0)), call("ceil", x)], nil)
        }
        switch head.name {
        case "ci":
            return .call(trimmed(head.text), args, r)
        case "csymbol":
            let url = trimmed(head.attribute("definitionURL") ?? "")
            switch url {
            case rateOfURL: return .call("rateOf", [try one()], r)
            case delayURL:
                try need(2)
                return .call("delay", args, r)
            default: throw unsupported("csymbol '\(url)' applied as a function", head)
            }
        case "plus":
            if args.isEmpty { return .number(0) }
            return args.dropFirst().reduce(args[0]) { .binary(.add, $0, $1) }
        case "times":
            if args.isEmpty { return .number(1) }
            return args.dropFirst().reduce(args[0]) { .binary(.multiply, $0, $1) }
        case "minus":
            if args.count == 1 { return .unary(.negate, args[0]) }
            try need(2)
            return .binary(.subtract, args[0], args[1])
        case "divide":
            try need(2)
            return .binary(.divide, args[0], args[1])
        case "power":
            try need(2)
            return .binary(.power, args[0], args[1])
        case "root":
            let x = try one()
            if let degree = qualifiers["degree"], let d = degree.children.first {
                let n = try expression(d)
                if case .number(2) = n { return call("sqrt", x, range: r) }
                return .binary(.power, x, .binary(.divide, .number(1), n))
            }
            return call("sqrt", x, range: r)
        case "log":
            let x = try one()
            if let base = qualifiers["logbase"], let b = base.children.first {
                let n = try expression(b)
                if case .number(10) = n { return call("log10", x, range: r) }
                return .binary(.divide, call("ln", x), call("ln", n))
            }
            return call("log10", x, range: r)
        case "abs", "exp", "ln", "floor", "factorial", "sin", "cos", "tan", "sec", "csc", "cot",
             "sinh", "cosh", "tanh", "not":
            return .call(head.name, [try one()], r)
        case "ceiling": return call("ceil", try one(), range: r)
        case "arcsin": return call("asin", try one(), range: r)
        case "arccos": return call("acos", try one(), range: r)
        case "arctan": return call("atan", try one(), range: r)
        case "arcsinh": return call("asinh", try one(), range: r)
        case "arccosh": return call("acosh", try one(), range: r)
        case "arctanh": return call("atanh", try one(), range: r)
        case "sech": return reciprocal(call("cosh", try one()))
        case "csch": return reciprocal(call("sinh", try one()))
        case "coth": return reciprocal(call("tanh", try one()))
        case "arcsec": return call("acos", reciprocal(try one()))
        case "arccsc": return call("asin", reciprocal(try one()))
        case "arccot": return call("atan", reciprocal(try one()))
        case "arcsech": return call("acosh", reciprocal(try one()))
        case "arccsch": return call("asinh", reciprocal(try one()))
        case "arccoth": return call("atanh", reciprocal(try one()))
        case "eq": return try chain(.equal)
        case "neq":
            try need(2)
            return .binary(.notEqual, args[0], args[1])
        case "gt": return try chain(.greater)
        case "lt": return try chain(.less)
        case "geq": return try chain(.greaterEqual)
        case "leq": return try chain(.lessEqual)
        case "and", "or", "xor":
            return .call(head.name, args, r)
        case "max", "min":
            guard !args.isEmpty else { throw invalid("<\(head.name)> needs arguments", head) }
            return .call(head.name, args, r)
        case "implies":
            try need(2)
            return .call("or", [call("not", args[0]), args[1]], r)
        case "rem":
            try need(2)
            return .binary(.subtract, args[0], .binary(.multiply, args[1], trunc(.binary(.divide, args[0], args[1]))))
        case "quotient":
            try need(2)
            return trunc(.binary(.divide, args[0], args[1]))
        default:
            if let hint = Suggestions.didYouMean(head.name, among: operatorNames) {
                throw Failure(diagnostic: .error("unknown MathML operator <\(head.name)>", at: head.range, hint: hint))
            }
            throw unsupported("MathML operator <\(head.name)>", head)
        }
    }

    /// The operators `apply` reads, for "did you mean" hints on misspelt ones.
    static let operatorNames = [
        "plus", "times", "minus", "divide", "power", "root", "log", "abs", "exp", "ln", "floor", "ceiling", "factorial",
        "sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "sech", "csch", "coth",
        "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arcsec", "arccsc", "arccot", "arcsech", "arccsch", "arccoth",
        "eq", "neq", "gt", "lt", "geq", "leq", "and", "or", "xor", "not", "max", "min", "implies", "rem", "quotient",
    ]

    /// `<lambda><bvar><ci>x</ci></bvar>… body</lambda>` → parameter names and body.
    static func lambda(_ e: XMLElement) throws(Failure) -> (parameters: [String], body: Expression) {
        try checkSize(e)
        var node = e
        if node.name == "semantics", let first = node.children.first { node = first }
        guard node.name == "lambda" else { throw invalid("a function definition needs a <lambda>", node) }
        var parameters: [String] = []
        var body: Expression?
        for c in node.children {
            if c.name == "bvar" {
                guard let ci = c.child("ci") else { throw invalid("<bvar> without <ci>", c) }
                parameters.append(trimmed(ci.text))
            } else if c.name != "annotation" {
                body = try expression(c)
            }
        }
        // A lambda without a body is allowed in L3v2 (NoMathML-like); it is undefined.
        return (parameters, body ?? .number(.nan))
    }
}
