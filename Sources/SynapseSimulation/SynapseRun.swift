public import SourceDiagnostics
import class Foundation.FileManager
public import PathwayModel
import AntimonyFrontEnd
public import ModelCompiler
import NativeCode
public import Simulation
public import KineticsCore
public import CVODEIntegration
public import InductionProtocols
public import SynapseModel

/// A protocol run on a synapse: what `kinapse simulate SYNAPSE --protocol NAME` does.
public struct SynapseRunRequest: Sendable {
    public var synapse: SynapseDefinition
    /// The synapse's pathway, loaded by the caller (`SynapseDefinition.loadModel()`).
    public var model: Pathway
    public var protocolDefinition: InductionProtocol
    /// Names of blockers (declared by the synapse) applied throughout, each at the
    /// concentration the synapse declares for it.
    public var blockers: [String]
    /// Drugs (blockers the synapse declares with an IC50) at chosen concentrations (µM).
    public var drugs: [(name: String, concentration: Double)] = []
    public var overrides: [(name: String, value: Double)]
    public var options: IntegratorOptions
    /// Spacing of the time-course output; test stimuli always fall on it.
    public var outputStep: Double?
    /// Seconds the blocked synapse settles, unstimulated, before the baseline (only with blockers).
    public var preincubation: Double = 1800
    /// Model parameters to differentiate the readouts and time courses with respect to
    /// (see docs/sensitivities.md); empty: no sensitivities, and the run is unchanged.
    public var sensitivityParameters: [String] = []
    /// How CVODES corrects the sensitivities (see `SimulationRequest.sensitivityMethod`).
    public var sensitivityMethod: SensitivityMethod = .staggered
    /// Run the model as native code (`NativeCode.compile`): same results, faster.
    public var nativeCode = false
    /// Compile the protocol's pairing with its timing left to two model parameters
    /// (`PreparedSynapseRun.pairingOffsetParameters`), so one prepared run serves every
    /// pairing interval: run each with `PreparedSynapseRun.pairingOverrides(deltaT:)`.
    public var offsetPairing = false
    /// For a synapse with a [recording]: record every column in the test stimuli's sweeps
    /// (the samples every `sampling` s around each spike). False: the sweeps record only
    /// what the readouts read, and the result's trajectory is the time course alone (every
    /// `outputStep` s; `timeCourseRows` nil), with the same readouts, in less time.
    public var recordsTestTraces = true
    /// Applied to the pathway of the protocol run (stimuli added, after the settling),
    /// e.g. to add the jumps of the hybrid stochastic method.
    public var pathwayTransform: (@Sendable (Pathway) throws(DiagnosticsError) -> Pathway)?

    /// `options` nil: the synapse's own (`SynapseDefinition.integratorOptions`).
    public init(synapse: SynapseDefinition, model: Pathway, protocolDefinition: InductionProtocol, blockers: [String] = [],
                overrides: [(name: String, value: Double)] = [], options: IntegratorOptions? = nil,
                outputStep: Double? = nil) {
        self.synapse = synapse; self.model = model; self.protocolDefinition = protocolDefinition; self.blockers = blockers
        self.overrides = overrides; self.options = options ?? synapse.integratorOptions; self.outputStep = outputStep
    }
}

extension SynapseDefinition {
    /// The library's solver defaults with the synapse's `[solver]` settings in their place.
    public var integratorOptions: IntegratorOptions {
        var options = IntegratorOptions()
        if let rtol = solver.relative { options.relativeTolerance = rtol }
        if let atol = solver.absolute { options.absoluteTolerance = atol }
        options.stepsPerJacobian = solver.stepsPerJacobian
        return options
    }
}

/// The readout of one test stimulus.
public struct TestReadout: Sendable {
    public var time: Double
    public var phase: Phase
    public var response: TestResponse
    /// Mean amplitude as a percentage of the baseline mean.
    public var normalisedAmplitude: Double
    /// Derivatives of this readout with respect to the request's `sensitivityParameters`.
    public var sensitivities: ReadoutSensitivities?
    /// The simulated pair of spikes, for a biophysical synapse.
    public var recorded: RecordedResponse?

    /// The amplitude the summary compares: the recorded IPSC (pA) or IPSP (mV) of a
    /// biophysical synapse, else the quantal model's mean peak conductance (nS).
    public var amplitude: Double { recorded?.amplitude ?? response.meanConductance }

    public enum Phase: String, Sendable { case baseline, followUp = "follow-up" }
}

/// Derivatives of one test readout: element k of each array is ∂(quantity)/∂p_k for the
/// k-th of the request's `sensitivityParameters`.
public struct ReadoutSensitivities: Sendable {
    /// ∂(normalisedAmplitude)/∂p_k, percent per unit of p_k (quotient rule through the baseline mean).
    public var normalisedAmplitude: [Double]
    /// ∂(paired-pulse ratio)/∂p_k.
    public var pairedPulseRatio: [Double]
    /// ∂(mean conductance)/∂p_k, nS per unit of p_k.
    public var meanConductance: [Double]
    /// ∂Pr/∂p_k and ∂N/∂p_k, from which the others follow.
    public var releaseProbability: [Double]
    public var receptors: [Double]
}

