public import PathwayModel
public import ModelCompiler
public import SourceDiagnostics

/// How model amounts become molecule counts: a compartment of model size `s` is `s` ×
/// `litresPerSizeUnit` litres, and a concentration of 1 model unit is
/// `molarPerConcentrationUnit` mol/L, so one model amount unit (concentration × size) is
/// `N_A × molarPerConcentrationUnit × litresPerSizeUnit` molecules.
public struct MoleculeScale: Sendable, Hashable {
    /// Avogadro's constant, exact since the 2019 SI redefinition (BIPM, SI Brochure 9th ed., §2.3.1).
    public static let avogadro = 6.02214076e23
    public var litresPerSizeUnit: Double
    public var molarPerConcentrationUnit: Double

    public init(litresPerSizeUnit: Double, molarPerConcentrationUnit: Double) {
        self.litresPerSizeUnit = litresPerSizeUnit
        self.molarPerConcentrationUnit = molarPerConcentrationUnit
    }

    /// A compartment of size 1 holds `femtolitres` fL; concentrations are in µM unless given.
    public init(femtolitres: Double, molarPerConcentrationUnit: Double = 1e-6) {
        self.init(litresPerSizeUnit: femtolitres * 1e-15, molarPerConcentrationUnit: molarPerConcentrationUnit)
    }

    /// Molecules per model amount unit (Ω).
    public var moleculesPerAmount: Double { Self.avogadro * molarPerConcentrationUnit * litresPerSizeUnit }
}

/// A pathway made stochastic: molecule-count species, reaction channels with propensities
/// compiled from the same rate laws, the dependency graph between channels, and the
/// compiled model whose memory events, rules and output read.
///
/// Propensities follow Gillespie (1976, J Comput Phys 22:403; 2007, Annu Rev Phys Chem
/// 58:35, eq. 4–6): a rate law that is recognisably mass action in its reactants,
/// `K·Π[Xᵢ]^νᵢ` with `K` free of species, becomes `Ω·K·Π xᵢ(xᵢ−1)…(xᵢ−νᵢ+1)/(Ω·sᵢ)^νᵢ`, the
/// combinatorial form (for `2X` this is `K/(Ω s²)·x(x−1)`, i.e. `c·x(x−1)/2` with `c = 2K/(Ω s²)`).
/// Any other rate law is evaluated on the current concentrations and multiplied by Ω:
/// exact in the large-volume limit only, stated in docs/stochastic.md. A reversible
/// reaction whose law is a difference `F − B` becomes two channels, forward and back;
/// any other channel whose law turns negative fires in reverse at |rate|, which keeps the
/// mean flux and understates the noise of a net rate.
public final class StochasticModel: Sendable {
    public let compiled: CompiledModel
    public let scale: MoleculeScale
    /// Species whose counts change (by reactions or events), in declaration order.
    public let species: [StochasticSpecies]
    public let channels: [Channel]
    /// `dependents[j]`: channels whose propensity reads a species that channel `j` changes.
    let dependents: [[Int]]
    /// Species read by general rate laws, whose values must be kept in the compiled model's
    /// memory as the counts change (events bring all of memory up to date themselves).
    let mirroredSpecies: [Int]
    /// Whether some event trigger reads species, so triggers are checked after every firing.
    let hasStateTriggers: Bool
    /// Relationals whose truth an event trigger reads, with the time crossings of the timed ones.
    let triggerRelationals: [Int]
    /// Source ranges of events, by compiled event index, for runtime errors.
    let eventRanges: [SourceRange?]

    public struct StochasticSpecies: Sendable {
        public let name: String
        /// Index of the species' state in the compiled model.
        let stateIndex: Int
        /// Slot of the state (an amount, or the value itself for substance-only species).
        let amountSlot: Int
        /// Slot expressions read (the concentration, or the amount for substance-only species).
        let valueSlot: Int
        /// Molecules per unit of the value expressions read (Ω·size, or Ω).
        public let moleculesPerValue: Double
    }

