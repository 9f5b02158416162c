import KineticsCore
import KinapseUtilities
import ModelCompiler
import CVODEIntegration
#if DEBUG || KINAPSE_TEST_HOOKS
import Foundation
#endif

/// One simulation from start to end: the integration loop and the event machinery.
struct Run {
    let model: CompiledModel
    /// This run's memory, and the system the integrator drives (replaced by a copy of its
    /// own when a paused run is resumed).
    var instance: ModelInstance
    let request: SimulationRequest
    let columnSlots: [Int]
    var trajectory: Trajectory
    /// With sampled rows: which rows record every column, and the few columns every row records.
    let sampling: Sampling?
    /// The sampled columns at every row (with `sampling`).
    var samples: Trajectory?
    /// The next of `sampling.fullRows` to write.
    var nextFullRow = 0
    var sampleRow: [Double] = []
    var statistics = SolverStatistics()
    var eventsExecuted = 0
    var linearSolver = LinearSolverChoice.dense
    var failure: SimulationFailure?
    /// Where `integrate(until:)` stopped, when it stopped before the end of the grid.
    var pausedAt: Double?

    /// The state as events see and change it (the integrator gets a copy on restart).
    var y: [Double] = []
    /// The largest |y_i| of each state at the start and wherever the solver returned.
    var statePeaks: [Double] = []
    /// Each event's trigger value as last evaluated (for false → true detection).
    var previousTrigger: [Bool]
    /// Each event's `persistent` flag, copied out once.
    let persistent: [Bool]
    /// Relationals whose truth value events read (the others only mark discontinuities):
    /// the root-found ones, refreshed after every event, and the time switches.
    let trackedRootSwitches: [TrackedSwitch]
    let trackedTimeSwitches: [TrackedSwitch]
    /// Index in `trackedTimeSwitches` of each relational that is one.
    let trackedTimeSwitchOfRelational: [Int?]
    let dependencies: EventDependencies
    /// The plain values (parameters, sizes, switch truth values) that a derivative, a Jacobian
    /// entry or a root function reads, directly or through assigned values: with the state,
    /// everything an event can change of the problem the solver integrates.
    let solverInputs: [Int]
    /// Time switches are passed like output times, not landed on: the solver steps across
    /// one, the events due run on the state interpolated there, and the solver restarts only
    /// when they changed the state or a solver input (`solverInputs`). Switches whose truth
    /// value a solver function reads are still landed on, with a restart. Off for runs with
    /// sensitivities (their jumps need the restart), delays (their history segments), and
    /// models whose rate laws compare time themselves (those switches have no truth value).
    let passesTimeSwitches: Bool
    /// Whether each relational is a time switch that can be passed (see `passesTimeSwitches`).
    let passableRelational: [Bool]
    /// The crossing times of the time switches that cannot be passed, latest first: the
    /// solver's stop times when it passes the others.
    var landingQueue: [Double] = []
    /// The time switches ahead, latest first, so that the next one is the last element:
    /// an event instant takes the switches due from the end instead of scanning them all.
    var crossingQueue: [(time: Double, relational: Int)] = []
    /// Time switches (indices in `trackedTimeSwitches`) whose truth value was set exactly
    /// on their boundary: the next event takes their live value, as it does for every
    /// switch whose crossing time has not moved (`refreshTruthValues`).
    var timeSwitchesOnBoundary: [Int] = []
    /// Time-only events whose trigger reads a switch that changed since their last
    /// evaluation; `isStale` marks them so each is listed once.
    var staleEvents: [Int] = []
    var isStale: [Bool]
    /// Trigger evaluations so far (for tests: the work of an instant, not of the model).
    var triggerEvaluations = 0
    var pending: [PendingEvent] = []
    var scheduleCounter = 0
    var random = SeededGenerator(seed: 0x5EED_CA5E)
    var eventAction: (any EventAction)?
    var nextOutput = 0
    var row: [Double]
    /// Species checked for going negative (those that started non-negative), and the
    /// largest amount each has had (the scale of its tolerance).
    var watchedForNegative: [Int] = []
    var peakAmount: [Double] = []

    // Forward sensitivities (only when requested; see `enableSensitivities`): the instance
    // of a differentiated model.
    var sensitivity: ModelInstance?
    var suppliedSensitivities: [Int: [Double]] = [:]
    /// ∂y/∂p, parameter-major: `sens[k * n + i]`.
    var sens: [Double] = []
    var sensitivityTrajectory: SensitivityTrajectory?

    /// What the switch bookkeeping needs of a tracked relational, copied out once: reading
    /// a `Relational` on every pass retained and released its three expression trees
    /// (with 120 pulses, 0.6 M of the 123 M instructions a simulation takes).
    struct TrackedSwitch {
        let relational: Int
        let truthSlot: Int
        let comparison: Symbolic.BinaryFunction
        /// `time OP c`: time rises through c. `c OP time`: the difference falls.
        let timeOnLeft: Bool
        let isTimed: Bool