public struct SynapseRunResult: Sendable {
    public var trajectory: Trajectory
    public var readouts: [TestReadout]
    public var summary: PlasticitySummary?
    public var statistics: SolverStatistics
    public var eventsExecuted: Int
    public var failure: SimulationFailure?
    public var compiledStateCount: Int
    /// ∂(time course)/∂p_k for the columns of `trajectory`, when sensitivities were requested.
    public var sensitivities: SensitivityTrajectory?
    /// For a biophysical synapse, the rows of `trajectory` on its regular output grid (every
    /// `outputStep` s), without the dense sweeps around each test stimulus; nil: every row is.
    public var timeCourseRows: [Int]? = nil
}

public enum SynapseRunError: Error, Sendable, CustomStringConvertible {
    case diagnostics(DiagnosticsError)
    case request(String, hint: String?)

    public var description: String {
        switch self {
        case .diagnostics(let e): e.description
        case .request(let m, let hint): hint.map { "\(m)\nhint: \($0)" } ?? m
        }
    }
}

extension SynapseDefinition {
    /// Reads the synapse's pathway (its `model = …` file), once, where a command or reader
    /// loads its inputs; runs take the loaded pathway. A missing file is the synapse file's
    /// mistake, so the error points at its `model` line.
    public func loadModel() throws(DiagnosticsError) -> Pathway {
        if let range = modelPathRange, !FileManager.default.fileExists(atPath: modelPath) {
            let written = range.text.trimmingCharacters(in: ["\""])
            let hint = Suggestions.closestFile(to: modelPath).map { "did you mean '\(Suggestions.sibling($0, of: written))'?" }
            throw DiagnosticsError(.error("cannot find the model '\(written)' (looked for '\(modelPath)')", at: range, hint: hint))
        }
        return try AntimonyLoader.load(path: modelPath)
    }
}

public enum SynapseRunner {
    /// Compiles and runs in one go. To run one synapse and protocol many times (fitting,
    /// sweeps of parameter values), prepare it once with `PreparedSynapseRun`.
    public static func run(_ request: SynapseRunRequest) throws(SynapseRunError) -> SynapseRunResult {
        try PreparedSynapseRun(request).run()
    }

    /// The checks a run makes of a synapse before it starts, without a protocol: the
    /// recording's symbols, every blocker's targets, and the receptors (and, for a quantal
    /// synapse, release probability) the readouts read, in the compiled model. For
    /// `kinapse check`, so that a synapse it calls OK also runs.
    public static func validate(_ synapse: SynapseDefinition, model pathway: Pathway) throws(SynapseRunError) {
        var diagnostics = DiagnosticCollector()
        let names = definedNames(pathway)
        if let recording = synapse.recording {
            RecordedTests.validate(recording, synapse: synapse, pathway: pathway, names: names, &diagnostics)
        }
        let effects = DrugEffect.effects(on: synapse, blockers: synapse.blockers.keys.sorted(), drugs: [], names: names, &diagnostics)
        validateTargets(synapse, pathway: pathway, &diagnostics)
        do { try diagnostics.throwIfErrors() } catch { throw .diagnostics(error) }
        let targets = try effects.get()
        let model: CompiledModel
        do { model = try ModelCompiler.compile(pathway) } catch { throw .diagnostics(error) }
        try checkReadSymbols(of: synapse, in: model)
        // A blocker that sets a rule-computed value fails only when applied; say so here.
        do { _ = try model.overrideSlots(targets.map { (name: $0.target, value: $0.full) }) } catch {
            throw .request("a blocker of synapse '\(synapse.name)' " + error.message, hint: error.hint)
        }
    }

    /// The symbols the readouts read must be in the compiled model (assignment rules count).
    static func checkReadSymbols(of synapse: SynapseDefinition, in model: CompiledModel) throws(SynapseRunError) {
        for symbol in synapse.isBiophysical ? [synapse.receptors] : [synapse.releaseProbability, synapse.receptors]
        where model.symbols[symbol.value] == nil {
            throw .diagnostics(DiagnosticsError(Diagnostic(
                .error, "the model '\(model.name)' defines no '\(symbol.value)'", at: symbol.range ?? synapse.modelPathRange,
                hints: ["define it as an assignment rule in \(synapse.modelPath), e.g. '\(symbol.value) := …'"])))
        }
    }

    /// What a synapse file may name in its pathway: species, parameters and compartments.
    public static func definedNames(_ pathway: Pathway) -> Set<String> {
        Set(pathway.species.map(\.id) + pathway.parameters.map(\.id) + pathway.compartments.map(\.id))
    }

    /// `validateStimuli` on its own, for a command that checks a protocol before it runs it.
    public static func checkStimuli(of synapse: SynapseDefinition, in proto: InductionProtocol, model: Pathway) throws(DiagnosticsError) {
        var diagnostics = DiagnosticCollector()
        validateStimuli(synapse, proto, &diagnostics)
        validateTargets(synapse, pathway: model, &diagnostics)
        try diagnostics.throwIfErrors()
    }

