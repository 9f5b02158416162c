public import SourceDiagnostics
import class Foundation.FileManager
import PathwayModel
import AntimonyFrontEnd
import ModelCompiler
public import Simulation
public import KineticsCore
public import CVODEIntegration
public import InductionProtocols
public import SynapseModel

/// A protocol run on a synapse: what `kinapse simulate SYNAPSE --protocol NAME` does.
public struct SynapseRunRequest: Sendable {
    public var synapse: SynapseDefinition
    public var protocolDefinition: InductionProtocol
    /// Names of blockers (declared by the synapse) applied throughout.
    public var blockers: [String]
    public var overrides: [(name: String, value: Double)]
    public var options: IntegratorOptions
    /// Spacing of the time-course output; test stimuli always fall on it.
    public var outputStep: Double?
    /// Seconds the blocked synapse settles, unstimulated, before the baseline (only with blockers).
    public var preincubation: Double = 1800

    public init(synapse: SynapseDefinition, protocolDefinition: InductionProtocol, blockers: [String] = [],
                overrides: [(name: String, value: Double)] = [], options: IntegratorOptions = IntegratorOptions(),
                outputStep: Double? = nil) {
        self.synapse = synapse; self.protocolDefinition = protocolDefinition; self.blockers = blockers
        self.overrides = overrides; self.options = options; self.outputStep = outputStep
    }
}

/// The readout of one test stimulus.
public struct TestReadout: Sendable {
    public var time: Double
    public var phase: Phase
    public var response: TestResponse
    /// Mean amplitude as a percentage of the baseline mean.
    public var normalisedAmplitude: Double

    public enum Phase: String, Sendable { case baseline, followUp = "follow-up" }
}