        init(_ index: Int, _ r: Relational) {
            relational = index
            truthSlot = r.truthSlot!
            comparison = r.comparison
            timeOnLeft = r.lhs == .slot(0)
            if case .timed = r.timing { isTimed = true } else { isTimed = false }
        }

        func liveValue(_ g: Double) -> Bool? { Relational.liveValue(comparison, switchFunction: g) }
    }

    /// `SimulationRequest.sampledRows` resolved: the columns' slots, and the part of the
    /// model's update that computes them.
    struct Sampling {
        let fullRows: [Int]
        let columns: [String]
        let columnSlots: [Int]
        let update: PartialUpdate
    }

    struct PendingEvent {
        let event: Int
        let executionTime: Double
        /// Assignment values computed at trigger time, when the event asks for that.
        let values: [Double]?
        /// Their sensitivities (one vector per assignment), with sensitivities on.
        let tangents: [[Double]]?
        let sequence: Int
    }

    init(model: CompiledModel, request: SimulationRequest, columnSlots: [Int], columns: [String], sampling: Sampling? = nil) {
        self.model = model
        self.instance = ModelInstance(model)
        self.request = request
        self.columnSlots = columnSlots
        self.trajectory = Trajectory(columns: columns)
        self.sampling = sampling
        if let sampling {
            samples = Trajectory(columns: sampling.columns)
            sampleRow = [Double](repeating: 0, count: sampling.columns.count)
        }
        self.previousTrigger = model.events.map(\.initialValue)
        self.persistent = model.events.map(\.persistent)
        let tracked = model.relationals.indices.compactMap { k in
            model.relationals[k].truthSlot == nil ? nil : TrackedSwitch(k, model.relationals[k])
        }
        trackedRootSwitches = tracked.filter { !$0.isTimed }
        trackedTimeSwitches = tracked.filter(\.isTimed)
        var ofRelational = [Int?](repeating: nil, count: model.relationals.count)
        for (j, s) in trackedTimeSwitches.enumerated() { ofRelational[s.relational] = j }
        trackedTimeSwitchOfRelational = ofRelational
        dependencies = model.eventDependencies
        let reads = Self.solverReads(of: model)
        solverInputs = reads.inputs
        let inputSet = Set(reads.inputs)
        // A time switch can be passed when it is a tracked comparison whose truth value no
        // solver function reads; the others are discontinuities of the problem, landed on.
        passableRelational = model.relationals.map { r in
            guard case .timed = r.timing, let slot = r.truthSlot else { return false }
            return !inputSet.contains(slot)
        }
        var passes = request.sensitivityParameters.isEmpty && model.delays.isEmpty && !reads.comparesTime
        #if DEBUG || KINAPSE_TEST_HOOKS
        // For measuring what passing the switches and the partial output rows save (test builds only).
        if ProcessInfo.processInfo.environment["KINAPSE_LAND_ON_TIME_SWITCHES"] == "1" { passes = false }
        #endif
        passesTimeSwitches = passes
        // Every trigger is evaluated at the first pass (the general ones at every pass).
        isStale = model.eventDependencies.timeOnly
        staleEvents = model.events.indices.filter { model.eventDependencies.timeOnly[$0] }
        self.row = [Double](repeating: 0, count: columns.count)
        reserveRows()
    }

    /// Makes room for every row the grid will write, at once.
    mutating func reserveRows() {
        trajectory.reserveCapacity(rows: sampling?.fullRows.count ?? request.grid.count)
        samples?.reserveCapacity(rows: request.grid.count)
    }

    /// Integrates the sensitivities the model was differentiated for along with the states.
    mutating func enableSensitivities(_ s: CompiledSensitivities, supplied: [Int: [Double]]) {
        sensitivity = instance
        suppliedSensitivities = supplied
        sensitivityTrajectory = SensitivityTrajectory(parameters: s.parameters, columns: trajectory.columns)
    }

    // MARK: - Main loop

    mutating func execute(overrides: [Int: Double]) {
        guard begin(overrides: overrides) else { return }
        integrate(from: request.grid.start, restarting: false, until: nil)
    }

    /// The initial state and the events at the start; false if the run already failed.
    mutating func begin(overrides: [Int: Double]) -> Bool {
        let grid = request.grid
        let t0 = grid.start
        y = instance.initialState(time: t0, overrides: overrides)
        if let sensitivity {
            sens = sensitivity.initialSensitivities(overridden: Set(overrides.keys), supplied: suppliedSensitivities)
        }
        instance.update(time: t0, state: y)
        initialiseTruthValues()
        instance.evaluateCrossings()
        queueCrossings(after: t0)
        findTimeSwitchesOnBoundary()
        if let f = processEvents(at: t0) {
            fail(f)
            return false
        }
        instance.update(time: t0, state: y)
        instance.startHistory(time: t0)
        statePeaks = y.map(abs)
        if let bad = firstNonFinite() {
            fail(SimulationFailure(reason: "the initial value of '\(bad)' is not a finite number", flagName: nil,
                                   reachedTime: t0, culprit: bad, hint: "check its initial value and the values it is computed from"))
            return false
        }
        recordOutputs(upTo: t0)
        if request.stopOnNegativeConcentration {
            watchedForNegative = model.states.indices.filter { model.states[$0].kind != .raw && y[$0] >= 0 }
            peakAmount = y.map(abs)
        }
        return true
    }