    /// Every stimulus the protocol uses must be one the synapse maps, as a pulse or a step as
    /// the mapping allows.
    static func validateStimuli(_ synapse: SynapseDefinition, _ proto: InductionProtocol, _ d: inout DiagnosticCollector) {
        for block in proto.induction {
            for name in block.stimulusNames where synapse.stimuli[name] == nil {
                let known = synapse.stimuli.keys.sorted()
                d.add(Diagnostic(.error, "protocol '\(proto.name)' uses stimulus '\(name)', which synapse '\(synapse.name)' does not define",
                                 at: block.stimulusNameRanges[name] ?? block.stimulusRange,
                                 hints: [Suggestions.didYouMean(name, among: known) ?? "stimuli of this synapse: \(known.joined(separator: ", "))"]))
            }
            if case .step = block.pattern, let mapping = synapse.stimuli[block.stimulus],
               mapping.actions.contains(where: { if case .increment = $0 { return true } else { return false } }) {
                d.add(Diagnostic(.error, "stimulus '\(block.stimulus)' is a pulse (it has increments), but the protocol holds it as a step",
                                 at: block.stimulusRange, hints: ["give the stimulus 'hold = { … }' in the synapse file, or use a train"]))
            }
            let isStep: Bool = if case .step = block.pattern { true } else { false }
            for name in block.stimulusNames where !isStep {
                guard let mapping = synapse.stimuli[name], mapping.actions.contains(where: \.isHeldSquare) else { continue }
                d.add(Diagnostic(.error, "stimulus '\(name)' injects for the length of a step (it has no 'width'), but the protocol gives it as pulses",
                                 at: block.stimulusNameRanges[name] ?? block.stimulusRange,
                                 hints: ["give its 'step' a 'width' in seconds, or use pattern = \"step\""]))
            }
        }
    }

    /// What the synapse's stimuli act on must be values a run can set: defined in the model (a
    /// reaction is not) and not computed by an assignment rule (an event cannot assign it).
    /// Blockers' values are checked after settling (`checkHeld`).
    static func validateTargets(_ synapse: SynapseDefinition, pathway: Pathway, _ d: inout DiagnosticCollector) {
        let names = definedNames(pathway)
        let computed = Set(pathway.assignmentRules.map(\.variable))
        let reactions = Set(pathway.reactions.map(\.id))
        func undefined(_ what: String, _ name: String, _ range: SourceRange?) {
            let hint = reactions.contains(name) ? "'\(name)' is a reaction; name a species or a parameter"
                : Suggestions.didYouMean(name, among: names)
            d.add(Diagnostic(.error, "\(what) '\(name)', which the model does not define", at: range, hints: hint.map { [$0] } ?? []))
        }
        for mapping in synapse.stimuli.values.sorted(by: { $0.name < $1.name }) {
            for action in mapping.actions {
                let (target, amount): (Located<String>, SynapseDefinition.Amount)
                switch action {
                case .increment(let t, let a), .hold(let t, let a), .square(let t, let a, _): (target, amount) = (t, a)
                }
                if !names.contains(target.value) {
                    undefined("stimulus '\(mapping.name)' acts on", target.value, target.range)
                } else if computed.contains(target.value) {
                    d.add(Diagnostic(.error, "stimulus '\(mapping.name)' acts on '\(target.value)', which an assignment rule computes",
                                     at: target.range, hints: ["act on a value the rule reads; the rule then follows"]))
                }
                if case .parameter(let p, let range) = amount, !names.contains(p) {
                    undefined("stimulus '\(mapping.name)' uses", p, range ?? target.range)
                }
            }
        }
    }

    /// One event per stimulus: increments at pulses; for periods, a set at the start and a
    /// restore at the end of the value the target had just before the start (kept in a
    /// parameter of its own, so a `--set`, rig or blocker value comes back, not the file's).
    /// Time triggers, so the integrator lands on every one exactly.
    static func addStimulusEvents(to pathway: inout Pathway, synapse: SynapseDefinition, schedule: [ScheduledStimulus]) {
        func amountExpression(_ a: SynapseDefinition.Amount) -> Expression {
            switch a {
            case .number(let x): .number(x)
            case .parameter(let p, _): .symbol(p, nil)
            }
        }
        // Everything due at one instant becomes one event whose values are taken before any
        // of it applies, as in a rig where two stimuli at the same moment cannot see each
        // other: increments of one target add up (none is lost), a set value is the base the
        // increments add to, and the order the protocol lists stimuli in does not matter.
        // An instant moved by a parameter (`ScheduledStimulus.offset`) is its own event.
        struct Instant {
            var sets: [String: Expression] = [:]
            /// Ends of holds: the value comes back unless a hold starting now sets another.
            var restores: [String: Expression] = [:]
            /// Starts of holds: the parameter that keeps each target's value from before.
            var saves: [(parameter: String, target: String)] = []
            var increments: [String: [Expression]] = [:]
            var order: [String] = []
            mutating func note(_ name: String) { if !order.contains(name) { order.append(name) } }
        }
        struct When: Hashable, Comparable {
            var time: Double
            var offset: String?
            static func < (a: When, b: When) -> Bool { (a.time, a.offset ?? "") < (b.time, b.offset ?? "") }
        }
        var instants: [When: Instant] = [:]
        func increment(_ name: String, by amount: Expression, at when: When) {
            instants[when, default: Instant()].increments[name, default: []].append(amount)
            instants[when]!.note(name)
        }
        func set(_ name: String, to value: Expression, at when: When) {
            instants[when, default: Instant()].sets[name] = value
            instants[when]!.note(name)
        }
        for s in schedule {
            guard let mapping = synapse.stimuli[s.stimulus] else { continue }
            func at(_ time: Double) -> When { When(time: time, offset: s.offset) }
            for action in mapping.actions {
                switch action {
                case .increment(let target, let amount):
                    increment(target.value, by: amountExpression(amount), at: at(s.time))
                case .hold(let target, let value):
                    set(target.value, to: amountExpression(value), at: at(s.time))
                    if s.duration > 0 {
                        let saved = "\(PreparedSynapseRun.reservedPrefix)held_\(pathway.parameters.count)"
                        pathway.parameters.append(Parameter(id: saved, value: .number(0), isConstant: false))
                        instants[at(s.time)]!.saves.append((saved, target.value))
                        instants[at(s.time + s.duration), default: Instant()].restores[target.value] = .symbol(saved, nil)
                        instants[at(s.time + s.duration)]!.note(target.value)
                    }
                case .square(let target, let amount, let width):
                    increment(target.value, by: amountExpression(amount), at: at(s.time))
                    let end = width.map { s.time + $0 } ?? (s.duration > 0 ? s.time + s.duration : nil)
                    if let end { increment(target.value, by: .unary(.negate, amountExpression(amount)), at: at(end)) }
                }
            }
        }
        for (counter, when) in instants.keys.sorted().enumerated() {
            let instant = instants[when]!
            var assignments = instant.order.map { name in
                let base = instant.sets[name] ?? instant.restores[name] ?? .symbol(name, nil)
                let value = (instant.increments[name] ?? []).reduce(base) { .binary(.add, $0, $1) }
                return Event.Assignment(variable: name, expression: value)
            }
            // A hold that starts as another of the same target ends keeps what that one
            // restores, so back-to-back holds end at the value from before the first.
            assignments += instant.saves.map { save in
                Event.Assignment(variable: save.parameter, expression: instant.restores[save.target] ?? .symbol(save.target, nil))
            }
            // Not true before the start, so a stimulus at t = 0 (the first test spike) fires.
            // A moved instant may meet another (a pairing at Δt = 0): both take their values at
            // that moment, so stimuli of different targets cannot see each other (as in one
            // event), but two increments of one target would keep only one.
            let time: Expression = when.offset.map { .binary(.add, .number(when.time), .symbol($0, nil)) } ?? .number(when.time)
            pathway.events.append(Event(id: "stimulus_\(counter)", trigger: .binary(.greaterEqual, .time, time),
                                        initialValue: false, useValuesFromTriggerTime: true, assignments: assignments))
        }
    }
}

