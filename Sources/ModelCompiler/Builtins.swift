/// Built-in functions and constants of the pathway language, with their arities.
/// Names follow Antimony / the SBML Level 3 infix syntax.
enum Builtins {
    enum Arity: Equatable {
        case exactly(Int)
        case atLeast(Int)
        func accepts(_ n: Int) -> Bool {
            switch self {
            case .exactly(let k): n == k
            case .atLeast(let k): n >= k
            }
        }
        var text: String {
            switch self {
            case .exactly(let k): k == 1 ? "1 argument" : "\(k) arguments"
            case .atLeast(let k): "at least \(k) argument" + (k == 1 ? "" : "s")
            }
        }
    }

    static let unary: [String: Symbolic.UnaryFunction] = [
        "exp": .exp, "ln": .ln, "log": .ln, "log10": .log10, "log2": .log2, "sqrt": .sqrt,
        "abs": .abs, "fabs": .abs, "floor": .floor, "ceil": .ceil, "ceiling": .ceil,
        "sin": .sin, "cos": .cos, "tan": .tan, "asin": .asin, "arcsin": .asin,
        "acos": .acos, "arccos": .acos, "atan": .atan, "arctan": .atan,
        "sinh": .sinh, "cosh": .cosh, "tanh": .tanh, "asinh": .asinh, "arcsinh": .asinh,
        "acosh": .acosh, "arccosh": .acosh, "atanh": .atanh, "arctanh": .atanh,
        "sec": .sec, "csc": .csc, "cot": .cot, "factorial": .factorial, "not": .not,
    ]

    static let binary: [String: Symbolic.BinaryFunction] = [
        "pow": .power, "power": .power,
        "gt": .greater, "lt": .less, "geq": .greaterEqual, "leq": .lessEqual, "eq": .equal, "neq": .notEqual,
    ]

    /// Functions folding over any number of arguments.
    static let variadic: [String: (Symbolic.BinaryFunction, Arity)] = [
        "min": (.min, .atLeast(1)), "max": (.max, .atLeast(1)),
        "and": (.and, .atLeast(0)), "or": (.or, .atLeast(0)), "xor": (.xor, .atLeast(0)),
        "plus": (.add, .atLeast(0)), "times": (.multiply, .atLeast(0)),
    ]

    static let constants: [String: Double] = [
        "pi": Double.pi, "exponentiale": 2.718281828459045, "true": 1, "false": 0,
        "INF": .infinity, "inf": .infinity, "infinity": .infinity, "NaN": .nan, "nan": .nan, "notanumber": .nan,
        "avogadro": 6.02214076e23,
    ]

    /// Functions the engine knows but does not implement yet: refused, never misread.
    static let unsupported: Set<String> = ["rateOf", "root", "sqr", "csymbol"]

    static func arity(of name: String) -> Arity? {
        if unary[name] != nil { return .exactly(1) }
        if binary[name] != nil { return .exactly(2) }
        if let v = variadic[name] { return v.1 }
        if name == "piecewise" { return .atLeast(1) }
        if ["minus", "divide", "rem", "quotient", "implies"].contains(name) { return .exactly(2) }
        return nil
    }

    static var allNames: [String] {
        Array(unary.keys) + Array(binary.keys) + Array(variadic.keys) + ["piecewise", "rem", "quotient", "implies"]
    }
}
