import SourceDiagnostics
import SynapseModel

/// One target of an applied drug: moved `fraction` of the way from its unblocked value to
/// the value the blocker sets (1: all the way, the all-or-none block).
struct DrugEffect: Sendable {
    var target: String
    var full: Double
    var fraction: Double

    /// The effects of the request's blockers (each at the concentration the synapse declares)
    /// and drugs (at the concentrations asked), in that order; a later effect on the same
    /// target wins. Unknown names and targets are reported into `diagnostics`; a request that
    /// cannot be met at all fails.
    static func effects(of request: SynapseRunRequest, names: Set<String>,
                        _ diagnostics: inout DiagnosticCollector) -> Result<[DrugEffect], SynapseRunError> {
        effects(on: request.synapse, blockers: request.blockers, drugs: request.drugs, names: names, &diagnostics)
    }

    /// The effects of `blockers` (at their declared concentrations) and `drugs` on `synapse`
    /// whose model defines `names`; a target the model lacks goes to `diagnostics`.
    static func effects(on synapse: SynapseDefinition, blockers: [String], drugs: [(name: String, concentration: Double)], names: Set<String>,
                        _ diagnostics: inout DiagnosticCollector) -> Result<[DrugEffect], SynapseRunError> {
        var out: [DrugEffect] = []
        let applied = blockers.map { ($0, Double?.none) } + drugs.map { ($0.name, Optional($0.concentration)) }
        for (name, asked) in applied {
            guard let blocker = synapse.blockers[name] else {
                let known = synapse.blockers.keys.sorted()
                return .failure(.request("synapse '\(synapse.name)' has no blocker '\(name)'",
                                         hint: Suggestions.didYouMean(name, among: known) ?? "blockers of this synapse: \(known.joined(separator: ", "))"))
            }
            var fraction = 1.0
            if let asked {
                guard blocker.ic50 != nil else {
                    return .failure(.request("'\(name)' of synapse '\(synapse.name)' is an all-or-none block (no ic50), so it has no effect at a chosen concentration",
                                             hint: "apply it with --block \(name), or give its drug an ic50 (µM) and hill at its target in the drug library (drugs.toml), from their source"))
                }
                guard asked >= 0, asked.isFinite else { return .failure(.request("the concentration of '\(name)' must be 0 or more µM (got \(asked))", hint: nil)) }
                fraction = blocker.fraction(at: asked)
            } else if let c = blocker.concentration {
                fraction = blocker.fraction(at: c)
            }
            for (target, value) in blocker.settings {
                if !names.contains(target.value) {
                    diagnostics.add(Diagnostic(.error, "blocker '\(name)' sets '\(target.value)', which the model does not define",
                                               at: target.range, hints: Suggestions.didYouMean(target.value, among: names).map { [$0] } ?? []))
                }
                out.append(DrugEffect(target: target.value, full: value, fraction: fraction))
            }
        }
        return .success(out)
    }

    /// The values the effects give their targets: from the last of `given` that sets the target
    /// (the rig, `--set`, a fit's or scan's point), else the file's value, toward the set value.
    static func overrides(_ effects: [DrugEffect], given: [(name: String, value: Double)],
                          fileValues: [String: Double]) -> [(name: String, value: Double)] {
        effects.map { e in
            // An all-or-none block is the set value exactly, whatever the unblocked value was.
            if e.fraction == 1 { return (e.target, e.full) }
            let base = given.last(where: { $0.name == e.target })?.value ?? fileValues[e.target] ?? e.full
            return (e.target, base + (e.full - base) * e.fraction)
        }
    }
}