/// A protocol run paused part-way (`PreparedSynapseRun.checkpoint(at:overrides:)`), to be
/// continued by the prepared run that made it, on any thread or process.
public struct SynapseCheckpoint: Sendable {
    let simulation: SimulationCheckpoint
    /// Where the run stopped (s); nil when it failed before.
    public var time: Double? { simulation.time }
}

/// A synapse, protocol and blockers compiled once, to run many times with different
/// parameter values (`run(overrides:)`) without reloading or recompiling the pathway.
///
/// Holds only immutable compiled models (each run makes its own model instances), so one
/// prepared run serves every worker thread.
public struct PreparedSynapseRun: Sendable {
    public private(set) var request: SynapseRunRequest
    /// The blocked, unstimulated model for the pre-incubation (only with blockers).
    private var preincubation: Simulator?
    private var simulator: Simulator
    /// What the blockers and drugs do: each target moved `fraction` of the way to its set value.
    private var drugEffects: [DrugEffect]
    /// The targets' values in the file, where no override sets them.
    private var drugTargetValues: [String: Double] = [:]
    /// The rig's electrode, pipette and channel settings; the request's own overrides win over them.
    private let recordingOverrides: [(name: String, value: Double)]
    private let grid: TimeGrid
    private let step: Double
    private let columns: [String]
    /// Where each test stimulus is read (biophysical synapses only).
    private let samplings: [TestSampling]
    /// The quantities the readouts read (biophysical synapses only).
    private let readoutColumns: [String]
    /// The rows of the output grid every `step` s, without the test stimuli's sweeps.
    private let timeCourseRows: [Int]?
    /// Seconds of unstimulated settling before the baseline: the rig after break-in
    /// (biophysical synapses) and the drugs' pre-incubation.
    private let settleDuration: Double
    /// With `offsetPairing`: the last instant at which every pairing interval's run is still
    /// the same (a stimulus not moved by the offsets, before the first that is), where a
    /// sweep pauses once and continues each interval (`checkpoint(at:overrides:)`); nil when
    /// no stimulus comes before the pairing.
    public let pairingPrefixEnd: Double?