    /// One direction of one reaction.
    public struct Channel: Sendable {
        public let name: String
        /// Index of the reaction in the pathway, and which part of its rate law this channel fires.
        public let reaction: Int
        public let part: LawPart
        /// Net change of each species when the channel fires once.
        public let changes: [(species: Int, delta: Int)]
        public let propensity: Propensity
        /// Species consumed with their multiplicities, and the order of the propensity, for
        /// tau-leaping's step selection.
        let reactants: [(species: Int, count: Int)]
        let range: SourceRange?
    }

    /// The whole rate law, or one side of a reversible law written `F − B`.
    public enum LawPart: Sendable { case whole, forward, reverse }

    public enum Propensity: Sendable {
        /// `coefficient·Ω / Π(moleculesPerValue)^order × Π falling factorials`, where
        /// `coefficient` is the rate law's species-free factor.
        case massAction(coefficient: Symbolic, factors: [(species: Int, order: Int)])
        /// `Ω × rate law` over the current values (rules inlined).
        case general(Symbolic)
        public var isMassAction: Bool { if case .massAction = self { true } else { false } }
    }

    /// Builds the stochastic form of `pathway`, compiled as `compiled`; throws, naming each
    /// construct that cannot be simulated with integer molecule counts. With `continuousChange`
    /// (the hybrid method, whose deterministic part integrates them) rate rules, laws that
    /// read time and any event trigger are allowed.
    public init(pathway: Pathway, compiled: CompiledModel, scale: MoleculeScale, continuousChange: Bool = false) throws(DiagnosticsError) {
        guard scale.moleculesPerAmount.isFinite, scale.moleculesPerAmount > 0 else {
            throw DiagnosticsError(.error("the volume must be positive and finite (got \(scale.moleculesPerAmount) molecules per amount unit)"))
        }
        var builder = Builder(pathway: pathway, compiled: compiled, scale: scale)
        builder.continuousChange = continuousChange
        try builder.build()
        self.compiled = compiled
        self.scale = scale
        species = builder.species
        channels = builder.channels
        dependents = builder.dependents()
        mirroredSpecies = builder.mirrored.sorted()
        hasStateTriggers = builder.hasStateTriggers
        triggerRelationals = builder.triggerRelationals
        eventRanges = compiled.events.map { e in pathway.events.first { $0.id == e.id }?.range }
    }

    /// Index of the species named `name`, if its count is simulated.
    public func speciesIndex(_ name: String) -> Int? { species.firstIndex { $0.name == name } }
}

/// Translates the compiled model into channels, collecting every reason it cannot be made
/// stochastic before throwing.
private struct Builder {
    let pathway: Pathway
    let compiled: CompiledModel
    let scale: MoleculeScale
    var continuousChange = false
    var diagnostics = DiagnosticCollector()
    var species: [StochasticModel.StochasticSpecies] = []
    var speciesOfValueSlot: [Int: Int] = [:]
    var channels: [StochasticModel.Channel] = []
    /// Species each channel's propensity reads.
    var reads: [Set<Int>] = []
    var mirrored = Set<Int>()
    var hasStateTriggers = false
    var triggerRelationals: [Int] = []
    /// Expressions of rules and reaction rates by slot, inlined into rate laws.
    var inlinable: [Int: Symbolic] = [:]

    init(pathway: Pathway, compiled: CompiledModel, scale: MoleculeScale) {
        self.pathway = pathway; self.compiled = compiled; self.scale = scale
    }

    mutating func build() throws(DiagnosticsError) {
        if !continuousChange { rejectContinuousChange() }
        try diagnostics.throwIfErrors()
        collectSpecies()
        for v in compiled.assignedValues where v.kind != .concentration { inlinable[v.slot] = v.expression }
        for (i, r) in pathway.reactions.enumerated() { addChannels(reaction: r, index: i) }
        checkEvents()
        try diagnostics.throwIfErrors()
    }

