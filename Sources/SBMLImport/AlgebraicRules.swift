import SourceDiagnostics
import PathwayModel

/// Algebraic rules (`0 = f(x, …)`) solved on import: each rule is matched to a variable
/// nothing else determines. When `f` is linear in that variable the rule becomes the
/// assignment rule `x := −f(0)/f′`. Otherwise (a parameter or compartment) the DAE is
/// reduced to an ODE: `x` gets the rate rule from `df/dt = 0`,
/// `x′ = −(∂f/∂t + Σ ∂f/∂y·rateOf(y))/(∂f/∂x)`, and starts at the root of `f` that
/// Newton's method finds from its declared value (`NewtonChain`). Refused: a non-linear
/// rule that reads another rule's variable (the two would be coupled) and non-linear
/// rules for species.
struct AlgebraicRuleSolver {
    let pathway: Pathway
    let functions: [String: FunctionDefinition]
    /// Variables events assign: a rule determines its variable at every instant, so these
    /// cannot be it.
    let eventTargets: Set<String>

    init(pathway: Pathway, eventTargets: Set<String> = []) {
        self.pathway = pathway
        self.functions = Dictionary(pathway.functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.eventTargets = eventTargets
    }

    enum Outcome {
        /// Assignment rules, rate rules, the Newton parameters, and new initial values.
        case solved(Solution)
        case unsupported(String, SourceRange?)
    }

    struct Solution {
        var assignmentRules: [Rule] = []
        var rateRules: [Rule] = []
        var parameters: [Parameter] = []
        var initialValues: [String: Expression] = [:]
    }

    /// Variables the rules may determine: not constant, not set by another rule or by an
    /// event, not changed by reactions.
    func candidates() -> Set<String> {
        var out = Set<String>()
        var ruled = Set(pathway.assignmentRules.map(\.variable)).union(eventTargets)
        ruled.formUnion(pathway.rateRules.map(\.variable))
        var inReactions = Set<String>()
        for r in pathway.reactions { for ref in r.reactants + r.products { inReactions.insert(ref.species) } }
        for c in pathway.compartments where !c.isConstant && !ruled.contains(c.id) { out.insert(c.id) }
        for p in pathway.parameters where !p.isConstant && !ruled.contains(p.id) { out.insert(p.id) }
        for s in pathway.species where !s.isConstant && !ruled.contains(s.id) && (s.isBoundary || !inReactions.contains(s.id)) {
            out.insert(s.id)
        }
        return out
    }

    func solve(_ rules: [(Expression, SourceRange?)], usedIds: inout Set<String>) -> Outcome {
        let candidates = candidates()
        let expanded = rules.map { (inline($0.0, depth: 0), $0.1) }
        // Bipartite matching of rules to variables (augmenting paths; models are small).
        let options: [[String]] = expanded.map { e in e.0.symbols.filter { candidates.contains($0) }.sorted() }
        var owner: [String: Int] = [:]
        func augment(_ r: Int, _ seen: inout Set<String>) -> Bool {
            for v in options[r] where !seen.contains(v) {
                seen.insert(v)
                if owner[v] == nil || augment(owner[v]!, &seen) {
                    owner[v] = r
                    return true
                }
            }
            return false
        }
        for r in expanded.indices {
            var seen = Set<String>()
            guard augment(r, &seen) else {
                return .unsupported("an algebraic rule that determines no free variable (overdetermined model)", rules[r].1)
            }
        }
        var out = Solution()
        for (v, r) in owner.sorted(by: { $0.value < $1.value }) {
            if let (a, b) = Self.linear(expanded[r].0, in: v), a != .number(0) {
                // a·v + b = 0  →  v = −b / a
                out.assignmentRules.append(Rule(variable: v, expression: .binary(.divide, .unary(.negate, b), a), range: rules[r].1))
                continue
            }
            let others = Set(owner.keys).subtracting([v])
            guard expanded[r].0.symbols.isDisjoint(with: others) else {
                return .unsupported("non-linear algebraic rules that are coupled through '\(v)'", rules[r].1)
            }
            do {
                try reduce(expanded[r].0, for: v, range: rules[r].1, into: &out, usedIds: &usedIds)
            } catch {
                return .unsupported(error.feature, error.range)
            }
        }
        return .solved(out)
    }

    /// Index reduction of `0 = g` for `v` (see the type's comment).
    func reduce(_ g: Expression, for v: String, range: SourceRange?, into out: inout Solution,
                usedIds: inout Set<String>) throws(FastReactions.Refusal) {
        let start: Expression
        if let p = pathway.parameters.first(where: { $0.id == v }) {
            start = p.value ?? .number(1)
        } else if let c = pathway.compartments.first(where: { $0.id == v }) {
            start = c.size ?? .number(1)
        } else {
            throw FastReactions.Refusal(feature: "an algebraic rule that is not linear in species '\(v)'", range: range)
        }
        guard let expandedRule = expandingRules(g) else {
            throw FastReactions.Refusal(feature: "an algebraic rule that reads assignment rules nested too deeply", range: range)
        }
        let slope = try Differentiator.derivative(expandedRule, v, at: range)
        var numerator = try Differentiator.derivative(expandedRule, time: true, at: range)
        for y in expandedRule.symbols.sorted() where y != v {
            let partial = try Differentiator.derivative(expandedRule, y, at: range)
            numerator = .binary(.add, numerator, .binary(.multiply, partial, .call("rateOf", [.symbol(y, nil)], nil)))
        }
        out.rateRules.append(Rule(variable: v, expression: .unary(.negate, .binary(.divide, numerator, slope)), range: range))
        // A declared value that is missing (NaN) gives Newton no start; 1 is the neutral guess.
        let guess: Expression = { if case .number(let x) = start, x.isNaN { return .number(1) } else { return start } }()
        let (parameters, root) = NewtonChain.build(
            from: guess, base: "\(v)_consistent", range: range,
            residual: { expandedRule.substituting([v: $0]) }, slope: { slope.substituting([v: $0]) },
            name: { base in
                var candidate = base, i = 2
                while usedIds.contains(candidate) { candidate = "\(base)_\(i)"; i += 1 }
                usedIds.insert(candidate)
                return candidate
            })
        out.parameters += parameters
        out.initialValues[v] = root
    }

    /// User functions and assignment rules written out, so that partial derivatives are
    /// in the quantities that change on their own; nil when rules nest more than 64 deep.
    func expandingRules(_ e: Expression) -> Expression? {
        let rules = Dictionary(pathway.assignmentRules.map { ($0.variable, $0.expression) }, uniquingKeysWith: { a, _ in a })
        var x = inline(e, depth: 0)
        for _ in 0..<64 {
            if x.symbols.isDisjoint(with: rules.keys) { return x }
            x = inline(x.substituting(rules), depth: 0)
        }
        return nil
    }

    /// User functions replaced by their bodies, so linearity can be judged.
    func inline(_ e: Expression, depth: Int) -> Expression {
        guard depth < 64 else { return e }
        switch e {
        case .number, .symbol, .time: return e
        case .unary(let op, let a): return .unary(op, inline(a, depth: depth))
        case .binary(let op, let a, let b): return .binary(op, inline(a, depth: depth), inline(b, depth: depth))
        case .call(let name, let args, let range):
            let xs = args.map { inline($0, depth: depth) }
            guard let f = functions[name], f.parameters.count == xs.count else { return .call(name, xs, range) }
            return inline(f.body.substituting(Dictionary(zip(f.parameters, xs), uniquingKeysWith: { a, _ in a })), depth: depth + 1)
        }
    }

    /// `(a, b)` with `e = a·v + b` and neither depending on `v`; `nil` if not linear.
    static func linear(_ e: Expression, in v: String) -> (Expression, Expression)? {
        func free(_ x: Expression) -> Bool { !x.symbols.contains(v) }
        if free(e) { return (.number(0), e) }
        switch e {
        case .symbol(let name, _) where name == v: return (.number(1), .number(0))
        case .unary(.negate, let x):
            guard let (a, b) = linear(x, in: v) else { return nil }
            return (.unary(.negate, a), .unary(.negate, b))
        case .binary(let op, let x, let y):
            switch op {
            case .add, .subtract:
                guard let (a1, b1) = linear(x, in: v), let (a2, b2) = linear(y, in: v) else { return nil }
                return (.binary(op, a1, a2), .binary(op, b1, b2))
            case .multiply:
                if free(x), let (a, b) = linear(y, in: v) { return (.binary(.multiply, x, a), .binary(.multiply, x, b)) }
                if free(y), let (a, b) = linear(x, in: v) { return (.binary(.multiply, a, y), .binary(.multiply, b, y)) }
                return nil
            case .divide:
                guard free(y), let (a, b) = linear(x, in: v) else { return nil }
                return (.binary(.divide, a, y), .binary(.divide, b, y))
            default: return nil
            }
        case .call("plus", let args, _):
            var a: Expression = .number(0), b: Expression = .number(0)
            for x in args {
                guard let (ai, bi) = linear(x, in: v) else { return nil }
                a = .binary(.add, a, ai)
                b = .binary(.add, b, bi)
            }
            return (a, b)
        default: return nil
        }
    }
}