public struct SynapseRunResult: Sendable {
    public var trajectory: Trajectory
    public var readouts: [TestReadout]
    public var summary: PlasticitySummary?
    public var statistics: SolverStatistics
    public var eventsExecuted: Int
    public var failure: SimulationFailure?
    public var compiledStateCount: Int
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

public enum SynapseRunner {
    public static func run(_ request: SynapseRunRequest) throws(SynapseRunError) -> SynapseRunResult {
        let synapse = request.synapse
        let proto = request.protocolDefinition
        var pathway: Pathway
        // A missing model is the synapse file's mistake: point at its 'model = …' line.
        if let range = synapse.modelPathRange, !FileManager.default.fileExists(atPath: synapse.modelPath) {
            let written = range.text.trimmingCharacters(in: ["\""])
            let hint = Suggestions.closestFile(to: synapse.modelPath).map { "did you mean '\(Suggestions.sibling($0, of: written))'?" }
            throw .diagnostics(DiagnosticsError(.error("cannot find the model '\(written)' (looked for '\(synapse.modelPath)')",
                                                       at: range, hint: hint)))
        }
        do {
            pathway = try AntimonyLoader.load(path: synapse.modelPath)
        } catch {
            throw .diagnostics(error)
        }
        var diagnostics = DiagnosticCollector()
        let names = Set(pathway.species.map(\.id) + pathway.parameters.map(\.id) + pathway.compartments.map(\.id))
        validateStimuli(synapse, proto, names: names, &diagnostics)
        var overrides = request.overrides
        for blockerName in request.blockers {
            guard let blocker = synapse.blockers[blockerName] else {
                let known = synapse.blockers.keys.sorted()
                throw .request("synapse '\(synapse.name)' has no blocker '\(blockerName)'",
                               hint: Suggestions.didYouMean(blockerName, among: known) ?? "blockers of this synapse: \(known.joined(separator: ", "))")
            }
            for (target, value) in blocker.settings {
                if !names.contains(target.value) {
                    diagnostics.add(Diagnostic(.error, "blocker '\(blockerName)' sets '\(target.value)', which the model does not define",
                                               at: target.range, hints: Suggestions.didYouMean(target.value, among: names).map { [$0] } ?? []))
                }
                overrides.append((target.value, value))
            }
        }
        do { try diagnostics.throwIfErrors() } catch { throw .diagnostics(error) }

        // Drugs are bath-applied before the recording starts, as in a slice experiment:
        // the blocked synapse first settles without stimuli, so the baseline measures the
        // blocked steady state rather than the drug's wash-in.
        if !request.blockers.isEmpty, request.preincubation > 0 {
            overrides += try preincubate(pathway, overrides: overrides, duration: request.preincubation, options: request.options)
        }

        addStimulusEvents(to: &pathway, synapse: synapse, schedule: proto.schedule)

        let model: CompiledModel
        do { model = try ModelCompiler.compile(pathway) } catch { throw .diagnostics(error) }
        for symbol in [synapse.releaseProbability, synapse.receptors] where model.symbols[symbol.value] == nil {
            throw .diagnostics(DiagnosticsError(Diagnostic(
                .error, "the model '\(pathway.name)' defines no '\(symbol.value)'", at: symbol.range ?? synapse.modelPathRange,
                hints: ["define it as an assignment rule in \(synapse.modelPath), e.g. '\(symbol.value) := …'"])))
        }

        // Output grid: a whole number of steps per test interval, so every test time is a grid point.
        let stepsPerInterval = max(1, Int((proto.testInterval / (request.outputStep ?? proto.testInterval / 10)).rounded(.up)))
        let step = proto.testInterval / Double(stepsPerInterval)
        let intervals = Int((proto.endTime / proto.testInterval).rounded(.up))
        let grid = TimeGrid(start: 0, end: Double(intervals) * proto.testInterval, count: intervals * stepsPerInterval + 1)
        var columns = model.defaultColumns
        for symbol in [synapse.releaseProbability.value, synapse.receptors.value] where !columns.contains(symbol) { columns.append(symbol) }

        let simulation: SimulationResult
        do {
            simulation = try Simulator(model: model).run(SimulationRequest(grid: grid, columns: columns, overrides: overrides, options: request.options))
        } catch {
            throw .request(error.message, hint: error.hint)
        }

        let trajectory = simulation.trajectory
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
            readouts.append(TestReadout(time: t, phase: t < proto.inductionStart ? .baseline : .followUp, response: response, normalisedAmplitude: 0))
        }
        let baseline = readouts.filter { $0.phase == .baseline }
        let baselineMean = baseline.isEmpty ? readouts.first?.response.meanConductance ?? 1 : baseline.map(\.response.meanConductance).reduce(0, +) / Double(baseline.count)
        for i in readouts.indices {
            readouts[i].normalisedAmplitude = baselineMean > 0 ? 100 * readouts[i].response.meanConductance / baselineMean : 0
        }
        let summary = simulation.failure == nil ? PlasticitySummary(readouts: readouts, protocolDefinition: proto) : nil
        return SynapseRunResult(trajectory: trajectory, readouts: readouts, summary: summary, statistics: simulation.statistics,
                                eventsExecuted: simulation.eventsExecuted, failure: simulation.failure, compiledStateCount: model.stateCount)
    }

    /// Runs the unstimulated model for `duration` s and returns the species' final values
    /// as initial-value overrides.
    static func preincubate(_ pathway: Pathway, overrides: [(name: String, value: Double)], duration: Double,
                            options: IntegratorOptions) throws(SynapseRunError) -> [(name: String, value: Double)] {
        let model: CompiledModel
        do { model = try ModelCompiler.compile(pathway) } catch { throw .diagnostics(error) }
        let result: SimulationResult
        do {
            result = try Simulator(model: model).run(SimulationRequest(grid: TimeGrid(end: duration, count: 2),
                                                                        overrides: overrides, options: options))
        } catch {
            throw .request(error.message, hint: error.hint)
        }
        if let failure = result.failure {
            throw .request("the pre-incubation with the blockers failed: \(failure)", hint: nil)
        }
        let last = result.trajectory.rowCount - 1
        return result.trajectory.columns.enumerated().map { ($0.element, result.trajectory.value(row: last, column: $0.offset)) }
    }