    /// Rate rules and size-changing compartments make values drift between firings, which
    /// the exact method cannot represent.
    mutating func rejectContinuousChange() {
        let speciesIDs = Set(pathway.species.map(\.id))
        for rule in pathway.rateRules {
            let what = speciesIDs.contains(rule.variable) ? "species" : "variable"
            diagnostics.error("rate rule on \(what) '\(rule.variable)' cannot be simulated stochastically: between reaction firings nothing may change continuously",
                              at: rule.range, hint: "write the change as a reaction, or simulate deterministically (--method ode)")
        }
        let compartmentIDs = Set(pathway.compartments.map(\.id))
        for rule in pathway.assignmentRules where compartmentIDs.contains(rule.variable) {
            diagnostics.error("compartment '\(rule.variable)' has an assignment rule; stochastic simulation needs fixed compartment sizes to turn counts into concentrations",
                              at: rule.range)
        }
        for e in pathway.events {
            for a in e.assignments where compartmentIDs.contains(a.variable) {
                diagnostics.error("event '\(e.id)' assigns compartment '\(a.variable)'; stochastic simulation needs fixed compartment sizes",
                                  at: a.range ?? e.range)
            }
        }
    }

    mutating func collectSpecies() {
        let omega = scale.moleculesPerAmount
        let probe = ModelInstance(compiled)
        _ = probe.initialState()
        for s in pathway.species where !s.isBoundary && !s.isConstant {
            guard let stateIndex = compiled.states.firstIndex(where: { $0.name == s.id }) else { continue }
            let state = compiled.states[stateIndex]
            let index = species.count
            switch state.kind {
            case .amount(let concentrationSlot, let sizeSlot):
                species.append(.init(name: s.id, stateIndex: stateIndex, amountSlot: state.slot, valueSlot: concentrationSlot,
                                     moleculesPerValue: omega * probe.value(ofSlot: sizeSlot)))
                speciesOfValueSlot[concentrationSlot] = index
            case .raw:
                species.append(.init(name: s.id, stateIndex: stateIndex, amountSlot: state.slot, valueSlot: state.slot,
                                     moleculesPerValue: omega))
                speciesOfValueSlot[state.slot] = index
            }
        }
    }

    /// `e` with rules and reaction rates replaced by their expressions, so it reads only
    /// time, plain values and species.
    func inlined(_ e: Symbolic) -> Symbolic {
        switch e {
        case .constant: return e
        case .slot(let s): return inlinable[s].map(inlined) ?? e
        case .unary(let f, let a): return .make(f, inlined(a))
        case .binary(let f, let a, let b): return .make(f, inlined(a), inlined(b))
        case .select(let c, let a, let b): return .select(inlined(c), then: inlined(a), else: inlined(b))
        }
    }

    func speciesRead(by e: Symbolic) -> Set<Int> { Set(e.slots.compactMap { speciesOfValueSlot[$0] }) }

    mutating func addChannels(reaction r: Reaction, index: Int) {
        guard let rateSlot = compiled.symbols[r.id],
              let rate = compiled.assignedValues.first(where: { $0.slot == rateSlot })?.expression else { return }
        var net: [Int: Int] = [:]
        var consumed: [Int: Int] = [:]
        var produced: [Int: Int] = [:]
        for (refs, sign) in [(r.reactants, -1), (r.products, 1)] {
            for ref in refs {
                guard ref.stoichiometryExpression == nil, ref.stoichiometry == ref.stoichiometry.rounded() else {
                    diagnostics.error("reaction '\(r.id)' has a non-integer or computed stoichiometry for '\(ref.species)'; molecule counts change by whole numbers",
                                      at: ref.range ?? r.range)
                    continue
                }
                guard let i = species.firstIndex(where: { $0.name == ref.species }) else { continue }
                let n = Int(ref.stoichiometry)
                net[i, default: 0] += sign * n
                if sign < 0 { consumed[i, default: 0] += n } else { produced[i, default: 0] += n }
            }
        }
        let law = inlined(rate)
        if law.slots.contains(0) && !continuousChange {
            diagnostics.error("the rate law of reaction '\(r.id)' depends on time; exact stochastic simulation needs propensities that change only when molecules or events change them",
                              at: r.range, hint: "drive time-dependent inputs with events (e.g. at time > t0: S = …)")
            return
        }
        let changes = net.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { (species: $0.key, delta: $0.value) }
        // A reversible reaction written as forward minus backward rate gives both directions
        // their own noise, rather than firing only the net flux.
        if r.isReversible, case .binary(.subtract, let forward, let backward) = law {
            append(name: r.id, reaction: index, part: .forward, law: forward, changes: changes, reactants: consumed, range: r.range)
            append(name: r.id + "_reverse", reaction: index, part: .reverse, law: backward, changes: changes.map { ($0.species, -$0.delta) },
                   reactants: produced, range: r.range)
        } else {
            append(name: r.id, reaction: index, part: .whole, law: law, changes: changes, reactants: consumed, range: r.range)
        }
    }