    public init(_ request: SynapseRunRequest) throws(SynapseRunError) {
        self.request = request
        let synapse = request.synapse
        let proto = request.protocolDefinition
        var pathway = request.model
        var diagnostics = DiagnosticCollector()
        let names = SynapseRunner.definedNames(pathway)
        SynapseRunner.validateStimuli(synapse, proto, &diagnostics)
        let drugEffects = DrugEffect.effects(of: request, names: names, &diagnostics)
        SynapseRunner.validateTargets(synapse, pathway: pathway, &diagnostics)
        if let recording = synapse.recording {
            if !request.sensitivityParameters.isEmpty {
                throw .request("sensitivities are not available for a synapse with a [recording]: its test stimuli are simulated spikes, whose peaks the sensitivity equations do not follow",
                               hint: "run without --sensitivities, or compare runs with --set")
            }
            RecordedTests.validate(recording, synapse: synapse, pathway: pathway, names: names, &diagnostics)
            recordingOverrides = recording.values.map { (recording.parameters[$0.setting]!.value, $0.value) }
        } else {
            recordingOverrides = []
        }
        do { try diagnostics.throwIfErrors() } catch { throw .diagnostics(error) }
        self.drugEffects = try drugEffects.get()

        // Drugs are bath-applied before the recording starts, as in a slice experiment:
        // the blocked synapse first settles without stimuli, so the baseline measures the
        // blocked steady state rather than the drug's wash-in.
        // The pairing's offsets are parameters of the settling model too, so one set of
        // overrides serves both.
        var schedule = proto.schedule
        if request.offsetPairing {
            guard let index = proto.pairingBlock, case .pairing(_, _, let deltaT, _, _) = proto.induction[index].pattern else {
                throw .request("protocol '\(proto.name)' has no pairing block to time", hint: "use a protocol with pattern = \"pairing\", e.g. pairing")
            }
            let parameters = Self.pairingOffsetParameters
            for name in [parameters.pre, parameters.post] where names.contains(name) {
                throw .request("the model defines '\(name)', a name kinapse keeps for the timing of a pairing", hint: "rename it in \(synapse.modelPath)")
            }
            for override in Self.pairingOverrides(deltaT: deltaT) {
                pathway.parameters.append(Parameter(id: override.name, value: .number(override.value)))
            }
            schedule = proto.schedule(offsettingPairingOf: index, preOffset: parameters.pre, postOffset: parameters.post)
        }
        settleDuration = (request.blockers.isEmpty && request.drugs.isEmpty ? 0 : request.preincubation) + (synapse.recording?.settle ?? 0)
        var preincubationModel: CompiledModel?
        if settleDuration > 0 {
            do { preincubationModel = try ModelCompiler.compile(pathway) } catch { throw .diagnostics(error) }
        }

        let tests = synapse.recording.map { RecordedTests.schedule(proto, $0) } ?? []
        if let firstMoved = schedule.filter({ $0.offset != nil }).map(\.time).min() {
            pairingPrefixEnd = (schedule + tests).filter { $0.offset == nil && $0.time < firstMoved }.map(\.time).max()
        } else {
            pairingPrefixEnd = nil
        }
        SynapseRunner.addStimulusEvents(to: &pathway, synapse: synapse, schedule: schedule + tests)
        if let transform = request.pathwayTransform {
            do { pathway = try transform(pathway) } catch { throw .diagnostics(error) }
        }

        let model: CompiledModel
        do { model = try ModelCompiler.compile(pathway) } catch { throw .diagnostics(error) }
        try SynapseRunner.checkReadSymbols(of: synapse, in: model)
        simulator = try Self.finish(model, request)
        let targets = self.drugEffects.map(\.target)
        drugTargetValues = Dictionary(zip(targets, model.initialValues(of: targets)), uniquingKeysWith: { a, _ in a })
        preincubation = try preincubationModel.map { model throws(SynapseRunError) in try Self.finish(model, request) }

        // Output grid: a whole number of steps per test interval, so every test time is a grid point.
        let stepsPerInterval = max(1, Int((proto.testInterval / (request.outputStep ?? proto.testInterval / 10)).rounded(.up)))
        step = proto.testInterval / Double(stepsPerInterval)
        let intervals = Int((proto.endTime / proto.testInterval).rounded(.up))
        let end = Double(intervals) * proto.testInterval
        if let recording = synapse.recording {
            (grid, samplings, timeCourseRows) = RecordedTests.grid(proto, recording, step: step, end: end)
            readoutColumns = RecordedTests.columnsRead(recording, receptors: synapse.receptors.value)
            // The states (the cells' voltages and gates are rate rules, not species) and what the rig reads.
            var columns = model.states.map(\.name)
            for symbol in readoutColumns where !columns.contains(symbol) { columns.append(symbol) }
            self.columns = columns
        } else {
            grid = TimeGrid(start: 0, end: end, count: intervals * stepsPerInterval + 1)
            samplings = []
            readoutColumns = []
            timeCourseRows = nil
            var columns = model.defaultColumns
            for symbol in [synapse.releaseProbability.value, synapse.receptors.value] where !columns.contains(symbol) { columns.append(symbol) }
            self.columns = columns
        }
    }

    /// A compiled model made ready for `request`: differentiated for its sensitivity
    /// parameters (a bad name fails here), then as native code when asked.
    private static func finish(_ model: CompiledModel, _ request: SynapseRunRequest) throws(SynapseRunError) -> Simulator {
        var model = model
        if !request.sensitivityParameters.isEmpty {
            do { model = try model.differentiated(with: request.sensitivityParameters) } catch {
                throw .request(error.message, hint: error.hint)
            }
        }
        if request.nativeCode {
            do { model = try NativeCode.compile(model).model } catch {
                throw .request(error.message, hint: error.hint)
            }
        }
        return Simulator(model: model)
    }

    /// Model parameters (s) added to the times of a pairing's pre and post stimuli when the
    /// request asks for `offsetPairing`.
    public static let pairingOffsetParameters = (pre: "\(reservedPrefix)pairing_pre_offset", post: "\(reservedPrefix)pairing_post_offset")

    /// The start of every parameter a run adds to the synapse's pathway (held values, pairing offsets).
    public static let reservedPrefix = "kinapse_"

