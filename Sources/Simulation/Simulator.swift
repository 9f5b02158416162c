public import KineticsCore
public import ModelCompiler
public import CVODEIntegration
import SourceDiagnostics

/// What to simulate and how to report it.
public struct SimulationRequest: Sendable {
    public var grid: TimeGrid
    /// Output columns (any named quantity); `nil` means the model's default columns.
    public var columns: [String]?
    /// Initial values replaced by name (`--set ID=VALUE`); species values are concentrations.
    public var overrides: [(name: String, value: Double)]
    public var options: IntegratorOptions
    /// Events allowed at one instant before the run is stopped as an endless cascade.
    public var maximumEventsPerInstant = 10_000
    /// Parameters to differentiate every output column with respect to (forward
    /// sensitivities, see docs/sensitivities.md): plain model values by name, or `init(X)`
    /// for the initial concentration of state `X`; the model must be differentiated for
    /// exactly these (`CompiledModel.differentiated(with:)`). Empty: no sensitivities, and
    /// the run is exactly (bit for bit) what it is without this field, on a differentiated
    /// model or not.
    public var sensitivityParameters: [String] = []
    /// Sensitivities of overridden initial values, by override name: ∂value/∂p_k for each
    /// k in `sensitivityParameters` (e.g. states carried over from an earlier run).
    /// Overrides not listed here have zero sensitivity (unless they are a parameter).
    public var initialSensitivities: [String: [Double]] = [:]
    /// How CVODES corrects the sensitivities (staggered measured faster, see docs/sensitivities.md).
    public var sensitivityMethod: SensitivityMethod = .staggered
    /// Stop the run when a species that started non-negative goes negative by more than the
    /// solver's tolerance allows (see `Run.negativeSpecies`). Off by default: SBML allows
    /// negative amounts, and the SBML Test Suite has models that use them.
    public var stopOnNegativeConcentration = false
    /// Record every column only at some rows of the grid, and a few columns at all of them
    /// (`SampledRows`); nil: every column at every row.
    public var sampledRows: SampledRows?
    /// Scale each state's absolute tolerance to the state's size, as Simulink's
    /// AutoScaleAbsTol does (abstol = reltol × the state's largest magnitude): a first run
    /// without sensitivities at `options` finds each state's peak |value|, and a state whose
    /// reltol × peak is below `options.absoluteTolerance` gets that as its own tolerance in
    /// the run that is returned. A state far smaller than the absolute tolerance is
    /// otherwise integrated with no correct digit, and a quantity that reads it through a
    /// large factor (an observable's scale) inherits that error.
    public var scalesAbsoluteTolerance = false

    public init(grid: TimeGrid, columns: [String]? = nil, overrides: [(name: String, value: Double)] = [],
                options: IntegratorOptions = IntegratorOptions()) {
        self.grid = grid; self.columns = columns; self.overrides = overrides; self.options = options
    }
}

/// A grid sampled densely for a few quantities (a recorded trace every 0.1 ms around each
/// test stimulus) where the other columns are wanted only at some rows (a time course every
/// second): the rows between cost only the assigned values those few quantities read.
public struct SampledRows: Sendable {
    /// Indices (ascending) of the grid's rows that record every column, in
    /// `SimulationResult.trajectory`.
    public var fullRows: [Int]
    /// Quantities (any named value, by name) recorded at every row of the grid, in
    /// `SimulationResult.samples`.
    public var columns: [String]

    public init(fullRows: [Int], columns: [String]) { self.fullRows = fullRows; self.columns = columns }
}

public struct SimulationResult: Sendable {
    /// Every column at every row of the grid, or with `SimulationRequest.sampledRows`, at
    /// its full rows alone.
    public var trajectory: Trajectory
    /// With `SimulationRequest.sampledRows`: its columns at every row of the grid, with the
    /// same values the full rows have there.
    public var samples: Trajectory?
    public var statistics: SolverStatistics
    public var eventsExecuted: Int
    /// The linear solver the integrator used (dense or KLU).
    public var linearSolver: LinearSolverChoice = .dense
    /// Set when the run stopped early; `trajectory` then holds the rows up to there.
    public var failure: SimulationFailure?
    /// ∂(output)/∂(parameter) at every output row, when `sensitivityParameters` was set.
    public var sensitivities: SensitivityTrajectory?
    /// How many event triggers the run evaluated (tests count the work of event instants).
    package var triggerEvaluations = 0
    /// The largest |value| each state (in the model's state order) had at the start and at
    /// the solver's returns.
    public var statePeaks: [Double] = []
}

