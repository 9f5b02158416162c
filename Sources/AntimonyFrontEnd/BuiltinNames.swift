/// Names Antimony reserves for mathematics (registry.cpp `SetupFunctions`/`SetupConstants`).
/// They can be used in expressions but never as the name of a species, parameter or
/// compartment: Antimony's lexer turns them into function or constant tokens.
enum BuiltinNames {
    /// Constants; kept as symbols in expressions for the model compiler to resolve, and
    /// never turned into parameters.
    static let constants: Set<String> = [
        "true", "false", "pi", "exponentiale", "avogadro", "inf", "infinity", "INF", "nan", "NaN", "notanumber",
    ]

    static let functions: Set<String> = [
        "abs", "acos", "arccos", "acosh", "arccosh", "acot", "arccot", "acoth", "arccoth", "acsc", "arccsc",
        "acsch", "arccsch", "asec", "arcsec", "asech", "arcsech", "asin", "arcsin", "asinh", "arcsinh", "atan",
        "arctan", "atanh", "arctanh", "ceil", "ceiling", "cos", "cosh", "cot", "coth", "csc", "csch", "delay",
        "exp", "factorial", "floor", "log", "ln", "log10", "piecewise", "power", "pow", "sqr", "sqrt", "root",
        "sec", "sech", "sin", "sinh", "tan", "tanh", "and", "not", "or", "xor", "eq", "equals", "geq", "gt",
        "leq", "lt", "neq", "divide", "minus", "plus", "times", "min", "max", "rateOf", "quotient", "rem",
        "implies",
    ]

    /// Why `name` cannot name a model element, or nil if it can.
    static func reservation(of name: String) -> String? {
        if name == "time" { return "'time' is the built-in time symbol" }
        if constants.contains(name) { return "'\(name)' is a built-in constant" }
        if functions.contains(name) { return "'\(name)' is a built-in function" }
        return nil
    }
}