    /// Integrates from `t0` (where the state and the events are settled) to the end of the
    /// grid, or stops at `pause` once the events due then have run, before the solver would
    /// restart (`pausedAt`). `restarting`: `t0` is such a pause, so the outputs due at it are
    /// still to be written, as an uninterrupted run writes them after its restart.
    mutating func integrate(from t0: Double, restarting: Bool, until pause: Double?) {
        let grid = request.grid
        let integrator: Integrator
        do {
            integrator = try Integrator(system: instance, initialTime: t0, initialState: y, options: delayBoundedOptions())
            if let sensitivity {
                try integrator.enableSensitivities(sensitivity, initial: sens, method: request.sensitivityMethod)
            }
        } catch {
            return fail(SimulationFailure(reason: error.description, flagName: error.flagName, reachedTime: t0, culprit: nil, hint: nil))
        }
        // A resumed run adds its solver's work to that of the run it continues.
        let earlier = statistics
        defer { statistics = earlier + integrator.statistics }
        linearSolver = integrator.linearSolverKind

        var t = t0
        var nextSwitch = nextDiscontinuity(after: t)
        var nextLanding = nextLandingSwitch(after: t)
        if restarting { recordOutputs(upTo: t) }
        let pause = pause ?? .infinity
        if t0 >= pause {
            pausedAt = t0
            return
        }
        while t < grid.end {
            let stop = min(nextSwitch, grid.end, pause)
            let target = min(grid[nextOutput < grid.count ? nextOutput : grid.count - 1], stop, instance.nextHistoryTime)
            // A target a rounding step away (an output at 10.21 just after a pulse at
            // 10.209999999999999) is already reached: CVODE would refuse it as "too close".
            if target - t <= 8 * max(abs(t), 1).ulp {
                if nextOutput < grid.count, grid[nextOutput] <= target {
                    recordOutputs(upTo: grid[nextOutput])
                    continue
                }
                if t >= grid.end - 8 * max(abs(t), 1).ulp { break }
            }
            do {
                // Always set: SUNDIALS 6 keeps an old stop time across re-initialisation and
                // would refuse to integrate once it lies behind; +∞ clears it in effect.
                try integrator.setStopTime(passesTimeSwitches ? nextLanding : min(nextSwitch, pause))
                let step = try integrator.advance(to: target)
                integrator.withState { state in y.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: state) } }
                for i in y.indices where abs(y[i]) > statePeaks[i] { statePeaks[i] = abs(y[i]) }
                if sensitivity != nil { try integrator.copySensitivities(into: &sens) }
                instance.recordHistory(time: step.time, state: y, newSegment: false)
                if request.stopOnNegativeConcentration, let f = negativeSpecies(at: integrator.time) { return fail(f) }
                switch step {
                case .reached(let reached), .stopTime(let reached):
                    t = reached
                    if t >= nextSwitch {
                        // At a time switch (landed on, or reached by interpolation): flip the
                        // switches due now, run events, restart if they changed the problem.
                        t = nextSwitch
                        instance.update(time: t, state: y)
                        let before = passesTimeSwitches && t < nextLanding ? problemSnapshot() : nil
                        flipTimedSwitches(at: t)
                        if let f = processEvents(at: t) { return fail(f) }
                        if t >= pause {
                            pausedAt = t
                            return
                        }
                        if before == nil || problemSnapshot() != before { try restart(integrator, at: t) }
                        nextSwitch = nextDiscontinuity(after: t)
                        nextLanding = nextLandingSwitch(after: t)
                    } else if t >= pause {
                        t = pause
                        instance.update(time: t, state: y)
                        pausedAt = t
                        return
                    }
                case .root(let reached, let directions):
                    t = reached
                    instance.update(time: t, state: y)
                    for (k, d) in directions.enumerated() where d != 0 {
                        let r = model.relationals[model.rootRelationals[k]]
                        if let slot = r.truthSlot { instance.setValue(r.valueAfterCrossing(rising: d > 0) ? 1 : 0, slot: slot) }
                    }
                    if let f = processEvents(at: t) { return fail(f) }
                    if t >= pause {
                        pausedAt = t
                        return
                    }
                    try restart(integrator, at: t)
                    nextSwitch = nextDiscontinuity(after: t)
                    nextLanding = nextLandingSwitch(after: t)
                }
            } catch {
                return fail(describe(error, integrator: integrator))
            }
            recordOutputs(upTo: t)
        }
    }

    /// The state and the solver inputs as bit patterns, to tell whether an instant's events
    /// changed what the solver integrates (a value set to itself changes nothing).
    func problemSnapshot() -> [UInt64] {
        y.map(\.bitPattern) + solverInputs.map { instance.value(ofSlot: $0).bitPattern }
    }

    /// What the solver's functions read of the model's memory: the plain slots (`solverInputs`)
    /// every derivative, Jacobian entry and watched root function reads, following assigned
    /// values to what they are computed from; and whether any of them compares time itself
    /// (a rate law's `time > t1`: a discontinuity no value in memory shows).
    static func solverReads(of model: CompiledModel) -> (inputs: [Int], comparesTime: Bool) {
        var computedFrom: [Int: Symbolic] = [:]
        for v in model.assignedValues { computedFrom[v.slot] = v.expression }
        for (slot, e) in model.jacobianIntermediates { computedFrom[slot] = e }
        // Time and the states the solver moves itself.
        var moving: Set<Int> = [0]
        for state in model.states {
            moving.insert(state.slot)
            if case .amount(let concentration, _) = state.kind { moving.insert(concentration) }
        }
        var comparesTime = false
        func noteTimeComparisons(_ e: Symbolic) {
            switch e {
            case .constant, .slot: break
            case .unary(_, let a): noteTimeComparisons(a)
            case .binary(let f, let a, let b):
                if f.isComparison, a.slots.contains(0) || b.slots.contains(0) { comparesTime = true }
                noteTimeComparisons(a)
                noteTimeComparisons(b)
            case .select(let c, let a, let b):
                noteTimeComparisons(c)
                noteTimeComparisons(a)
                noteTimeComparisons(b)
            }
        }
        func plainSlots(readBy expressions: [Symbolic]) -> Set<Int> {
            var seen = Set<Int>(), plain = Set<Int>(), pending: [Int] = []
            for e in expressions {
                noteTimeComparisons(e)
                e.visitSlots { pending.append($0) }
            }
            while let slot = pending.popLast() {
                guard seen.insert(slot).inserted else { continue }
                if let e = computedFrom[slot], !moving.contains(slot) {
                    noteTimeComparisons(e)
                    e.visitSlots { pending.append($0) }
                } else {
                    plain.insert(slot)
                }
            }
            return plain
        }
        var read = plainSlots(readBy: model.derivativeExpressions + model.jacobianExpressions.map(\.expression))
        for k in model.rootRelationals {
            let slots = plainSlots(readBy: [model.relationals[k].function])
            // A comparison of plain values alone is not watched (its compiled root function is
            // a constant): it changes only at events, which re-evaluate it.
            if !slots.isDisjoint(with: moving) { read.formUnion(slots) }
        }
        return (read.subtracting(moving).sorted(), comparesTime)
    }

    /// The plain value of every tracked comparison and every event trigger now.
    func comparisonsAndTriggers() -> [Bool] {
        instance.evaluateTriggers()
        return model.relationals.filter { $0.truthSlot != nil }.map { instance.evaluate(.binary($0.comparison, $0.lhs, $0.rhs)) != 0 }
            + model.events.indices.map { instance.triggerValue($0) }
    }

    /// Takes values set at a pause (`t`, already in memory; `before` is
    /// `comparisonsAndTriggers()` from before they were set): the crossing times again.
    /// Returns the name of a comparison or trigger whose value they changed (then the run
    /// would not be the one paused), nil when none did.
    mutating func takeValuesSetAtPause(_ t: Double, before: [Bool]) -> String? {
        instance.update(time: t, state: y)
        let after = comparisonsAndTriggers()
        if let k = zip(before, after).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            let tracked = model.relationals.filter { $0.truthSlot != nil }
            return k < tracked.count ? "a comparison in the model" : "the trigger of event '\(model.events[k - tracked.count].id)'"
        }
        instance.evaluateCrossings()
        queueCrossings(after: t)
        return nil
    }

    mutating func restart(_ integrator: Integrator, at t: Double) throws(CVODEError) {
        instance.recordHistory(time: t, state: y, newSegment: true)
        if sensitivity != nil {
            try y.withUnsafeBufferPointer { buffer throws(CVODEError) in
                try sens.withUnsafeBufferPointer { s throws(CVODEError) in try integrator.reinitialize(time: t, state: buffer, sensitivities: s) }
            }
            return
        }
        try y.withUnsafeBufferPointer { buffer throws(CVODEError) in try integrator.reinitialize(time: t, state: buffer) }
    }

    /// The solver options, with the step bounded by half the shortest delay (the history
    /// must hold every past time a step reads; `DelayHistory`).
    func delayBoundedOptions() -> IntegratorOptions {
        var options = request.options
        if let h = instance.maximumDelayStep {
            options.maximumStepSize = options.maximumStepSize > 0 ? min(options.maximumStepSize, h) : h
        }
        return options
    }

    /// Writes every output row whose time has been reached.
    mutating func recordOutputs(upTo t: Double) {
        let grid = request.grid
        guard nextOutput < grid.count, grid[nextOutput] <= t else { return }
        if let sampling { return recordSamples(upTo: t, sampling) }
        instance.update(time: t, state: y)
        var sensitivityRow: [Double] = []
        if let sensitivity {
            sensitivity.refreshPartials()
            for slot in columnSlots { sensitivityRow += sensitivity.tangent(ofSlot: slot, stateSensitivities: sens) }
        }
        // A state that is no longer finite (a step that reached this time on the way to a
        // solver failure) is never written: the run fails at its next step, the rows before stand.
        let finite = firstNonFinite() == nil
        while nextOutput < grid.count, grid[nextOutput] <= t {
            defer { nextOutput += 1 }
            guard finite else { continue }
            for (c, slot) in columnSlots.enumerated() { row[c] = instance.value(ofSlot: slot) }
            trajectory.append(time: grid[nextOutput], row: row)
            sensitivityTrajectory?.append(time: grid[nextOutput], row: sensitivityRow)
        }
    }

    /// `recordOutputs` with sampled rows: the sampled columns at every row reached, every
    /// column at the full rows among them. Between full rows only the assigned values the
    /// sampled columns read are computed (the whole update is most of a row's cost).
    mutating func recordSamples(upTo t: Double, _ sampling: Sampling) {
        let grid = request.grid
        let full = nextFullRow < sampling.fullRows.count && grid[sampling.fullRows[nextFullRow]] <= t
        if full {
            instance.update(time: t, state: y)
        } else {
            instance.update(time: t, state: y, computing: sampling.update)
        }
        let finite = firstNonFinite() == nil
        while nextOutput < grid.count, grid[nextOutput] <= t {
            defer { nextOutput += 1 }
            let isFull = nextFullRow < sampling.fullRows.count && sampling.fullRows[nextFullRow] == nextOutput
            if isFull { nextFullRow += 1 }
            guard finite else { continue }
            for (c, slot) in sampling.columnSlots.enumerated() { sampleRow[c] = instance.value(ofSlot: slot) }
            samples!.append(time: grid[nextOutput], row: sampleRow)
            guard isFull else { continue }
            for (c, slot) in columnSlots.enumerated() { row[c] = instance.value(ofSlot: slot) }
            trajectory.append(time: grid[nextOutput], row: row)
        }
    }

    mutating func fail(_ f: SimulationFailure) { failure = f }

    /// A species that went below zero by more than the solver's error control can explain.
    /// CVODE keeps each step's local error near `rtol·|y| + atol`; errors accumulate over
    /// steps, so the allowance is generous: `1000·atol` plus `rtol` times the largest amount
    /// the species has had. Beyond that the trajectory is wrong, not just imprecise.
    mutating func negativeSpecies(at t: Double) -> SimulationFailure? {
        let rtol = request.options.relativeTolerance, atol = request.options.absoluteTolerance
        func allowance(peak: Double) -> Double { 1000 * atol + rtol * peak }
        // One uniqueness check for the whole pass, not one per species.
        let negative = peakAmount.withUnsafeMutableBufferPointer { peak in
            watchedForNegative.first { i in
                peak[i] = max(peak[i], abs(y[i]))
                return y[i] < -allowance(peak: peak[i])
            }
        }
        if let i = negative {
            let allowance = allowance(peak: peakAmount[i])
            let name = model.states[i].name
            return SimulationFailure(
                reason: "species '\(name)' became negative (amount \(y[i]), beyond the tolerance allowance \(allowance))",
                flagName: nil, reachedTime: t, culprit: name,
                hint: "tighten --rtol/--atol, or check that the rate laws consuming '\(name)' vanish when it is zero (a constant outflux does not)",
                isNegativeSpecies: true)
        }
        return nil
    }

    func firstNonFinite() -> String? {
        for (i, v) in y.enumerated() where !v.isFinite { return model.states[i].name }
        return nil
    }

    // MARK: - Switches

    /// At the start, every tracked comparison takes its plain value.
    func initialiseTruthValues() {
        for r in model.relationals {
            guard let slot = r.truthSlot else { continue }
            let v = instance.evaluate(.binary(r.comparison, r.lhs, r.rhs)) != 0
            instance.setValue(v ? 1 : 0, slot: slot)
        }
    }

    /// After a discontinuity, comparisons take their live values, except those exactly on
    /// their boundary, which keep the value their crossing gave them.
    /// `rootBefore` holds each tracked root-found relational's `lhs − rhs` from before an
    /// event's assignments, `timeBefore` each time switch's when the event moved a crossing
    /// time: a comparison the event moved takes its exact value even on the boundary (an
    /// event setting `m = x` makes `x > m` false, not "still true from its last crossing").
    /// A time switch whose crossing did not move has the same function as before, so it can
    /// change only if it was on its boundary (`timeSwitchesOnBoundary`).
    mutating func refreshTruthValues(rootBefore: [Double], timeBefore: [Double]?) {
        instance.evaluateRootSwitches()
        for (j, s) in trackedRootSwitches.enumerated() {
            refresh(s, switchFunction: instance.switchValue(s.relational), before: rootBefore[j])
        }
        if let timeBefore {
            instance.evaluateCrossings()
            for (j, s) in trackedTimeSwitches.enumerated() { refresh(s, switchFunction: timeSwitchFunction(s), before: timeBefore[j]) }
            findTimeSwitchesOnBoundary()
            queueCrossings(after: instance.value(ofSlot: 0))
        } else if !timeSwitchesOnBoundary.isEmpty {
            var stillOnBoundary: [Int] = []
            for j in timeSwitchesOnBoundary {
                let s = trackedTimeSwitches[j]
                if let v = s.liveValue(timeSwitchFunction(s)) { setTruth(s, v) } else { stillOnBoundary.append(j) }
            }
            timeSwitchesOnBoundary = stillOnBoundary
        }
    }

    mutating func refresh(_ s: TrackedSwitch, switchFunction g: Double, before: Double) {
        if let v = s.liveValue(g) {
            setTruth(s, v)
        } else if g != before {
            let r = model.relationals[s.relational]
            setTruth(s, instance.evaluate(.binary(r.comparison, r.lhs, r.rhs)) != 0)
        }
    }

    /// Sets a tracked comparison's truth value; a time switch that changes marks the
    /// time-only events reading it for re-evaluation.
    mutating func setTruth(_ s: TrackedSwitch, _ v: Bool) {
        let value: Double = v ? 1 : 0
        guard s.isTimed, instance.value(ofSlot: s.truthSlot) != value else {
            instance.setValue(value, slot: s.truthSlot)
            return
        }
        instance.setValue(value, slot: s.truthSlot)
        for e in dependencies.eventsReading[s.relational] where !isStale[e] {
            isStale[e] = true
            staleEvents.append(e)
        }
    }

    /// Lists the time switches whose function is zero now (their truth value came from an
    /// exact comparison or a crossing, not from the side of the boundary they are on).
    mutating func findTimeSwitchesOnBoundary() {
        timeSwitchesOnBoundary = trackedTimeSwitches.indices.filter {
            trackedTimeSwitches[$0].liveValue(timeSwitchFunction(trackedTimeSwitches[$0])) == nil
        }
    }

    /// A time switch's `lhs − rhs` now, from its crossing time: `time − c` or `c − time`,
    /// the same operation (so the same value) as its compiled function.
    func timeSwitchFunction(_ s: TrackedSwitch) -> Double {
        let t = instance.value(ofSlot: 0), c = instance.crossingTime(s.relational)!
        return s.timeOnLeft ? t - c : c - t
    }

    /// Puts every time switch whose crossing lies after `t` in the queue (after the
    /// crossing times were computed: at the start and when an event moved one).
    mutating func queueCrossings(after t: Double) {
        crossingQueue.removeAll(keepingCapacity: true)
        landingQueue.removeAll(keepingCapacity: true)
        for k in model.relationals.indices {
            guard let c = instance.crossingTime(k), c > t, c < .infinity else { continue }
            crossingQueue.append((c, k))
            if !passableRelational[k] { landingQueue.append(c) }
        }
        crossingQueue.sort { ($0.time, $0.relational) > ($1.time, $1.relational) }
        landingQueue.sort(by: >)
    }

    /// Where the solver must stop next: when it passes time switches, the next one it cannot
    /// pass; otherwise the next switch of any kind (or delayed event).
    mutating func nextLandingSwitch(after t: Double) -> Double {
        guard passesTimeSwitches else { return nextDiscontinuity(after: t) }
        while let next = landingQueue.last, next <= t { landingQueue.removeLast() }
        return landingQueue.last ?? .infinity
    }

    /// Flips the time switches that cross at `t` (the queue's last entries).
    mutating func flipTimedSwitches(at t: Double) {
        while let next = crossingQueue.last, next.time <= t {
            crossingQueue.removeLast()
            guard next.time == t, let j = trackedTimeSwitchOfRelational[next.relational] else { continue }
            let s = trackedTimeSwitches[j]
            setTruth(s, Relational.valueAfterCrossing(s.comparison, rising: s.timeOnLeft))
        }
    }

    /// The next time something switches without the integrator's help: a time switch or
    /// a delayed event falling due.
    mutating func nextDiscontinuity(after t: Double) -> Double {
        while let next = crossingQueue.last, next.time <= t { crossingQueue.removeLast() }
        var next = min(crossingQueue.last?.time ?? .infinity, instance.nextDelayBreakpoint(after: t))
        for p in pending where p.executionTime > t && p.executionTime < next { next = p.executionTime }
        return next
    }

    // MARK: - Events

    /// Detects trigger transitions and runs every event due at `t`, repeatedly, until
    /// nothing more is due.
    mutating func processEvents(at t: Double) -> SimulationFailure? {
        guard !model.events.isEmpty else { return nil }
        var executedHere = 0
        while true {
            detectTransitions(at: t)
            let due = pending.indices.filter { pending[$0].executionTime <= t }
            guard !due.isEmpty else { return nil }
            // Highest priority first; equal priorities in document order, then scheduling order.
            let priorities = due.map { i in model.events[pending[i].event].priority.map { instance.evaluate($0) } ?? 0 }
            var best = 0
            for k in 1..<due.count {
                let a = pending[due[k]], b = pending[due[best]]
                if priorities[k] > priorities[best]
                    || (priorities[k] == priorities[best] && (a.event, a.sequence) < (b.event, b.sequence)) { best = k }
            }
            // Events whose explicit priorities tie run in random order (SBML Level 3), drawn
            // from a fixed-seed generator so that runs are reproducible.
            let tied = due.indices.filter { priorities[$0] == priorities[best] }
            if tied.count > 1, tied.allSatisfy({ model.events[pending[due[$0]].event].priority != nil }) {
                best = tied[Int(random.next() % UInt64(tied.count))]
            }
            let chosen = pending.remove(at: due[best])
            execute(chosen)
            executedHere += 1
            eventsExecuted += 1
            if executedHere > request.maximumEventsPerInstant {
                let id = model.events[chosen.event].id
                return SimulationFailure(
                    reason: "more than \(request.maximumEventsPerInstant) events executed at one instant", flagName: nil,
                    reachedTime: t, culprit: "event '\(id)'",
                    hint: "an event whose assignments make its own trigger true again fires forever; check '\(id)'")
            }
        }
    }

    /// Evaluates the triggers that may have changed: those that read more than time
    /// switches, and the time-only ones whose switches flipped; the others keep their
    /// value. Events are visited in document order, as a pass over all of them would.
    mutating func detectTransitions(at t: Double) {
        let general = dependencies.generalEvents
        if !general.isEmpty { instance.evaluateTriggers() }
        staleEvents.sort()
        var g = 0, k = 0
        while g < general.count || k < staleEvents.count {
            let i: Int
            if k == staleEvents.count || (g < general.count && general[g] < staleEvents[k]) {
                i = general[g]
                g += 1
            } else {
                i = staleEvents[k]
                isStale[i] = false
                k += 1
            }
            transition(i, at: t)
        }
        staleEvents.removeAll(keepingCapacity: true)
    }

    mutating func transition(_ i: Int, at t: Double) {
        let now = instance.triggerValue(i)
        triggerEvaluations += 1
        if now && !previousTrigger[i] { schedule(i, at: t) }
        if !now && !persistent[i] && !pending.isEmpty { pending.removeAll { $0.event == i } }
        previousTrigger[i] = now
    }

    mutating func schedule(_ i: Int, at t: Double) {
        let e = model.events[i]
        let delay = e.delay.map { instance.evaluate($0) } ?? 0
        let values = e.useValuesFromTriggerTime ? e.assignments.map { instance.evaluate($0.value) } : nil
        let tangents = e.useValuesFromTriggerTime ? assignmentTangents(i) : nil
        let when = delay.isFinite && delay > 0 ? t + delay : t
        pending.append(PendingEvent(event: i, executionTime: when, values: values, tangents: tangents, sequence: scheduleCounter))
        scheduleCounter += 1
    }

    mutating func execute(_ p: PendingEvent) {
        let e = model.events[p.event]
        let values = p.values ?? e.assignments.map { instance.evaluate($0.value) }
        if sensitivity != nil { applySensitivityJump(p, values: values) }
        instance.evaluateRootSwitches()
        let rootBefore = trackedRootSwitches.map { instance.switchValue($0.relational) }
        let timeBefore = dependencies.movesCrossings[p.event] ? trackedTimeSwitches.map { timeSwitchFunction($0) } : nil
        // A species concentration assigned by an event becomes an amount with the
        // compartment size from before the event, even when the same event resizes the
        // compartment (the SBML Test Suite's reading, e.g. case 01779).
        var amounts: [Double] = []
        for (a, v) in zip(e.assignments, values) {
            if case .amountState(_, let sizeSlot) = a.target { amounts.append(v * instance.value(ofSlot: sizeSlot)) }
        }
        var k = 0
        for (a, v) in zip(e.assignments, values) {
            switch a.target {
            case .value(let slot): instance.setValue(v, slot: slot)
            case .rawState(let i): y[i] = v
            case .amountState(let i, _):
                y[i] = amounts[k]
                k += 1
            }
        }
        instance.update(time: instance.value(ofSlot: 0), state: y)
        if let eventAction {
            eventAction.executed(event: p.event, state: &y, instance: instance)
            instance.update(time: instance.value(ofSlot: 0), state: y)
        }
        refreshTruthValues(rootBefore: rootBefore, timeBefore: timeBefore)
    }

    // MARK: - Sensitivities at events

    /// Sensitivities of an event's assignment values for the current memory (nil when off).
    func assignmentTangents(_ event: Int) -> [[Double]]? {
        guard let sensitivity else { return nil }
        sensitivity.refreshPartials()
        return sensitivity.assignmentTangents(event: event, stateSensitivities: sens)
    }

    /// The jump of the sensitivities at an event at a parameter-independent time:
    /// s⁺ = ∂g/∂y·s⁻ + ∂g/∂p for each assignment y⁺ = g(y⁻, p) (the tangents of the values).
    /// Plain values an event sets take the assignment's sensitivity as their σ.
    mutating func applySensitivityJump(_ p: PendingEvent, values: [Double]) {
        guard let sensitivity, let tangents = p.tangents ?? assignmentTangents(p.event) else { return }
        let e = model.events[p.event]
        let n = model.stateCount, np = sensitivity.parameterCount
        // Amounts use the compartment size from before the event (as the values do).
        var sizeTangents: [[Double]] = []
        for a in e.assignments {
            if case .amountState(_, let sizeSlot) = a.target {
                sizeTangents.append(sensitivity.tangent(ofSlot: sizeSlot, stateSensitivities: sens))
            }
        }
        var k = 0
        for (a, (v, t)) in zip(e.assignments, zip(values, tangents)) {
            switch a.target {
            case .value(let slot): sensitivity.setValueSensitivity(slot: slot, t)
            case .rawState(let i): for q in 0..<np { sens[q * n + i] = t[q] }
            case .amountState(let i, let sizeSlot):
                let size = instance.value(ofSlot: sizeSlot)
                for q in 0..<np { sens[q * n + i] = t[q] * size + v * sizeTangents[k][q] }
                k += 1
            }
        }
    }

    // MARK: - Failures

    func describe(_ error: CVODEError, integrator: Integrator) -> SimulationFailure {
        let t = error.reachedTime ?? integrator.time
        var culprit: String?
        if let i = error.nonFiniteComponent { culprit = model.states[i].name }
        if culprit == nil, let bad = firstNonFinite() { culprit = bad }
        if culprit == nil { culprit = fastestChanging(at: t) }
        var hint: String
        switch error.kind {
        case .tooMuchWork:
            hint = "the solver took \(request.options.maximumSteps) steps without reaching the next output; raise --max-steps, or check for a very stiff or blowing-up variable"
        case .convergenceFailure, .errorTestFailure:
            hint = "the step size collapsed after repeated failures: a rate law jumps or blows up here, or the system is stiffer than these tolerances can follow; check the culprit's rate laws, or loosen --rtol/--atol"
        case .rightHandSideFailure, .linearSolverSetupFailure:
            hint = "a rate law evaluated to NaN or infinity (division by zero, log of a negative value, overflow)"
        case .other:
            hint = "see the SUNDIALS message above"
        }
        // Whatever the flag, a derivative that was NaN or infinite during the failed step is
        // the cause: the solver shrank its step to avoid it until it gave up.
        if let i = error.nonFiniteComponent {
            hint = "the derivative of '\(model.states[i].name)' evaluated to NaN or infinity and the solver could not step past it: a rate law divides by zero, takes the log or square root of a negative value, or overflows"
        }
        return SimulationFailure(reason: error.description, flagName: error.flagName, reachedTime: t, culprit: culprit, hint: hint)
    }

    /// The state whose derivative is largest relative to its tolerance: the usual
    /// suspect when the solver gives up without a NaN to point at.
    func fastestChanging(at t: Double) -> String? {
        guard !y.isEmpty else { return nil }
        var dydt = [Double](repeating: 0, count: y.count)
        y.withUnsafeBufferPointer { s in
            dydt.withUnsafeMutableBufferPointer { d in instance.evaluateRHS(time: t, state: s.baseAddress!, derivative: d.baseAddress!) }
        }
        var best: (Int, Double)?
        for i in y.indices {
            let scale = request.options.relativeTolerance * abs(y[i]) + request.options.absoluteTolerance
            let r = dydt[i].isFinite ? abs(dydt[i]) / scale : .infinity
            if best == nil || r > best!.1 { best = (i, r) }
        }
        return best.map { model.states[$0.0].name }
    }
}

extension IntegrationStep {
    /// Where the step ended, whatever ended it.
    fileprivate var time: Double {
        switch self {
        case .reached(let t), .stopTime(let t), .root(let t, _): t
        }
    }
}
