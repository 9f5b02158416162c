#if canImport(Glibc)
import Glibc
#endif
public import PathwayModel
import ModelCompiler
public import Simulation
public import SourceDiagnostics
public import CVODEIntegration

/// How the hybrid method splits reactions between the deterministic part and the jumps.
///
/// The two conditions are those of Salis & Kaznessis (2005, J Chem Phys 122:054103, §II.A):
/// a reaction is fast when it fires often within the time of interest and when every species
/// it changes is abundant enough that one firing is a small change. The thresholds are
/// assumptions of this implementation (one firing is then at most 1% of any count it
/// changes, and at least 100 happen between outputs).
public struct HybridSettings: Sendable, Hashable {
    /// λ: a reaction is fast only when its channels fire at least this many times per
    /// output interval at the start.
    public var firingsPerInterval = 100.0
    /// N*: … and every species it changes starts with at least this many molecules.
    public var molecules = 100.0
    /// Tolerances of the deterministic part.
    public var integrator = IntegratorOptions()
    public init() {}
}

/// The hybrid form of a pathway: fast reactions, rate rules and everything that is not a
/// reaction integrated deterministically by CVODES through the existing `Simulator`; slow
/// reactions fired one molecule at a time by a `JumpSet` (Salis & Kaznessis 2005), so the
/// pathway's events and stimuli are landed exactly as in a deterministic run. With every
/// reaction slow the method is an exact SSA whose waiting times CVODES integrates.
///
/// The continuous part is deterministic (the reaction-rate equations, as in Haseltine &
/// Rawlings 2002, J Chem Phys 117:6959), not a chemical Langevin equation as in Salis &
/// Kaznessis: fast reactions contribute their mean, not their noise. The partition is
/// decided once, from the initial state (`HybridSettings`): a reaction whose species start
/// scarce stays a jump process for the whole run even if they become abundant, which costs
/// speed, not accuracy.
public final class HybridModel: Sendable {
    public let stochastic: StochasticModel
    public let settings: HybridSettings
    /// Reactions integrated deterministically, by pathway index.
    public let continuousReactions: [Int]
    /// Channels of `stochastic` fired as jumps.
    public let jumpChannels: [Int]
    /// The derived model: the pathway with its slow reactions replaced by jumps.
    public let simulator: Simulator
    let jumps: JumpSet.Bound
    /// Species changed only by jumps: started from a whole count.
    let discreteSpecies: [Int]
    /// Their molecule counts at the start, possibly fractional.
    let initialCounts: [Double]
    /// The partition's overrides, by name, for every trial.
    let overrides: [(name: String, value: Double)]