    /// The overrides that run an `offsetPairing` preparation at `deltaT` (s, post minus pre).
    public static func pairingOverrides(deltaT: Double) -> [(name: String, value: Double)] {
        let values = PairingOffsets.values(deltaT: deltaT)
        return [(pairingOffsetParameters.pre, values.pre), (pairingOffsetParameters.post, values.post)]
    }

    /// This prepared run with its drugs at other concentrations: the same compiled models
    /// (a drug acts through overrides), so a dose–response scan compiles once.
    public func withDrugs(_ drugs: [(name: String, concentration: Double)]) throws(SynapseRunError) -> PreparedSynapseRun {
        var prepared = self
        prepared.request.drugs = drugs
        var diagnostics = DiagnosticCollector()
        let effects = DrugEffect.effects(of: prepared.request, names: Set(simulator.model.symbols.keys), &diagnostics)
        do { try diagnostics.throwIfErrors() } catch { throw .diagnostics(error) }
        prepared.drugEffects = try effects.get()
        let targets = prepared.drugEffects.map(\.target)
        prepared.drugTargetValues = Dictionary(zip(targets, simulator.model.initialValues(of: targets)), uniquingKeysWith: { a, _ in a })
        return prepared
    }

    /// This prepared run with sensitivities for `parameters`: the same compiled models,
    /// differentiated (nothing is reloaded or recompiled from the pathway).
    public func differentiated(with parameters: [String]) throws(SynapseRunError) -> PreparedSynapseRun {
        if request.synapse.isBiophysical, !parameters.isEmpty {
            throw .request("sensitivities are not available for a synapse with a [recording]: its test stimuli are simulated spikes, whose peaks the sensitivity equations do not follow",
                           hint: "compare runs with --set instead")
        }
        var prepared = self
        prepared.request.sensitivityParameters = parameters
        prepared.simulator = try Self.finish(simulator.model, prepared.request)
        prepared.preincubation = try preincubation.map { p throws(SynapseRunError) in
            try Self.finish(p.model, prepared.request)
        }
        return prepared
    }

    /// This prepared run without sensitivities: the same (possibly differentiated) models,
    /// whose plain runs are bit for bit those of models never differentiated.
    public var withoutSensitivities: PreparedSynapseRun {
        var prepared = self
        prepared.request.sensitivityParameters = []
        return prepared
    }

    /// The compiled model of the main run (with the protocol's stimulus events), e.g. for
    /// `differentiableParameters` and `initialValues(of:)`.
    public var model: CompiledModel { simulator.model }

    /// The parameters `--sensitivities all` differentiates: the model's own, not those the
    /// run added (`reservedPrefix`).
    public var sensitivityCandidates: [String] { model.differentiableParameters.filter { !$0.hasPrefix(Self.reservedPrefix) } }

    /// Runs the prepared protocol. `overrides` are applied after the request's own (and
    /// before the blockers', which always win), e.g. the parameter values of a fit;
    /// `protocolOverrides` only to the protocol run (values the settling model lacks), and
    /// `eventAction` is called at its events.
    public func run(overrides extra: [(name: String, value: Double)] = [], protocolOverrides: [(name: String, value: Double)] = [],
                    eventAction: (any EventAction)? = nil) throws(SynapseRunError) -> SynapseRunResult {
        let simulationRequest = try mainRequest(overrides: extra, protocolOverrides: protocolOverrides)
        let simulation: SimulationResult
        do {
            simulation = try simulator.run(simulationRequest, eventAction: eventAction)
        } catch {
            throw .request(error.message, hint: error.hint)
        }
        return try result(of: simulation)
    }

    /// Runs the prepared protocol up to `time` (s), settling included, to be continued by
    /// `run(from:overrides:)`, as often as wanted, with overrides that change only what comes
    /// later (e.g. `pairingOverrides` when `time` is `pairingPrefixEnd`). Not with sensitivities.
    public func checkpoint(at time: Double, overrides extra: [(name: String, value: Double)] = []) throws(SynapseRunError) -> SynapseCheckpoint {
        let simulationRequest = try mainRequest(overrides: extra)
        do {
            return SynapseCheckpoint(simulation: try simulator.run(simulationRequest, pausingAt: time))
        } catch {
            throw .request(error.message, hint: error.hint)
        }
    }

    /// Continues `checkpoint` (made by this prepared run) to the end of the protocol with
    /// `extra` set at the checkpoint: the result is the whole run's.
    public func run(from checkpoint: SynapseCheckpoint, overrides extra: [(name: String, value: Double)] = []) throws(SynapseRunError) -> SynapseRunResult {
        let simulation: SimulationResult
        do {
            simulation = try simulator.resume(checkpoint.simulation, overrides: extra)
        } catch {
            throw .request(error.message, hint: error.hint)
        }
        return try result(of: simulation)
    }

