public import PathwayModel
public import ModelCompiler
public import Simulation
public import SourceDiagnostics
import KinapseUtilities

/// Slow channels fired one at a time beside a deterministic model, as Salis & Kaznessis
/// (2005, J Chem Phys 122:054103) do: one extra state R integrates the total propensity,
/// R′ = Σⱼ|aⱼ|, and a channel fires when R reaches ξ ~ Exp(1), located by CVODES' root
/// finding as the event `R ≥ ξ`; the channel is drawn with probability |aⱼ|/Σ|aⱼ| at that
/// instant, R is reset and ξ redrawn. ∫Σ|aⱼ|dt = ξ is the exact law of the next firing of a
/// Poisson process whose rate changes with time, so the jumps are exact given the
/// deterministic part, whatever it does between them (stimuli, voltages, fast reactions).
public struct JumpSet: Sendable {
    public struct Channel: Sendable {
        public let name: String
        /// Signed propensity in firings per unit of model time; a negative one fires in reverse.
        public let propensity: Expression
        public let changes: [Change]
        public let range: SourceRange?

        public init(name: String, propensity: Expression, changes: [Change], range: SourceRange?) {
            self.name = name; self.propensity = propensity; self.changes = changes; self.range = range
        }
    }

    /// What one firing does to one state variable.
    public struct Change: Sendable {
        public let state: String
        /// Molecules (or other counted units) added.
        public let delta: Int
        /// Molecules per unit of the state's value (an amount state: Ω; a count: 1).
        public let moleculesPerValue: Double
        /// Whether only jumps change the variable, so it is kept a whole count exactly.
        public let isDiscrete: Bool

        public init(state: String, delta: Int, moleculesPerValue: Double, isDiscrete: Bool) {
            self.state = state; self.delta = delta; self.moleculesPerValue = moleculesPerValue; self.isDiscrete = isDiscrete
        }
    }

    public let channels: [Channel]

    public init(channels: [Channel]) { self.channels = channels }

    static let prefix = "kinapse_jump_"
    static let counter = prefix + "R", threshold = prefix + "xi", event = prefix + "fire"

    /// `pathway` with the machinery added: one assignment rule per channel for its signed
    /// propensity, the counter R with its rate rule, ξ and the event `R ≥ ξ`. The rate
    /// rules of `counted` variables (split into channels by `channels(splitting:)`) become
    /// zero, so that only jumps move them.
    public func installed(in pathway: Pathway, counting counted: Set<String> = []) throws(DiagnosticsError) -> Pathway {
        let names = pathway.species.map(\.id) + pathway.parameters.map(\.id) + pathway.compartments.map(\.id) + pathway.reactions.map(\.id)
        if let clash = names.first(where: { $0.hasPrefix(Self.prefix) }) {
            throw DiagnosticsError(.error("'\(clash)' begins with '\(Self.prefix)', which stochastic jumps keep for their own quantities", hint: "rename it"))
        }
        var derived = pathway
        for i in derived.rateRules.indices where counted.contains(derived.rateRules[i].variable) { derived.rateRules[i].expression = .number(0) }
        var total: Expression?
        for (k, c) in channels.enumerated() {
            let name = Self.prefix + "a\(k)"
            derived.parameters.append(Parameter(id: name, value: nil, isConstant: false))
            derived.assignmentRules.append(Rule(variable: name, expression: c.propensity, range: c.range))
            let magnitude = Expression.call("abs", [.symbol(name, nil)], nil)
            total = total.map { .binary(.add, $0, magnitude) } ?? magnitude
        }
        derived.parameters.append(Parameter(id: Self.counter, value: .number(0), isConstant: false))
        derived.parameters.append(Parameter(id: Self.threshold, value: .number(1), isConstant: false))
        derived.rateRules.append(Rule(variable: Self.counter, expression: total ?? .number(0)))
        derived.events.append(Event(id: Self.event, trigger: .binary(.greaterEqual, .symbol(Self.counter, nil), .symbol(Self.threshold, nil)),
                                    initialValue: false, useValuesFromTriggerTime: false,
                                    assignments: [.init(variable: Self.counter, expression: .number(0))]))
        return derived
    }

    /// The installed machinery located in `compiled` (a model compiled from `installed(in:)`).
    public func bound(to compiled: CompiledModel) -> Bound {
        Bound(event: compiled.events.firstIndex { $0.id == Self.event }!,
              propensitySlots: channels.indices.map { compiled.symbols[Self.prefix + "a\($0)"]! },
              counterState: compiled.states.firstIndex { $0.name == Self.counter }!,
              thresholdSlot: compiled.symbols[Self.threshold]!,
              changes: channels.map { c in
                  c.changes.map { ch in (compiled.states.firstIndex { $0.name == ch.state }!, Double(ch.delta), ch.moleculesPerValue, ch.isDiscrete) }
              },
              channels: self)
    }

