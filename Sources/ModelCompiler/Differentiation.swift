extension Symbolic {
    /// The derivative with respect to one variable, by the chain rule.
    ///
    /// `slotDerivative(s)` gives ∂(slot s)/∂variable: 1 for the variable itself, a slot
    /// holding an already-derived derivative for intermediate values, 0 otherwise. Going
    /// through slots (instead of inlining assignment rules) keeps the Jacobian linear in
    /// the size of the model.
    public func derivative(_ slotDerivative: (Int) -> Symbolic) -> Symbolic {
        switch self {
        case .constant: return .zero
        case .slot(let s): return slotDerivative(s)
        case .select(let c, let a, let b):
            // Piecewise is differentiated branch by branch; the condition's own
            // derivative is zero almost everywhere.
            return .select(c, then: a.derivative(slotDerivative), else: b.derivative(slotDerivative))
        case .unary(let f, let a):
            let da = a.derivative(slotDerivative)
            if da == .zero { return .zero }
            return Self.unaryDerivative(f, a) * da
        case .binary(let f, let a, let b):
            let da = a.derivative(slotDerivative)
            let db = b.derivative(slotDerivative)
            if da == .zero && db == .zero { return .zero }
            switch f {
            case .add: return da + db
            case .subtract: return da - db
            case .multiply: return da * b + a * db
            case .divide:
                // (a/b)' = a'/b − a·b'/b²
                if db == .zero { return da / b }
                return da / b - (a * db) / (b * b)
            case .power:
                if let n = b.constantValue {
                    // d(a^n) = n·a^(n−1)·a'
                    return .constant(n) * .make(.power, a, .constant(n - 1)) * da
                }
                // d(a^b) = a^b·(b'·ln a + b·a'/a)
                let lnTerm = db == .zero ? Symbolic.zero : db * .make(.ln, a)
                let powTerm = da == .zero ? Symbolic.zero : b * da / a
                return self * (lnTerm + powTerm)
            case .min:
                return .select(.make(.lessEqual, a, b), then: da, else: db)
            case .max:
                return .select(.make(.greaterEqual, a, b), then: da, else: db)
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual, .and, .or, .xor:
                // Step functions: zero derivative wherever defined.
                return .zero
            }
        }
    }

    /// f'(a) for a unary function f.
    private static func unaryDerivative(_ f: UnaryFunction, _ a: Symbolic) -> Symbolic {
        switch f {
        case .negate: return .constant(-1)
        case .not, .floor, .ceil, .factorial: return .zero
        case .exp: return .make(.exp, a)
        case .ln: return .one / a
        case .log10: return .one / (a * .constant(2.302585092994046))
        case .log2: return .one / (a * .constant(0.6931471805599453))
        case .sqrt: return .constant(0.5) / .make(.sqrt, a)
        case .abs: return .select(.make(.greaterEqual, a, .zero), then: .one, else: .constant(-1))
        case .sin: return .make(.cos, a)
        case .cos: return -.make(.sin, a)
        case .tan:
            let c = Symbolic.make(.cos, a)
            return .one / (c * c)
        case .asin: return .one / .make(.sqrt, .one - a * a)
        case .acos: return -(.one / .make(.sqrt, .one - a * a))
        case .atan: return .one / (.one + a * a)
        case .sinh: return .make(.cosh, a)
        case .cosh: return .make(.sinh, a)
        case .tanh:
            let t = Symbolic.make(.tanh, a)
            return .one - t * t
        case .asinh: return .one / .make(.sqrt, a * a + .one)
        case .acosh: return .one / .make(.sqrt, a * a - .one)
        case .atanh: return .one / (.one - a * a)
        case .sec: return .make(.sec, a) * .make(.tan, a)
        case .csc: return -(.make(.csc, a) * .make(.cot, a))
        case .cot:
            let s = Symbolic.make(.csc, a)
            return -(s * s)
        }
    }
}