/// A run stopped part-way by `Simulator.run(_:pausingAt:)`: everything it had, its memory
/// copied out. Unchecked: the model instance inside is never used again, every resume runs
/// in a copy of `memory` of its own.
public struct SimulationCheckpoint: @unchecked Sendable {
    fileprivate let run: Run
    fileprivate let memory: [Double]
    /// Where the run stopped (s); nil when it failed or ended before the pause.
    public var time: Double? { run.pausedAt }
    /// The solver's work up to the checkpoint.
    public var statistics: SolverStatistics { run.statistics }
}

/// Why a run stopped before its end time.
public struct SimulationFailure: Error, Sendable, CustomStringConvertible {
    public let reason: String
    /// The CVODE flag name, when the solver failed.
    public let flagName: String?
    public let reachedTime: Double
    /// The state variable at fault, when one can be named.
    public let culprit: String?
    public let hint: String?
    /// A species went below zero (`SimulationRequest.stopOnNegativeConcentration`): the one
    /// failure a caller may offer to accept rather than fix.
    public internal(set) var isNegativeSpecies = false

    /// One line for a results file: the time, the flag (or reason) and the culprit.
    public var summary: String {
        var s = "simulation failed at t = \(reachedTime) (\(flagName ?? reason))"
        if let culprit { s += ", offending variable \(culprit)" }
        return s.replacingOccurrences(of: "\n", with: " ")
    }

    public var description: String {
        var s = "simulation failed at t = \(reachedTime): \(reason)"
        if let culprit { s += "\n  offending variable: \(culprit)" }
        if let hint { s += "\nhint: \(hint)" }
        return s
    }
}

/// A request that cannot run at all (an unknown column or override).
public struct SimulationRequestError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?
    public var description: String { hint.map { "\(message)\nhint: \($0)" } ?? message }
}

/// Work an event does beyond its assignments, supplied for one run by its caller: the
/// hybrid stochastic method fires a reaction when its jump event runs.
public protocol EventAction: AnyObject {
    /// Called after each event execution has applied its assignments, with the state and
    /// memory as of that instant; what it changes in `state` and in memory values stands.
    func executed(event: Int, state: inout [Double], instance: ModelInstance)
}

/// Runs a compiled model through time with SBML event semantics:
/// - an event fires when its trigger goes from false to true; its assignments are
///   computed at trigger time (or at execution time when asked) and applied together;
/// - simultaneous events run by priority (higher first), then in document order, and
///   every execution can trigger or (if not persistent) cancel others at the same instant;
/// - `time`-only switches that only event triggers read are reached like output times (the
///   solver steps across one, and the events due there run on the state interpolated at it);
///   those a rate law reads are landed on exactly with a stop time; all other switches are
///   located by CVODE's root finding. The solver restarts after every discontinuity: a root,
///   a landed-on switch, or a passed one whose events changed a state or a value the solver's
///   functions read (the end of a stimulus pulse that only a trigger reads changes nothing).
///
/// A simulator holds only the compiled model, which is immutable: one simulator serves any
/// number of runs on any number of threads, each run in a `ModelInstance` of its own.
public struct Simulator: Sendable {
    public let model: CompiledModel

    public init(model: CompiledModel) { self.model = model }

    /// Runs `request`; `eventAction`, if given, is called after every event execution.
    public func run(_ request: SimulationRequest, eventAction: (any EventAction)? = nil) throws(SimulationRequestError) -> SimulationResult {
        if request.scalesAbsoluteTolerance, eventAction == nil, request.options.absoluteTolerances == nil {
            return try runScalingAbsoluteTolerance(request)
        }
        let prepared = try prepare(request, eventAction: eventAction)
        var run = prepared.run
        run.execute(overrides: prepared.overrides)
        return Self.result(of: run)
    }

    /// Runs `request` up to `time` and stops there, once the events due then have run, to be
    /// continued by `resume(_:overrides:)` as often as wanted: the work before `time` is done
    /// once. A run that fails (or ends) before `time` gives a checkpoint that resumes to that
    /// result. Not for runs with sensitivities or delays (their solver and history state
    /// would have to travel too). A resumed run is the run made in one go, bit for bit, when
    /// the events at `time` restart the solver (they change a state or a value it reads, as a
    /// stimulus does); otherwise the resumed solver starts afresh at `time` where the
    /// uninterrupted one steps on, and the two agree to the solver's tolerance.
    public func run(_ request: SimulationRequest, pausingAt time: Double) throws(SimulationRequestError) -> SimulationCheckpoint {
        guard request.sensitivityParameters.isEmpty, model.delays.isEmpty else {
            throw SimulationRequestError(message: "a run with sensitivities or delays cannot be paused and resumed", hint: nil)
        }
        let prepared = try prepare(request)
        var run = prepared.run
        if run.begin(overrides: prepared.overrides) { run.integrate(from: request.grid.start, restarting: false, until: time) }
        return SimulationCheckpoint(run: run, memory: run.instance.withMemory { Array($0) })
    }

