public import SourceDiagnostics

/// A mathematical expression as written in a pathway file: rate laws, initial values,
/// rules, event triggers and assignments.
///
/// Names are kept as strings here; the model compiler resolves them. Leaves that can be
/// wrong (a name, a call) carry their source range so errors point at them.
public indirect enum Expression: Sendable, Hashable {
    case number(Double)
    /// Any identifier: species, parameter, compartment, reaction, function argument.
    /// `time` is its own case; `true`, `false`, `pi`, `exponentiale`, `INF`, `NaN` are
    /// resolved by the compiler like any other built-in name.
    case symbol(String, SourceRange?)
    case time
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    /// A call of a built-in (`exp`, `piecewise`, `min`, …) or a user function.
    case call(String, [Expression], SourceRange?)

    public enum UnaryOperator: String, Sendable, Hashable {
        case negate = "-"
        case not = "!"
    }

    public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
        case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
        case equal = "==", notEqual = "!="
        case and = "&&", or = "||"

        public var isComparison: Bool {
            switch self {
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: true
            default: false
            }
        }
        public var isLogical: Bool { self == .and || self == .or }
    }

    /// Every identifier the expression mentions (not `time`, not function names).
    public var symbols: Set<String> {
        var out = Set<String>()
        collectSymbols(into: &out)
        return out
    }

    private func collectSymbols(into out: inout Set<String>) {
        switch self {
        case .number, .time: break
        case .symbol(let name, _): out.insert(name)
        case .unary(_, let e): e.collectSymbols(into: &out)
        case .binary(_, let a, let b):
            a.collectSymbols(into: &out)
            b.collectSymbols(into: &out)
        case .call(_, let args, _): for a in args { a.collectSymbols(into: &out) }
        }
    }

    /// The first source range found in the tree, for diagnostics about a whole expression.
    public var anyRange: SourceRange? {
        switch self {
        case .number, .time: return nil
        case .symbol(_, let r): return r
        case .unary(_, let e): return e.anyRange
        case .binary(_, let a, let b): return a.anyRange ?? b.anyRange
        case .call(_, let args, let r): return r ?? args.lazy.compactMap(\.anyRange).first
        }
    }

    /// Replaces names by expressions (used to inline user functions).
    public func substituting(_ map: [String: Expression]) -> Expression {
        switch self {
        case .number, .time: return self
        case .symbol(let name, _): return map[name] ?? self
        case .unary(let op, let e): return .unary(op, e.substituting(map))
        case .binary(let op, let a, let b): return .binary(op, a.substituting(map), b.substituting(map))
        case .call(let f, let args, let r): return .call(f, args.map { $0.substituting(map) }, r)
        }
    }
}

extension Expression: CustomStringConvertible {
    /// Infix text with the fewest parentheses that keep the meaning.
    public var description: String { render(parentPrecedence: 0) }

    private var precedence: Int {
        switch self {
        case .number(let v): return v < 0 ? 6 : 10
        case .symbol, .time, .call: return 10
        case .unary: return 7
        case .binary(let op, _, _):
            switch op {
            case .or: return 1
            case .and: return 2
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return 3
            case .add, .subtract: return 4
            case .multiply, .divide: return 5
            case .power: return 8
            }
        }
    }

    private func render(parentPrecedence: Int) -> String {
        let text: String
        switch self {
        case .number(let v): text = formatNumber(v)
        case .symbol(let name, _): text = name
        case .time: text = "time"
        case .unary(let op, let e): text = op.rawValue + e.render(parentPrecedence: 7)
        case .binary(let op, let a, let b):
            let p = precedence
            // Left-associative operators need parentheses on an equal-precedence right side;
            // power is right-associative, so the reverse.
            let leftP = op == .power ? p + 1 : p
            let rightP = op == .power ? p : p + 1
            let spaced = op != .power && op != .multiply && op != .divide
            let sep = spaced ? " \(op.rawValue) " : op.rawValue
            text = a.render(parentPrecedence: leftP) + sep + b.render(parentPrecedence: rightP)
        case .call(let f, let args, _):
            text = f + "(" + args.map { $0.render(parentPrecedence: 0) }.joined(separator: ", ") + ")"
        }
        return precedence < parentPrecedence ? "(\(text))" : text
    }
}

/// Shortest text that reads back as the same Double ("1", "0.5", "1e-09").
public func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "INF" : "-INF" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}