    /// Every stimulus the protocol uses must be one the synapse maps, and every mapping
    /// must act on something the model defines.
    static func validateStimuli(_ synapse: SynapseDefinition, _ proto: InductionProtocol, names: Set<String>, _ d: inout DiagnosticCollector) {
        for block in proto.induction {
            for name in block.stimulusNames where synapse.stimuli[name] == nil {
                let known = synapse.stimuli.keys.sorted()
                d.add(Diagnostic(.error, "protocol '\(proto.name)' uses stimulus '\(name)', which synapse '\(synapse.name)' does not define",
                                 at: block.stimulusRange,
                                 hints: [Suggestions.didYouMean(name, among: known) ?? "stimuli of this synapse: \(known.joined(separator: ", "))"]))
            }
            if case .step = block.pattern, let mapping = synapse.stimuli[block.stimulus],
               mapping.actions.contains(where: { if case .increment = $0 { return true } else { return false } }) {
                d.add(Diagnostic(.error, "stimulus '\(block.stimulus)' is a pulse (it has increments), but the protocol holds it as a step",
                                 at: block.stimulusRange, hints: ["give the stimulus 'hold = { … }' in the synapse file, or use a train"]))
            }
        }
        for mapping in synapse.stimuli.values {
            for action in mapping.actions {
                let (target, amount): (Located<String>, SynapseDefinition.Amount)
                switch action {
                case .increment(let t, let a), .hold(let t, let a): (target, amount) = (t, a)
                }
                if !names.contains(target.value) {
                    d.add(Diagnostic(.error, "stimulus '\(mapping.name)' acts on '\(target.value)', which the model does not define",
                                     at: target.range, hints: Suggestions.didYouMean(target.value, among: names).map { [$0] } ?? []))
                }
                if case .parameter(let p, let range) = amount, !names.contains(p) {
                    d.add(Diagnostic(.error, "stimulus '\(mapping.name)' uses '\(p)', which the model does not define",
                                     at: range ?? target.range, hints: Suggestions.didYouMean(p, among: names).map { [$0] } ?? []))
                }
            }
        }
    }

    /// One event per stimulus: increments at pulses; for periods, a set at the start and a
    /// restore of the initial value at the end. Time triggers, so the integrator lands on
    /// every one exactly.
    static func addStimulusEvents(to pathway: inout Pathway, synapse: SynapseDefinition, schedule: [ScheduledStimulus]) {
        func amountExpression(_ a: SynapseDefinition.Amount) -> Expression {
            switch a {
            case .number(let x): .number(x)
            case .parameter(let p, _): .symbol(p, nil)
            }
        }
        func initialValue(of name: String) -> Expression {
            pathway.parameters.first { $0.id == name }?.value
                ?? pathway.species.first { $0.id == name }?.initialValue
                ?? pathway.compartments.first { $0.id == name }?.size ?? .number(0)
        }
        var counter = 0
        func add(at time: Double, _ assignments: [Event.Assignment]) {
            guard !assignments.isEmpty else { return }
            pathway.events.append(Event(id: "stimulus_\(counter)", trigger: .binary(.greaterEqual, .time, .number(time)),
                                        assignments: assignments))
            counter += 1
        }
        for s in schedule {
            guard let mapping = synapse.stimuli[s.stimulus] else { continue }
            var onset: [Event.Assignment] = []
            var offset: [Event.Assignment] = []
            for action in mapping.actions {
                switch action {
                case .increment(let target, let amount):
                    onset.append(.init(variable: target.value,
                                       expression: .binary(.add, .symbol(target.value, nil), amountExpression(amount))))
                case .hold(let target, let value):
                    onset.append(.init(variable: target.value, expression: amountExpression(value)))
                    offset.append(.init(variable: target.value, expression: initialValue(of: target.value)))
                }
            }
            add(at: s.time, onset)
            if s.duration > 0 { add(at: s.time + s.duration, offset) }
        }
    }
}