    /// Continues `checkpoint` (made by this simulator) to the end of its grid, in memory of
    /// its own, with `overrides` (plain values, not states) set first. The overrides may only
    /// change what has not happened yet, e.g. the times of later events: one that would
    /// change a comparison or an event trigger at the checkpoint is refused. The result is
    /// the whole run, the rows before the checkpoint included, and the same bytes whichever
    /// thread or process resumes it.
    public func resume(_ checkpoint: SimulationCheckpoint, overrides: [(name: String, value: Double)] = []) throws(SimulationRequestError) -> SimulationResult {
        var run = checkpoint.run
        guard let t = run.pausedAt else { return Self.result(of: run) }
        let slots = try model.overrideSlots(overrides)
        let stateSlots = Set(model.states.flatMap { state -> [Int] in
            if case .amount(let concentration, _) = state.kind { return [state.slot, concentration] }
            return [state.slot]
        })
        if let (name, _) = overrides.first(where: { stateSlots.contains(model.symbols[$0.name]!) }) {
            throw SimulationRequestError(message: "cannot set '\(name)' when resuming a run: it is a state, integrated up to there", hint: nil)
        }
        // The rows so far are shared with the checkpoint: copy them once, into room for all.
        run.reserveRows()
        run.instance = ModelInstance(model)
        run.instance.withMemory { m in _ = m.update(fromContentsOf: checkpoint.memory) }
        let before = run.comparisonsAndTriggers()
        for (slot, value) in slots { run.instance.setValue(value, slot: slot) }
        if let changed = run.takeValuesSetAtPause(t, before: before) {
            throw SimulationRequestError(message: "the values set when resuming at t = \(t) s change \(changed) there", hint: "pause the run earlier, before anything they change")
        }
        run.pausedAt = nil
        run.integrate(from: t, restarting: true, until: nil)
        return Self.result(of: run)
    }

    private func prepare(_ request: SimulationRequest, eventAction: (any EventAction)? = nil) throws(SimulationRequestError) -> (run: Run, overrides: [Int: Double]) {
        let columns = request.columns ?? model.defaultColumns
        var columnSlots: [Int] = []
        for name in columns {
            guard let slot = model.symbols[name] else {
                throw SimulationRequestError(message: "unknown output column '\(name)'", hint: suggestion(name))
            }
            columnSlots.append(slot)
        }
        // A run that stops when a species goes negative must not start with one negative, beyond
        // the rounding a state carried over from an earlier run (a rig's settling) may hold: the
        // run's own allowance for its start (`Run.negativeSpecies`).
        let overrides = try model.overrideSlots(request.overrides, refusingNegativeSpecies: request.stopOnNegativeConcentration,
                                                allowingRoundingBelowZero: 1000 * request.options.absoluteTolerance)
        var sampling: Run.Sampling?
        if let sampled = request.sampledRows {
            guard request.sensitivityParameters.isEmpty else {
                throw SimulationRequestError(message: "a run with sensitivities records every column at every row", hint: "leave out the sampled rows")
            }
            guard zip(sampled.fullRows, sampled.fullRows.dropFirst()).allSatisfy({ $0 < $1 }),
                  sampled.fullRows.allSatisfy({ request.grid.count > $0 && $0 >= 0 }) else {
                throw SimulationRequestError(message: "the full rows of a sampled run must be ascending rows of its grid", hint: nil)
            }
            var slots: [Int] = []
            for name in sampled.columns {
                guard let slot = model.symbols[name] else {
                    throw SimulationRequestError(message: "unknown sampled column '\(name)'", hint: suggestion(name))
                }
                slots.append(slot)
            }
            sampling = Run.Sampling(fullRows: sampled.fullRows, columns: sampled.columns, columnSlots: slots,
                                    update: model.partialUpdate(computing: slots))
        }
        var run = Run(model: model, request: request, columnSlots: columnSlots, columns: columns, sampling: sampling)
        run.eventAction = eventAction
        if !request.sensitivityParameters.isEmpty {
            guard let sensitivity = model.sensitivities, sensitivity.parameters == request.sensitivityParameters else {
                throw SimulationRequestError(
                    message: "model '\(model.name)' was not differentiated with respect to \(request.sensitivityParameters.joined(separator: ", "))",
                    hint: "make the model with CompiledModel.differentiated(with:) for the parameters the request lists")
            }
            var supplied: [Int: [Double]] = [:]
            for (name, vector) in request.initialSensitivities {
                guard let slot = model.symbols[name], overrides[slot] != nil else {
                    throw SimulationRequestError(message: "initial sensitivities given for '\(name)', which is not overridden", hint: "give '\(name)' a value in the overrides too")
                }
                guard vector.count == request.sensitivityParameters.count, vector.allSatisfy(\.isFinite) else {
                    throw SimulationRequestError(message: "initial sensitivities of '\(name)' must be \(request.sensitivityParameters.count) finite numbers, one per parameter", hint: nil)
                }
                supplied[slot] = vector
            }
            run.enableSensitivities(sensitivity, supplied: supplied)
        }
        return (run, overrides)
    }