    mutating func append(name: String, reaction: Int, part: StochasticModel.LawPart, law: Symbolic, changes: [(species: Int, delta: Int)],
                         reactants: [Int: Int], range: SourceRange?) {
        let reactantList = reactants.sorted { $0.key < $1.key }.map { (species: $0.key, count: $0.value) }
        let propensity: StochasticModel.Propensity
        if let coefficient = massActionCoefficient(law, reactants: reactants) {
            propensity = .massAction(coefficient: coefficient, factors: reactantList.map { ($0.species, $0.count) })
        } else {
            propensity = .general(law)
            mirrored.formUnion(speciesRead(by: law))
        }
        reads.append(speciesRead(by: law))
        channels.append(.init(name: name, reaction: reaction, part: part, changes: changes, propensity: propensity, reactants: reactantList, range: range))
    }

    /// The species-free factor `K` when `law` is `K·Π[Xᵢ]^νᵢ` with exactly the reactants'
    /// multiplicities, else nil. Only products and quotients by species-free terms are
    /// taken apart; anything else is a general law.
    func massActionCoefficient(_ law: Symbolic, reactants: [Int: Int]) -> Symbolic? {
        var orders: [Int: Int] = [:]
        var coefficient = Symbolic.constant(1)
        func split(_ e: Symbolic) -> Bool {
            switch e {
            case .binary(.multiply, let a, let b): return split(a) && split(b)
            case .binary(.divide, let a, let b) where speciesRead(by: b).isEmpty:
                guard split(a) else { return false }
                coefficient = .make(.divide, coefficient, b)
                return true
            case .slot(let s) where speciesOfValueSlot[s] != nil:
                orders[speciesOfValueSlot[s]!, default: 0] += 1
                return true
            case .binary(.power, .slot(let s), .constant(let n)) where speciesOfValueSlot[s] != nil && n >= 1 && n <= 3 && n == n.rounded():
                orders[speciesOfValueSlot[s]!, default: 0] += Int(n)
                return true
            default:
                guard speciesRead(by: e).isEmpty else { return false }
                coefficient = .make(.multiply, coefficient, e)
                return true
            }
        }
        guard split(law), orders == reactants, orders.values.reduce(0, +) <= 3 else { return nil }
        return coefficient
    }

    mutating func checkEvents() {
        let relationals = compiled.relationals
        var readByTriggers = Set<Int>()
        for (k, r) in relationals.enumerated() where r.truthSlot != nil {
            triggerRelationals.append(k)
            let read = speciesRead(by: inlined(r.function))
            readByTriggers.formUnion(read)
            if case .root = r.timing, inlined(r.function).slots.contains(0), !continuousChange {
                let event = compiled.events.first { $0.trigger.slots.contains(r.truthSlot!) }
                diagnostics.error("the trigger of event '\(event?.id ?? "?")' compares time with a changing quantity; stochastic simulation lands only time-only triggers and state triggers exactly",
                                  at: pathway.events.first { $0.id == event?.id }?.range)
            }
        }
        for e in compiled.events { readByTriggers.formUnion(speciesRead(by: inlined(e.trigger))) }
        hasStateTriggers = !readByTriggers.isEmpty
    }

    func dependents() -> [[Int]] {
        channels.map { c in
            let changed = Set(c.changes.map(\.species))
            return reads.indices.filter { !reads[$0].isDisjoint(with: changed) }
        }
    }
}
