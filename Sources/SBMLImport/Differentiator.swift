import SourceDiagnostics
import PathwayModel

/// Partial derivatives of pathway expressions (after user functions are inlined), for
/// rewriting fast reactions. Only what rate laws use is differentiated; anything else
/// is refused rather than differentiated wrongly. The results are not simplified here:
/// the model compiler folds constants when it builds its own expressions.
enum Differentiator {
    /// ∂e/∂name, or ∂e/∂time with `time: true` (`name` is then ignored).
    static func derivative(_ e: Expression, _ name: String = "", time: Bool = false,
                           at range: SourceRange?) throws(FastReactions.Refusal) -> Expression {
        func d(_ x: Expression) throws(FastReactions.Refusal) -> Expression {
            try derivative(x, name, time: time, at: range)
        }
        func refuse(_ what: String) -> FastReactions.Refusal {
            FastReactions.Refusal(feature: "a fast reaction whose rate law uses \(what) (it is not differentiated)", range: range)
        }
        switch e {
        case .number: return .number(0)
        case .time: return .number(time ? 1 : 0)
        case .symbol(let s, _): return .number(!time && s == name ? 1 : 0)
        case .unary(.negate, let a): return .unary(.negate, try d(a))
        case .unary(.not, _): return .number(0)
        case .binary(let op, let a, let b):
            switch op {
            case .add, .subtract: return .binary(op, try d(a), try d(b))
            case .multiply: return .binary(.add, .binary(.multiply, try d(a), b), .binary(.multiply, a, try d(b)))
            case .divide:
                // (a′b − ab′)/b²
                return .binary(.divide, .binary(.subtract, .binary(.multiply, try d(a), b), .binary(.multiply, a, try d(b))),
                               .binary(.multiply, b, b))
            case .power:
                let db = try d(b)
                if case .number(0) = db {
                    // b·a^(b−1)·a′
                    return .binary(.multiply, .binary(.multiply, b, .binary(.power, a, .binary(.subtract, b, .number(1)))), try d(a))
                }
                // a^b·(b′·ln a + b·a′/a)
                return .binary(.multiply, e, .binary(.add, .binary(.multiply, db, .call("ln", [a], nil)),
                                                      .binary(.divide, .binary(.multiply, b, try d(a)), a)))
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual, .and, .or:
                return .number(0)
            }
        case .call(let f, let args, let r):
            if f == "piecewise" {
                // Values differentiate, conditions stay: piecewise(v1′, c1, v2′, c2, …, otherwise′).
                var out: [Expression] = []
                for (i, a) in args.enumerated() { out.append(i % 2 == 0 ? try d(a) : a) }
                return .call("piecewise", out, r)
            }
            guard args.count == 1 else { throw refuse("'\(f)'") }
            let x = args[0], dx = try d(x)
            let outer: Expression
            switch f {
            case "exp": outer = e
            case "ln", "log": outer = .binary(.divide, .number(1), x)
            case "log10": outer = .binary(.divide, .number(1), .binary(.multiply, x, .number(2.302585092994046)))
            case "log2": outer = .binary(.divide, .number(1), .binary(.multiply, x, .number(0.6931471805599453)))
            case "sqrt": outer = .binary(.divide, .number(0.5), e)
            case "sin": outer = .call("cos", [x], r)
            case "cos": outer = .unary(.negate, .call("sin", [x], r))
            case "sinh": outer = .call("cosh", [x], r)
            case "cosh": outer = .call("sinh", [x], r)
            case "tanh": outer = .binary(.subtract, .number(1), .binary(.multiply, e, e))
            case "tan": outer = .binary(.add, .number(1), .binary(.multiply, e, e))
            default: throw refuse("'\(f)'")
            }
            return .binary(.multiply, outer, dx)
        }
    }
}