    private static func result(of run: Run) -> SimulationResult {
        var result = SimulationResult(trajectory: run.trajectory, samples: run.samples, statistics: run.statistics,
                                      eventsExecuted: run.eventsExecuted, linearSolver: run.linearSolver, failure: run.failure,
                                      sensitivities: run.sensitivityTrajectory)
        result.triggerEvaluations = run.triggerEvaluations
        result.statePeaks = run.statePeaks
        return result
    }

    /// `SimulationRequest.scalesAbsoluteTolerance`. Where the run at the scaled tolerances
    /// fails, the run at the request's own tolerances is returned: scaling never makes a
    /// point that simulates fail. The statistics include the first run's work.
    private func runScalingAbsoluteTolerance(_ request: SimulationRequest) throws(SimulationRequestError) -> SimulationResult {
        var unscaled = request
        unscaled.scalesAbsoluteTolerance = false
        var plain = unscaled
        plain.sensitivityParameters = []
        plain.initialSensitivities = [:]
        let first = try run(plain)
        let o = request.options
        if first.failure == nil,
           let tolerances = Self.scaledAbsoluteTolerances(peaks: first.statePeaks, relative: o.relativeTolerance, absolute: o.absoluteTolerance) {
            var scaled = unscaled
            scaled.options.absoluteTolerances = tolerances
            var second = try run(scaled)
            if second.failure == nil {
                second.statistics = first.statistics + second.statistics
                return second
            }
        }
        if request.sensitivityParameters.isEmpty { return first }
        var result = try run(unscaled)
        result.statistics = first.statistics + result.statistics
        return result
    }

    /// Each state's absolute tolerance: reltol × its peak where that is below `absolute`,
    /// else `absolute` (also for a state that stayed 0); nil when no state is below.
    static func scaledAbsoluteTolerances(peaks: [Double], relative: Double, absolute: Double) -> [Double]? {
        // The smallest normal number keeps a weight 1/tolerance finite for a peak that underflows.
        let tolerances = peaks.map { peak in peak > 0 && relative * peak < absolute ? max(relative * peak, .leastNormalMagnitude) : absolute }
        return tolerances.contains { $0 < absolute } ? tolerances : nil
    }

    private func suggestion(_ name: String) -> String? { model.suggestion(for: name) }
}

extension CompiledModel {
    /// Overrides by name (`--set ID=VALUE`) as memory slots, refusing unknown names, values
    /// computed by rules or reactions, non-finite values, compartments of size ≤ 0 and, when
    /// asked, negative species (not by default: a state carried over from an earlier run may
    /// hold a species a rounding error below zero; `allowingRoundingBelowZero` accepts one down to
    /// minus that much).
    public func overrideSlots(_ overrides: [(name: String, value: Double)],
                              refusingNegativeSpecies: Bool = false,
                              allowingRoundingBelowZero rounding: Double = 0) throws(SimulationRequestError) -> [Int: Double] {
        var slots: [Int: Double] = [:]
        for (name, value) in overrides {
            guard let slot = symbols[name] else {
                throw SimulationRequestError(message: "cannot set '\(name)': no such symbol in model '\(self.name)'", hint: suggestion(for: name))
            }
            if let computed = assignedValues.first(where: { $0.slot == slot && $0.kind != .concentration }) {
                // The rule's right-hand side names what to set instead.
                let rule = SymbolicPrinter(names: slotNames).text(computed.expression)
                throw SimulationRequestError(message: "cannot set '\(name)': it is computed by a rule or is a reaction rate",
                                             hint: "\(name) = \(rule); set what it is computed from")
            }
            guard value.isFinite else {
                throw SimulationRequestError(message: "cannot set '\(name)' to \(value): values must be finite", hint: nil)
            }
            let kind = symbolKinds[name]
            if kind == .compartment, value <= 0 {
                throw SimulationRequestError(message: "cannot set compartment '\(name)' to \(value): a compartment's size must be positive",
                                             hint: "species concentrations are amounts divided by this size")
            }
            if refusingNegativeSpecies, kind == .species || kind == .boundarySpecies, value < -rounding {
                throw SimulationRequestError(message: "cannot set species '\(name)' to \(value): a concentration cannot be negative", hint: nil)
            }
            slots[slot] = value
        }
        return slots
    }

    fileprivate func suggestion(for name: String) -> String? {
        if let hint = Suggestions.didYouMean(name, among: symbols.keys) { return hint }
        return "names in this model: " + symbols.keys.sorted().prefix(12).joined(separator: ", ")
    }
}