    /// The main run's request: the overrides in their order of precedence, and the settled
    /// state (with its sensitivities) when the synapse settles first.
    private func mainRequest(overrides extra: [(name: String, value: Double)],
                             protocolOverrides: [(name: String, value: Double)] = []) throws(SynapseRunError) -> SimulationRequest {
        let parameters = request.sensitivityParameters
        let given = recordingOverrides + request.overrides + extra
        let blockerOverrides = DrugEffect.overrides(drugEffects, given: given, fileValues: drugTargetValues)
        var overrides = given + blockerOverrides
        // A value a blocker sets does not move with the parameter it is (the drug wins).
        var initialSensitivities: [String: [Double]] = [:]
        if !parameters.isEmpty {
            for (name, _) in blockerOverrides { initialSensitivities[name] = [Double](repeating: 0, count: parameters.count) }
        }
        if let preincubation {
            let settled = try preincubate(preincubation, overrides: overrides, initialSensitivities: initialSensitivities)
            try Self.checkHeld(blockerOverrides, settled: settled.values, blockers: request.blockers + request.drugs.map(\.name))
            overrides += settled.values
            initialSensitivities.merge(settled.sensitivities) { $1 }
        }

        var simulationRequest = SimulationRequest(grid: grid, columns: columns, overrides: overrides + protocolOverrides, options: request.options)
        // A species driven below zero is a wrong trajectory (Simulator.stopOnNegativeConcentration),
        // and a synapse's readouts would carry it into a plausible-looking percent change.
        simulationRequest.stopOnNegativeConcentration = true
        simulationRequest.sensitivityParameters = parameters
        simulationRequest.sensitivityMethod = request.sensitivityMethod
        simulationRequest.initialSensitivities = initialSensitivities
        if !request.recordsTestTraces, let timeCourseRows {
            simulationRequest.sampledRows = SampledRows(fullRows: timeCourseRows, columns: readoutColumns)
        }
        return simulationRequest
    }