    /// Partitions `pathway` (whose stochastic form is `stochastic`, built with
    /// `continuousChange`) at its initial state with `overrides` (slot of `stochastic.compiled`
    /// → value), for outputs every `outputInterval`, and compiles the derived model.
    public init(pathway: Pathway, stochastic: StochasticModel, settings: HybridSettings = .init(), outputInterval: Double,
                overrides: [Int: Double] = [:]) throws(DiagnosticsError) {
        self.stochastic = stochastic
        self.settings = settings
        let omega = stochastic.scale.moleculesPerAmount
        let probe = ModelInstance(stochastic.compiled)
        let initial = probe.initialState(overrides: overrides)
        probe.update(time: 0, state: initial)
        let counts = stochastic.species.map { initial[$0.stateIndex] * omega }

        // Σ|a| per reaction at the start, from the mean-field form of each channel's law.
        var firings: [Int: Double] = [:]
        for c in stochastic.channels {
            let law: Double
            switch c.propensity {
            case .general(let e): law = probe.evaluate(e)
            case .massAction(let k, let factors):
                law = factors.reduce(probe.evaluate(k)) { $0 * pow(counts[$1.species] / stochastic.species[$1.species].moleculesPerValue, Double($1.order)) }
            }
            firings[c.reaction, default: 0] += Swift.abs(omega * law) * outputInterval
        }
        var continuous: [Int] = []
        var jumpChannels: [Int] = []
        for r in pathway.reactions.indices {
            let channels = stochastic.channels.indices.filter { stochastic.channels[$0].reaction == r }
            guard !channels.isEmpty else { continue }
            let changed = channels.flatMap { stochastic.channels[$0].changes.map(\.species) }
            if firings[r, default: 0] >= settings.firingsPerInterval, changed.allSatisfy({ counts[$0] >= settings.molecules }) {
                continuous.append(r)
            } else {
                jumpChannels += channels
            }
        }
        continuousReactions = continuous
        self.jumpChannels = jumpChannels
        let continuousSpecies = Set(continuous.flatMap { r in
            stochastic.channels.filter { $0.reaction == r }.flatMap { $0.changes.map(\.species) }
        })
        let rateRuleTargets = Set(pathway.rateRules.map(\.variable))
        let discrete = stochastic.species.indices.filter {
            !continuousSpecies.contains($0) && !rateRuleTargets.contains(stochastic.species[$0].name)
        }
        discreteSpecies = discrete
        initialCounts = discrete.map { counts[$0] }
        let nameOfSlot = Dictionary(stochastic.compiled.symbols.map { ($0.value, $0.key) }, uniquingKeysWith: min)
        self.overrides = overrides.sorted { $0.key < $1.key }.compactMap { o in nameOfSlot[o.key].map { ($0, o.value) } }

        var derived = pathway
        let channels = try Self.reactionChannels(pathway, stochastic: stochastic, jumps: jumpChannels, discrete: Set(discrete))
        let slowReactions = Set(jumpChannels.map { stochastic.channels[$0].reaction })
        derived.reactions = pathway.reactions.indices.filter { !slowReactions.contains($0) }.map { pathway.reactions[$0] }
        // The rates of the reactions taken out stay defined under their names, for whatever reads them.
        for i in slowReactions.sorted() {
            let r = pathway.reactions[i]
            derived.parameters.append(Parameter(id: r.id, value: nil, isConstant: false, range: r.range))
            derived.assignmentRules.append(Rule(variable: r.id, expression: r.rate, range: r.range))
        }
        let jumpSet = JumpSet(channels: channels)
        let compiled = try ModelCompiler.compile(try jumpSet.installed(in: derived))
        simulator = Simulator(model: compiled)
        jumps = jumpSet.bound(to: compiled)
    }

    /// The jump channels of the slow reactions: each channel's law from the pathway (a
    /// reversible law `F − B` split as the stochastic model splits it) times Ω, in the
    /// combinatorial form for mass action.
    static func reactionChannels(_ pathway: Pathway, stochastic: StochasticModel, jumps: [Int], discrete: Set<Int>) throws(DiagnosticsError) -> [JumpSet.Channel] {
        var diagnostics = DiagnosticCollector()
        var channels: [JumpSet.Channel] = []
        let omega = stochastic.scale.moleculesPerAmount
        for j in jumps {
            let c = stochastic.channels[j]
            let r = pathway.reactions[c.reaction]
            var law: Expression
            switch (c.part, r.rate) {
            case (.whole, _): law = .symbol(r.id, nil)
            case (.forward, .binary(.subtract, let f, _)): law = f
            case (.reverse, .binary(.subtract, _, let b)): law = b
            default:
                diagnostics.error("the hybrid method needs the reversible rate law of reaction '\(r.id)' written as forward minus reverse rate at its top level",
                                  at: r.range, hint: "write it as 'kf*A*B - kr*C' rather than through a function")
                continue
            }
            // Ω·K·x(x−1)…/(Ω s)^ν is the mean-field law times (x−1)/x … (x−ν+1)/x, zero below ν molecules.
            if case .massAction(_, let factors) = c.propensity {
                for f in factors where f.order > 1 {
                    let species = stochastic.species[f.species]
                    let x = Expression.binary(.multiply, .symbol(species.name, nil), .number(species.moleculesPerValue))
                    for m in 1..<f.order {
                        let fraction = Expression.binary(.divide, .binary(.subtract, x, .number(Double(m))), x)
                        law = .binary(.multiply, law, .call("piecewise", [fraction, .binary(.greater, x, .number(Double(m))), .number(0)], nil))
                    }
                }
            }
            channels.append(.init(name: "reaction '\(c.name)'", propensity: .binary(.multiply, .number(omega), law),
                                  changes: c.changes.map { .init(state: stochastic.species[$0.species].name, delta: $0.delta,
                                                                 moleculesPerValue: omega, isDiscrete: discrete.contains($0.species)) },
                                  range: r.range))
        }
        try diagnostics.throwIfErrors()
        return channels
    }
}
