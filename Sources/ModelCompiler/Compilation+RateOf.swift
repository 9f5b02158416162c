import SourceDiagnostics
import PathwayModel

extension Compilation {
    /// `rateOf(x)` (SBML Level 3 csymbol): the current time derivative of `x`'s value,
    /// built from the same terms as the right-hand side, so it is exact and costs no
    /// extra solver work.
    /// - rate-rule target: the rule's expression;
    /// - species changed by reactions: Σ stoichiometry · rate, divided by the compartment
    ///   size for concentrations (minus [x]·size′/size when the size changes);
    /// - anything not changed continuously (constants, event-only values): 0.
    /// A variable set by an assignment rule would need the rule's time derivative and
    /// is refused as unsupported.
    mutating func resolveRateOf(_ args: [Expression], range: SourceRange?, context: SourceRange?,
                                bound: [String: Symbolic], depth: Int) -> Symbolic {
        guard args.count == 1, case .symbol(let name, let r) = args[0], bound[name] == nil else {
            diagnostics.error("rateOf takes the name of one model quantity", at: range ?? context)
            return .constant(.nan)
        }
        guard depth < ModelCompiler.maximumFunctionNesting else {
            diagnostics.error("rateOf nests too deeply (a rate rule that depends on its own rate?)", at: r ?? range)
            return .constant(.nan)
        }
        if assignmentRuleFor[name] != nil {
            diagnostics.error("unsupported: rateOf('\(name)'), which is set by an assignment rule", at: r ?? range)
            return .constant(.nan)
        }
        if let rule = rateRuleFor[name] {
            return resolve(rule.expression, context: rule.range, depth: depth + 1)
        }
        guard case .species(let i)? = roles[name] else {
            if roles[name] == nil {
                diagnostics.error("unknown symbol '\(name)' in rateOf", at: r ?? range)
            }
            return .zero
        }
        let s = pathway.species[i]
        if isBoundaryOrConstant(s) { return .zero }
        var amountRate: Symbolic = .zero
        for reaction in pathway.reactions {
            var net: Symbolic = .zero
            for ref in reaction.reactants where ref.species == name {
                net = net - (ref.stoichiometryExpression.map { resolve($0, context: ref.range ?? reaction.range, depth: depth + 1) } ?? .constant(ref.stoichiometry))
            }
            for ref in reaction.products where ref.species == name {
                net = net + (ref.stoichiometryExpression.map { resolve($0, context: ref.range ?? reaction.range, depth: depth + 1) } ?? .constant(ref.stoichiometry))
            }
            if net != .zero, let slot = valueSlot[reaction.id] { amountRate = amountRate + net * .slot(slot) }
        }
        guard !s.hasOnlySubstanceUnits, let sizeSlot = valueSlot[s.compartment], let valueSlot = valueSlot[name] else { return amountRate }
        let size = Symbolic.slot(sizeSlot)
        let sizeRate = resolveRateOf([.symbol(s.compartment, nil)], range: range, context: context, bound: [:], depth: depth + 1)
        return amountRate / size - .slot(valueSlot) * sizeRate / size
    }
}
