import SourceDiagnostics
import PathwayModel

/// Algebraic rules (`0 = f(x, …)`) solved on import: each rule is matched to a variable
/// nothing else determines, and when `f` is linear in that variable the rule becomes
/// the assignment rule `x := −f(0)/f′`. Rules that are not linear in their variable,
/// or whose variables are coupled, are refused as unsupported (they need a DAE solver).
struct AlgebraicRuleSolver {
    let pathway: Pathway
    let functions: [String: FunctionDefinition]

    init(pathway: Pathway) {
        self.pathway = pathway
        self.functions = Dictionary(pathway.functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    enum Outcome {
        case solved([Rule])
        case unsupported(String, SourceRange?)
    }

    /// Variables the rules may determine: not constant, not set by another rule, not
    /// changed by reactions.
    func candidates() -> Set<String> {
        var out = Set<String>()
        var ruled = Set(pathway.assignmentRules.map(\.variable))
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

    func solve(_ rules: [(Expression, SourceRange?)]) -> Outcome {
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
        var out: [Rule] = []
        for (v, r) in owner.sorted(by: { $0.value < $1.value }) {
            guard let (a, b) = Self.linear(expanded[r].0, in: v), a != .number(0) else {
                return .unsupported("an algebraic rule that is not linear in '\(v)' (a DAE solver is needed)", rules[r].1)
            }
            // a·v + b = 0  →  v = −b / a
            out.append(Rule(variable: v, expression: .binary(.divide, .unary(.negate, b), a), range: rules[r].1))
        }
        return .solved(out)
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
