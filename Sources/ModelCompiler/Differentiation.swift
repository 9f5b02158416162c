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

/// Partial derivatives of assigned values (rules, reaction rates, concentrations) with
/// respect to a set of independent slots (states for the Jacobian; states, parameters
/// and time for sensitivities), by the chain rule through earlier assigned values.
///
/// Each non-trivial partial gets its own slot (computed by an intermediate expression);
/// trivial ones (constants, single slots) are substituted directly, which keeps the
/// derivative programs linear in the size of the model.
///
/// Everything is indexed by slot in arrays, not dictionaries: differentiating an
/// 11,000-species model looks a slot up about ten million times.
struct ChainRule {
    /// Independent index of each slot, or -1.
    private var independentBySlot: [Int32] = []
    /// Per assigned-value slot: the independents it depends on, directly or through
    /// others, ascending (nil for slots that are not assigned values). Sorted arrays, not
    /// sets: a value depends on a few states, and merging short arrays is cheaper than
    /// hashing every element.
    private var dependencyLists: [[Int]?] = []
    /// Per assigned-value slot: its non-zero partials, by increasing independent index.
    private var partials: [[(independent: Int, derivative: Symbolic)]] = []
    /// Expressions for the partials that have slots of their own, in evaluation order.
    private(set) var intermediates: [(slot: Int, expression: Symbolic)] = []

    /// `newSlot(value, j)` allocates the slot for ∂(value)/∂(independent j).
    init(order: [AssignedValue], independentOfSlot: [Int: Int], newSlot: (AssignedValue, Int) -> Int) {
        let highest = max(independentOfSlot.keys.max() ?? 0, order.map(\.slot).max() ?? 0)
        independentBySlot = [Int32](repeating: -1, count: highest + 1)
        for (slot, j) in independentOfSlot { independentBySlot[slot] = Int32(j) }
        dependencyLists = Array(repeating: nil, count: highest + 1)
        partials = Array(repeating: [], count: highest + 1)
        for v in order { dependencyLists[v.slot] = dependencies(of: v.expression) }
        for v in order {
            for j in dependencyLists[v.slot] ?? [] {
                let d = derivative(of: v.expression, withRespectTo: j)
                if d == .zero { continue }
                switch d {
                case .constant, .slot: partials[v.slot].append((j, d))
                default:
                    let slot = newSlot(v, j)
                    intermediates.append((slot, d))
                    partials[v.slot].append((j, .slot(slot)))
                }
            }
        }
    }

    /// The independents the assigned value in `slot` depends on, directly or through
    /// others, ascending.
    func dependencies(ofValueIn slot: Int) -> [Int] {
        slot < dependencyLists.count ? dependencyLists[slot] ?? [] : []
    }

    /// ∂(assigned value in `slot`)/∂(independent j), if not zero.
    func partial(ofValueIn slot: Int, withRespectTo j: Int) -> Symbolic? {
        guard slot < partials.count else { return nil }
        let list = partials[slot]
        // By increasing independent: a binary search.
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].independent < j { low = mid + 1 } else { high = mid }
        }
        return low < list.count && list[low].independent == j ? list[low].derivative : nil
    }

    /// Independents `e` depends on, directly or through assigned values, ascending.
    func dependencies(of e: Symbolic) -> [Int] {
        var out: [Int] = []
        e.visitSlots { s in
            guard s < independentBySlot.count else { return }
            let i = independentBySlot[s]
            if i >= 0 { out.append(Int(i)) }
            if let d = dependencyLists[s] { out += d }
        }
        out.sort()
        var unique = 0
        for k in out.indices where k == 0 || out[k] != out[unique - 1] {
            out[unique] = out[k]
            unique += 1
        }
        out.removeLast(out.count - unique)
        return out
    }

    /// ∂e/∂(independent j), reading the partials of assigned values through their slots.
    func derivative(of e: Symbolic, withRespectTo j: Int) -> Symbolic {
        e.derivative { s in
            guard s < independentBySlot.count else { return .zero }
            if independentBySlot[s] == Int32(j) { return .one }
            return partial(ofValueIn: s, withRespectTo: j) ?? .zero
        }
    }
}