    /// A blocker's value must still be there after settling. A value the model integrates (a
    /// species or a rate-rule variable that its reactions or rules move) is set only as its
    /// starting value, and settling carries it back to where the model keeps it: the run would
    /// be the control run under the drug's name.
    static func checkHeld(_ set: [(name: String, value: Double)], settled: [(name: String, value: Double)],
                          blockers: [String]) throws(SynapseRunError) {
        let after = Dictionary(settled.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        for (name, value) in set {
            guard let now = after[name], abs(now - value) > 1e-6 * max(abs(value), 1) else { continue }
            throw .request("\(blockers.joined(separator: ", ")): '\(name)' was set to \(NumberText.plain(value)), but the model's reactions or rate rules move it (\(NumberText.plain(now)) after settling), so the drug would act only on its starting value",
                           hint: "set a parameter the drug acts on (a rate, a total, a conductance) instead of '\(name)'")
        }
    }

    /// The readouts and summary of a finished main run.
    private func result(of simulation: SimulationResult) throws(SynapseRunError) -> SynapseRunResult {
        let synapse = request.synapse
        let proto = request.protocolDefinition
        let parameters = request.sensitivityParameters
        let trajectory = simulation.trajectory
        if let recording = synapse.recording {
            return recordedResult(simulation, recording)
        }
        let prColumn = columns.firstIndex(of: synapse.releaseProbability.value)!
        let nColumn = columns.firstIndex(of: synapse.receptors.value)!
        var readouts: [TestReadout] = []
        for t in proto.testTimes {
            let row = Int((t / step).rounded())
            guard row < trajectory.rowCount else { break }
            let pr = trajectory.value(row: row, column: prColumn)
            let n = trajectory.value(row: row, column: nColumn)
            guard pr >= 0, pr <= 1, n >= 0, pr.isFinite, n.isFinite else {
                throw .request("at t = \(t) s the release probability \(synapse.releaseProbability.value) = \(pr) and receptor number \(synapse.receptors.value) = \(n); Pr must lie in [0, 1] and N be non-negative",
                               hint: "check the expressions for \(synapse.releaseProbability.value) and \(synapse.receptors.value) in \(synapse.modelPath)")
            }
            let response = synapse.release.readout(releaseProbability: pr, receptors: n, pairedPulseInterval: proto.pairedPulseInterval)
            var readout = TestReadout(time: t, phase: t < proto.inductionStart ? .baseline : .followUp, response: response, normalisedAmplitude: 0)
            if let s = simulation.sensitivities {
                readout.sensitivities = readoutSensitivities(pr: pr, n: n, dPr: Array(s.gradient(row: row, column: prColumn)),
                                                             dN: Array(s.gradient(row: row, column: nColumn)))
            }
            readouts.append(readout)
        }
        let baseline = readouts.filter { $0.phase == .baseline }
        let reference = baseline.isEmpty ? Array(readouts.prefix(1)) : baseline
        let baselineMean = reference.isEmpty ? 1 : reference.map(\.response.meanConductance).reduce(0, +) / Double(reference.count)
        // ∂(baseline mean)/∂p_k, for the quotient rule.
        var dBaseline = [Double](repeating: 0, count: parameters.count)
        for r in reference {
            guard let d = r.sensitivities?.meanConductance else { continue }
            for k in parameters.indices { dBaseline[k] += d[k] / Double(reference.count) }
        }
        for i in readouts.indices {
            let m = readouts[i].response.meanConductance
            readouts[i].normalisedAmplitude = baselineMean > 0 ? 100 * m / baselineMean : 0
            guard let dm = readouts[i].sensitivities?.meanConductance else { continue }
            readouts[i].sensitivities!.normalisedAmplitude = parameters.indices.map { k in
                baselineMean > 0 ? 100 * (dm[k] * baselineMean - m * dBaseline[k]) / (baselineMean * baselineMean) : 0
            }
        }
        let summary = simulation.failure == nil ? PlasticitySummary(readouts: readouts, protocolDefinition: proto) : nil
        return SynapseRunResult(trajectory: trajectory, readouts: readouts, summary: summary, statistics: simulation.statistics,
                                eventsExecuted: simulation.eventsExecuted, failure: simulation.failure,
                                compiledStateCount: simulator.model.stateCount, sensitivities: simulation.sensitivities)
    }

    /// The result of a biophysical synapse: each test stimulus read from its simulated spikes,
    /// with the quantal model's trial-to-trial variability at the simulated Pr.
    private func recordedResult(_ simulation: SimulationResult, _ recording: Recording) -> SynapseRunResult {
        let proto = request.protocolDefinition
        let release = request.synapse.release
        let recorded = RecordedTests.readouts(simulation.samples ?? simulation.trajectory, samplings: samplings, recording: recording,
                                              receptors: request.synapse.receptors.value, proto: proto)
        var readouts = zip(samplings, recorded).map { sampling, r in
            let variability = release.variability(releaseProbability: r.releaseProbability)
            // Chord conductance of the peak in voltage clamp; current clamp gives no conductance.
            let conductance = r.mode == .voltageClamp && r.membranePotential != r.eGABA ? r.amplitude / (r.membranePotential - r.eGABA) : .nan
            let response = TestResponse(
                releaseProbability: r.releaseProbability, receptors: r.receptors,
                quantalConductance: conductance / (Double(release.sites) * r.releaseProbability), meanConductance: conductance,
                meanCurrent: r.mode == .voltageClamp ? r.amplitude : .nan, cv: variability.cv,
                inverseCVSquared: variability.inverseCVSquared, failureRate: variability.failureRate, pairedPulseRatio: r.pairedPulseRatio)
            var readout = TestReadout(time: sampling.time, phase: sampling.time < proto.inductionStart ? .baseline : .followUp,
                                      response: response, normalisedAmplitude: 0)
            readout.recorded = r
            return readout
        }
        let baseline = readouts.filter { $0.phase == .baseline }
        let reference = baseline.isEmpty ? Array(readouts.prefix(1)) : baseline
        let baselineMean = reference.map(\.amplitude).reduce(0, +) / Double(max(1, reference.count))
        for i in readouts.indices { readouts[i].normalisedAmplitude = baselineMean != 0 ? 100 * readouts[i].amplitude / baselineMean : 0 }
        let summary = simulation.failure == nil ? PlasticitySummary(readouts: readouts, protocolDefinition: proto) : nil
        return SynapseRunResult(trajectory: simulation.trajectory, readouts: readouts, summary: summary, statistics: simulation.statistics,
                                eventsExecuted: simulation.eventsExecuted, failure: simulation.failure,
                                compiledStateCount: simulator.model.stateCount, sensitivities: nil,
                                timeCourseRows: simulation.samples != nil ? nil
                                    : timeCourseRows.map { rows in rows.filter { $0 < simulation.trajectory.rowCount } })
    }

    /// The readout's derivatives by the chain rule through Pr and N.
    private func readoutSensitivities(pr: Double, n: Double, dPr: [Double], dN: [Double]) -> ReadoutSensitivities {
        let release = request.synapse.release
        let dMean = release.meanConductanceDerivatives(releaseProbability: pr, receptors: n)
        let dPPR = release.pairedPulseRatioDerivative(pr, interval: request.protocolDefinition.pairedPulseInterval)
        let k = dPr.indices
        return ReadoutSensitivities(
            normalisedAmplitude: [],  // filled in once the baseline mean is known
            pairedPulseRatio: k.map { dPPR * dPr[$0] },
            meanConductance: k.map { dMean.releaseProbability * dPr[$0] + dMean.receptors * dN[$0] },
            releaseProbability: dPr, receptors: dN)
    }

    /// Runs the unstimulated model for the pre-incubation and returns the species' final
    /// values as initial-value overrides, with their sensitivities when requested.
    private func preincubate(_ simulator: Simulator, overrides: [(name: String, value: Double)],
                             initialSensitivities: [String: [Double]]) throws(SynapseRunError) -> (values: [(name: String, value: Double)], sensitivities: [String: [Double]]) {
        // A biophysical model's state includes rate-rule variables (voltages, gates), which must all carry over.
        let stateColumns = request.synapse.isBiophysical ? simulator.model.states.map(\.name) : nil
        var simulationRequest = SimulationRequest(grid: TimeGrid(end: settleDuration, count: 2), columns: stateColumns, overrides: overrides,
                                                  options: request.options)
        simulationRequest.stopOnNegativeConcentration = true
        simulationRequest.sensitivityParameters = request.sensitivityParameters
        simulationRequest.sensitivityMethod = request.sensitivityMethod
        simulationRequest.initialSensitivities = initialSensitivities
        let result: SimulationResult
        do {
            result = try simulator.run(simulationRequest)
        } catch {
            throw .request(error.message, hint: error.hint)
        }
        if let failure = result.failure {
            throw .request("the \(request.synapse.isBiophysical ? "settling of the rig" : "pre-incubation with the blockers") failed: \(failure)", hint: nil)
        }
        let last = result.trajectory.rowCount - 1
        let columns = result.trajectory.columns
        let values = columns.enumerated().map { ($0.element, result.trajectory.value(row: last, column: $0.offset)) }
        var sensitivities: [String: [Double]] = [:]
        if let s = result.sensitivities {
            for (c, name) in columns.enumerated() { sensitivities[name] = Array(s.gradient(row: last, column: c)) }
        }
        return (values, sensitivities)
    }
}
