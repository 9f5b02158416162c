import SourceDiagnostics
import PathwayModel

/// Fast reactions (SBML Level 2 and 3 Version 1, `fast="true"`) as reactions held at
/// equilibrium: the fast reaction's rate law `v` stays zero while the slow reactions and
/// rules move the species, so its flux `w` is whatever keeps `dv/dt = 0` (index
/// reduction of the DAE `x' = N·J + n·w, 0 = v(x)`):
///
///     dv/dt = Σ_s ∂v/∂s · ds/dt + ∂v/∂t = 0,   ds/dt = c_s·(Σ_slow n_sj·J_j + n_s·w)
///     w = −(Σ_s ∂v/∂s · c_s · Σ_slow n_sj·J_j + Σ_r ∂v/∂r · r′ + ∂v/∂t) / Σ_s ∂v/∂s · c_s · n_s
///
/// with `c_s = 1/size` for a species the rate law sees as a concentration and 1 for one
/// it sees as an amount, and `r′` the rate rule of any other quantity `v` reads. The
/// fast reaction becomes an ordinary reaction with rate `w`, so the model stays an ODE
/// with an analytic Jacobian. The start must be on the equilibrium too: the species are
/// moved along the fast reaction by the extent ξ that solves `v(x₀ + c·n·ξ) = 0`, found
/// from ξ = 0 by Newton's method written as initial values (`NewtonChain`).
///
/// Refused: fast reactions that share a species (their fluxes are coupled), species in
/// compartments whose size changes, events that change a species of a fast reaction or
/// a value its rate law reads (the equilibrium would have to be re-established at the
/// event), rate laws that are
/// not differentiable here (user functions are inlined; `abs`, `min`, `max`, `floor`
/// and the like are not).
struct FastReactions {
    var pathway: Pathway
    var usedIds: Set<String>
    let functions: [String: FunctionDefinition]

