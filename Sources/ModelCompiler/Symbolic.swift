/// The compiler's expression language: names resolved to memory slots, built-ins
/// resolved to operations, user functions inlined. Built only through the simplifying
/// constructors below, so trees stay small when the Jacobian is derived from them.
public indirect enum Symbolic: Hashable, Sendable {
    case constant(Double)
    /// A memory slot: time, a parameter, a state, an assigned value or a partial derivative.
    case slot(Int)
    case unary(UnaryFunction, Symbolic)
    case binary(BinaryFunction, Symbolic, Symbolic)
    /// `condition ≠ 0 ? then : else` (piecewise).
    case select(Symbolic, Symbolic, Symbolic)

    public enum UnaryFunction: String, Sendable, Hashable, CaseIterable {
        case negate, not, exp, ln, log10, log2, sqrt, abs, floor, ceil
        case sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh
        case sec, csc, cot, factorial
    }

    public enum BinaryFunction: String, Sendable, Hashable, CaseIterable {
        case add, subtract, multiply, divide, power, min, max
        case less, lessEqual, greater, greaterEqual, equal, notEqual, and, or, xor
        public var isComparison: Bool {
            switch self {
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: true
            default: false
            }
        }
    }

    public var constantValue: Double? {
        if case .constant(let v) = self { return v }
        return nil
    }
}

// MARK: - Simplifying constructors

extension Symbolic {
    static let zero = Symbolic.constant(0)
    static let one = Symbolic.constant(1)

    public static func + (a: Symbolic, b: Symbolic) -> Symbolic { make(.add, a, b) }
    public static func - (a: Symbolic, b: Symbolic) -> Symbolic { make(.subtract, a, b) }
    public static func * (a: Symbolic, b: Symbolic) -> Symbolic { make(.multiply, a, b) }
    public static func / (a: Symbolic, b: Symbolic) -> Symbolic { make(.divide, a, b) }
    public static prefix func - (a: Symbolic) -> Symbolic { make(.negate, a) }

    /// Applies `f`, folding constants and dropping identities (x+0, x·1, x·0, x^1, …).
    /// `x·0 → 0` is applied even though it is wrong for x = ∞ or NaN: the Jacobian's
    /// structural zeros must stay zero, as every symbolic ODE tool assumes.
    public static func make(_ f: UnaryFunction, _ a: Symbolic) -> Symbolic {
        if let v = a.constantValue { return .constant(Evaluation.apply(f, v)) }
        if f == .negate, case .unary(.negate, let inner) = a { return inner }
        return .unary(f, a)
    }

    public static func make(_ f: BinaryFunction, _ a: Symbolic, _ b: Symbolic) -> Symbolic {
        if let x = a.constantValue, let y = b.constantValue { return .constant(Evaluation.apply(f, x, y)) }
        let x = a.constantValue, y = b.constantValue
        switch f {
        case .add:
            if x == 0 { return b }
            if y == 0 { return a }
            if case .unary(.negate, let nb) = b { return make(.subtract, a, nb) }
        case .subtract:
            if y == 0 { return a }
            if x == 0 { return make(.negate, b) }
            if a == b { return .zero }
            if case .unary(.negate, let nb) = b { return make(.add, a, nb) }
        case .multiply:
            if x == 0 || y == 0 { return .zero }
            if x == 1 { return b }
            if y == 1 { return a }
            if x == -1 { return make(.negate, b) }
            if y == -1 { return make(.negate, a) }
        case .divide:
            if x == 0 { return .zero }
            if y == 1 { return a }
            if let y, y != 0, y.isFinite, (1 / y) * y == 1 { return make(.multiply, a, .constant(1 / y)) }
        case .power:
            if y == 0 { return .one }
            if y == 1 { return a }
            if x == 1 { return .one }
        default: break
        }
        return .binary(f, a, b)
    }

    public static func select(_ c: Symbolic, then a: Symbolic, else b: Symbolic) -> Symbolic {
        if let v = c.constantValue { return v != 0 ? a : b }
        if a == b { return a }
        return .select(c, a, b)
    }

    /// Slots read by the expression.
    public var slots: Set<Int> {
        var out = Set<Int>()
        visitSlots { out.insert($0) }
        return out
    }

    public func visitSlots(_ body: (Int) -> Void) {
        switch self {
        case .constant: break
        case .slot(let s): body(s)
        case .unary(_, let a): a.visitSlots(body)
        case .binary(_, let a, let b):
            a.visitSlots(body)
            b.visitSlots(body)
        case .select(let c, let a, let b):
            c.visitSlots(body)
            a.visitSlots(body)
            b.visitSlots(body)
        }
    }

    /// Number of nodes (for limits and statistics).
    public var size: Int {
        switch self {
        case .constant, .slot: 1
        case .unary(_, let a): 1 + a.size
        case .binary(_, let a, let b): 1 + a.size + b.size
        case .select(let c, let a, let b): 1 + c.size + a.size + b.size
        }
    }
}