    /// Indices into one compiled model.
    public struct Bound: Sendable {
        let event: Int
        let propensitySlots: [Int]
        let counterState: Int
        let thresholdSlot: Int
        let changes: [[(state: Int, delta: Double, moleculesPerValue: Double, isDiscrete: Bool)]]
        let channels: JumpSet

        /// The initial value of ξ for a trial, as an override by name.
        public static func threshold(_ generator: inout SeededGenerator) -> (name: String, value: Double) {
            (JumpSet.threshold, generator.nextExponential(rate: 1))
        }
    }
}

/// Fires the jumps of one trial as the simulator's event action.
public final class JumpAction: EventAction {
    let jumps: JumpSet.Bound
    public var generator: SeededGenerator
    public private(set) var firings = 0
    /// The first impossible firing (a count taken below zero), reported after the run.
    public private(set) var failure: StochasticRunError?

    public init(_ jumps: JumpSet.Bound, generator: SeededGenerator) {
        self.jumps = jumps
        self.generator = generator
    }

    public func executed(event: Int, state: inout [Double], instance: ModelInstance) {
        guard event == jumps.event else { return }
        let slots = jumps.propensitySlots
        var total = 0.0
        for slot in slots { total += Swift.abs(instance.value(ofSlot: slot)) }
        if total > 0 {
            // Channel k with probability |aₖ|/Σ|a|; round-off past the end takes the last positive one.
            var r = generator.nextUniform() * total
            var k = 0
            while k < slots.count - 1 && r >= Swift.abs(instance.value(ofSlot: slots[k])) {
                r -= Swift.abs(instance.value(ofSlot: slots[k]))
                k += 1
            }
            while k > 0 && instance.value(ofSlot: slots[k]) == 0 { k -= 1 }
            let direction = instance.value(ofSlot: slots[k]) < 0 ? -1.0 : 1.0
            for change in jumps.changes[k] {
                var molecules = state[change.state] * change.moleculesPerValue + direction * change.delta
                if change.isDiscrete { molecules = molecules.rounded() }
                if molecules < -0.5 && failure == nil {
                    let c = jumps.channels.channels[k]
                    failure = StochasticRunError(.error(
                        "'\(c.name)' fired at time \(instance.value(ofSlot: 0)) with no '\(c.changes.first { $0.delta < 0 }?.state ?? "?")' left to consume: its rate is not zero when the count runs out",
                        at: c.range, hint: "make the rate vanish at zero count (e.g. proportional to the consumed species)"))
                }
                state[change.state] = molecules / change.moleculesPerValue
            }
            firings += 1
        }
        state[jumps.counterState] = 0
        instance.setValue(generator.nextExponential(rate: 1), slot: jumps.thresholdSlot)
    }
}

extension JumpSet {
    /// Channels for the rate rule `rule` of a variable counted in whole units
    /// (`moleculesPerValue` of them per unit of its value): the rule's right-hand side
    /// expanded into a sum of signed terms, each term a channel that adds (or, for a minus
    /// sign, removes) one unit at its rate. A term that turns negative fires in reverse.
    public static func channels(splitting rule: Rule, moleculesPerValue: Double) -> [Channel] {
        signedTerms(rule.expression).enumerated().map { k, t in
            Channel(name: "\(rule.variable)'s term \(k + 1)", propensity: .binary(.multiply, .number(moleculesPerValue), t.term),
                    changes: [Change(state: rule.variable, delta: t.sign, moleculesPerValue: moleculesPerValue, isDiscrete: true)],
                    range: rule.range)
        }
    }

    /// `e` as Σ sᵢ·tᵢ with sᵢ = ±1: sums, differences and negations taken apart, products
    /// multiplied out, quotients split by their numerator.
    static func signedTerms(_ e: Expression) -> [(sign: Int, term: Expression)] {
        switch e {
        case .binary(.add, let a, let b): return signedTerms(a) + signedTerms(b)
        case .binary(.subtract, let a, let b): return signedTerms(a) + signedTerms(b).map { (-$0.sign, $0.term) }
        case .unary(.negate, let a): return signedTerms(a).map { (-$0.sign, $0.term) }
        case .binary(.multiply, let a, let b):
            let right = signedTerms(b)
            return signedTerms(a).flatMap { x in right.map { y in (x.sign * y.sign, Expression.binary(.multiply, x.term, y.term)) } }
        case .binary(.divide, let a, let b): return signedTerms(a).map { ($0.sign, .binary(.divide, $0.term, b)) }
        default: return [(1, e)]
        }
    }
}