    init(pathway: Pathway, usedIds: Set<String>) {
        self.pathway = pathway
        self.usedIds = usedIds
        functions = Dictionary(pathway.functions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    struct Refusal: Error {
        let feature: String
        let range: SourceRange?
    }

    mutating func name(_ base: String) -> String {
        var candidate = base, i = 2
        while usedIds.contains(candidate) { candidate = "\(base)_\(i)"; i += 1 }
        usedIds.insert(candidate)
        return candidate
    }

    /// Rewrites every fast reaction (by index in `pathway.reactions`).
    mutating func rewrite(_ fast: [Int]) throws(Refusal) -> Pathway {
        var claimed: [String: String] = [:]
        for f in fast {
            let r = pathway.reactions[f]
            for ref in r.reactants + r.products {
                if let other = claimed[ref.species], other != r.id {
                    throw Refusal(feature: "fast reactions '\(other)' and '\(r.id)' that share species '\(ref.species)'", range: r.range)
                }
                claimed[ref.species] = r.id
            }
        }
        for e in pathway.events {
            for a in e.assignments where claimed[a.variable] != nil {
                throw Refusal(feature: "an event that changes '\(a.variable)', a species of fast reaction '\(claimed[a.variable]!)'",
                              range: a.range ?? e.range)
            }
        }
        for f in fast { try rewrite(reaction: f) }
        return pathway
    }

    /// Net stoichiometry of `species` in reaction `r` (products minus reactants).
    func net(_ species: String, in r: Reaction) -> Expression? {
        var terms: [Expression] = []
        for ref in r.products where ref.species == species { terms.append(ref.stoichiometryExpression ?? .number(ref.stoichiometry)) }
        for ref in r.reactants where ref.species == species {
            terms.append(.unary(.negate, ref.stoichiometryExpression ?? .number(ref.stoichiometry)))
        }
        guard let first = terms.first else { return nil }
        return terms.dropFirst().reduce(first) { .binary(.add, $0, $1) }
    }

    /// What a rate law sees for species `s`: its concentration (scale 1/size) or amount.
    func scale(of s: Species, at range: SourceRange?) throws(Refusal) -> Expression {
        guard !s.hasOnlySubstanceUnits else { return .number(1) }
        guard let c = pathway.compartments.first(where: { $0.id == s.compartment }) else { return .number(1) }
        let ruled = pathway.rateRules.contains { $0.variable == c.id } || pathway.assignmentRules.contains { $0.variable == c.id }
        if !c.isConstant || ruled {
            throw Refusal(feature: "a fast reaction in compartment '\(c.id)', whose size changes", range: range)
        }
        return .binary(.divide, .number(1), .symbol(c.id, nil))
    }

    mutating func rewrite(reaction f: Int) throws(Refusal) {
        let fast = pathway.reactions[f]
        guard let v = AlgebraicRuleSolver(pathway: pathway).expandingRules(fast.rate) else {
            throw Refusal(feature: "a fast reaction whose rate law reads assignment rules nested too deeply", range: fast.range)
        }
        for e in pathway.events {
            for a in e.assignments where v.symbols.contains(a.variable) {
                throw Refusal(feature: "an event that changes '\(a.variable)', which fast reaction '\(fast.id)' reads", range: a.range ?? e.range)
            }
        }
        let speciesById = Dictionary(pathway.species.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let rateRule = Dictionary(pathway.rateRules.map { ($0.variable, $0.expression) }, uniquingKeysWith: { a, _ in a })

        var numerator: [Expression] = [try Differentiator.derivative(v, time: true, at: fast.range)]
        var denominator: [Expression] = []
        // The species the fast reaction moves, and how far per unit of extent (for the start).
        var shifts: [(species: Species, perExtent: Expression)] = []
        for ref in fast.reactants + fast.products where !shifts.contains(where: { $0.species.id == ref.species }) {
            guard let s = speciesById[ref.species], !s.isBoundary, !s.isConstant, let n = net(s.id, in: fast) else { continue }
            shifts.append((s, .binary(.multiply, n, try scale(of: s, at: fast.range))))
        }
        for name in v.symbols.sorted() {
            let partial = try Differentiator.derivative(v, name, at: fast.range)
            if let s = speciesById[name], !s.isConstant {
                if let rule = rateRule[name] {
                    numerator.append(.binary(.multiply, partial, rule))
                    continue
                }
                guard !s.isBoundary else { continue }
                let c = try scale(of: s, at: fast.range)
                for (j, r) in pathway.reactions.enumerated() where j != f {
                    guard let n = net(name, in: r) else { continue }
                    numerator.append(.binary(.multiply, .binary(.multiply, partial, c), .binary(.multiply, n, .symbol(r.id, nil))))
                }
                if let n = net(name, in: fast) { denominator.append(.binary(.multiply, .binary(.multiply, partial, c), n)) }
            } else if let rule = rateRule[name] {
                numerator.append(.binary(.multiply, partial, rule))
            }
        }
        guard let firstDenominator = denominator.first else {
            throw Refusal(feature: "a fast reaction whose rate law does not depend on the species it changes", range: fast.range)
        }
        let sum: ([Expression]) -> Expression = { $0.dropFirst().reduce($0[0]) { .binary(.add, $0, $1) } }
        let flux: Expression = .unary(.negate, .binary(.divide, sum(numerator), denominator.count == 1 ? firstDenominator : sum(denominator)))
        pathway.reactions[f].rate = flux
        try equilibrateStart(v, shifts: shifts, reaction: fast)
    }

    /// Moves the species' initial values along the fast reaction to where its rate is zero.
    mutating func equilibrateStart(_ v: Expression, shifts: [(species: Species, perExtent: Expression)], reaction: Reaction) throws(Refusal) {
        // Each species' initial value as expressions see it (a concentration unless it has
        // only substance units), kept as a parameter the Newton steps start from.
        var originals: [String: Expression] = [:]
        for (s, _) in shifts {
            guard let initial = s.initialValue else { continue }
            var seen = initial
            if s.initialIsAmount && !s.hasOnlySubstanceUnits {
                seen = .binary(.divide, initial, .symbol(s.compartment, nil))
            } else if !s.initialIsAmount && s.hasOnlySubstanceUnits {
                seen = .binary(.multiply, initial, .symbol(s.compartment, nil))
            }
            let id = name("\(s.id)_before_equilibrium")
            pathway.parameters.append(Parameter(id: id, value: seen, isConstant: true, range: s.range))
            originals[s.id] = .symbol(id, nil)
        }
        // The values at extent ξ: x₀ + (n·c)·ξ.
        func shifted(_ extent: Expression) -> [String: Expression] {
            var map: [String: Expression] = [:]
            for (s, perExtent) in shifts {
                guard let x0 = originals[s.id] else { continue }
                map[s.id] = .binary(.add, x0, .binary(.multiply, perExtent, extent))
            }
            return map
        }
        var slope: Expression = .number(0)
        for (s, perExtent) in shifts {
            slope = .binary(.add, slope, .binary(.multiply, try Differentiator.derivative(v, s.id, at: reaction.range), perExtent))
        }
        let (steps, extent) = NewtonChain.build(from: .number(0), base: "\(reaction.id)_extent", range: reaction.range,
                                                residual: { v.substituting(shifted($0)) }, slope: { slope.substituting(shifted($0)) },
                                                name: { name($0) })
        pathway.parameters += steps
        let start = shifted(extent)
        for (s, _) in shifts {
            guard let i = pathway.species.firstIndex(where: { $0.id == s.id }), let value = start[s.id] else { continue }
            pathway.species[i].initialValue = value
            pathway.species[i].initialIsAmount = s.hasOnlySubstanceUnits
        }
    }
}
