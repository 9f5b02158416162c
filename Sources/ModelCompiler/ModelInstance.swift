public import KineticsCore

/// One run's model: a compiled model together with the memory its programs compute in.
/// It is the `ODESystem` (and, for a differentiated model, the `SensitivitySystem`) an
/// integrator drives; events and output read and change values through it.
///
/// Make one per run (or per worker, run after run): the compiled model is shared, the
/// memory is not, so two threads never use one instance at once.
///
/// ## Implementation Notes
/// The memory is allocated once, at the compiled layout's full size (sensitivity slots
/// included), and never moves, so its address can be handed to native code for the
/// instance's lifetime (`directRightHandSide`). Outside the module it is reached only
/// through values and `withMemory`. The programs and slot tables are copied out of the
/// compiled model into stored properties so the solver's callbacks reach them without
/// going through two objects. The compiled model's description (states, symbols, events)
/// reads through the instance (`instance.states`) by dynamic member lookup.
@dynamicMemberLookup
public final class ModelInstance: ODESystem, SensitivitySystem {
    public let model: CompiledModel
    let code: ModelCode
    let memory: UnsafeMutablePointer<Double>
    let memoryCount: Int
    public let stateCount: Int
    public let rootCount: Int

    let programs: ModelPrograms
    let stateSlots: UnsafeMutablePointer<Int32>
    let derivativeSlots: UnsafeMutablePointer<Int32>
    let rootSlots: UnsafeMutablePointer<Int32>
    let jacobianEntries: UnsafeMutablePointer<ModelCode.JacobianEntry>
    let jacobianEntryCount: Int

    /// σ, the sensitivities of the plain values that carry them, parameter-major:
    /// `valueSensitivities[k * valueSlots.count + v]` (empty without sensitivities).
    let valueSensitivities: UnsafeMutablePointer<Double>
    let valueSensitivityCount: Int
    /// Scratch for the sensitivity right-hand side: the entries of J, then of ∂f/∂v.
    let sensitivityEntryValues: UnsafeMutablePointer<Double>
    /// |value| of each sensitivity parameter at the start of the last run (1 when zero).
    public internal(set) var parameterScales: [Double]
    /// The past of the delayed expressions, for a model with `delay(e, τ)`.
    let delayHistory: DelayHistory?

    public init(_ model: CompiledModel) {
        self.model = model
        code = model.code
        memoryCount = model.memoryCount
        memory = .allocate(capacity: max(1, memoryCount))
        memory.initialize(from: model.memoryImage, count: memoryCount)
        stateCount = model.stateCount
        rootCount = model.rootCount
        programs = model.programs
        stateSlots = code.stateSlots.base
        derivativeSlots = code.derivativeSlots.base
        rootSlots = code.rootSlots.base
        jacobianEntries = code.jacobianEntries.base
        jacobianEntryCount = code.jacobianEntries.count
        let parameterCount = model.sensitivities?.parameters.count ?? 0
        valueSensitivityCount = parameterCount * (model.sensitivities?.valueSlots.count ?? 0)
        valueSensitivities = .allocate(capacity: max(1, valueSensitivityCount))
        valueSensitivities.initialize(repeating: 0, count: max(1, valueSensitivityCount))
        let sensitivityEntryCount = (model.sensitivities?.jacobianEntries.count ?? 0) + (model.sensitivities?.valueEntries.count ?? 0)
        sensitivityEntryValues = .allocate(capacity: max(1, sensitivityEntryCount))
        sensitivityEntryValues.initialize(repeating: 0, count: max(1, sensitivityEntryCount))
        parameterScales = [Double](repeating: 1, count: parameterCount)
        let code = model.code
        delayHistory = code.delays.isEmpty ? nil : DelayHistory(terms: code.delays, hasComputedPast: code.delays.map { term in
            term.past != term.value || ModelInstance.readsTime(term.value, initialization: code.initialization)
        })
    }

    deinit {
        memory.deallocate()
        valueSensitivities.deallocate()
        sensitivityEntryValues.deallocate()
    }

    /// What the compiled model says about itself (`instance.states` is `instance.model.states`).
    public subscript<Value>(dynamicMember keyPath: KeyPath<CompiledModel, Value>) -> Value { model[keyPath: keyPath] }

    /// Calls `body` with the instance's memory (every slot of the compiled layout); the
    /// pointer must not escape.
    public func withMemory<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Double>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableBufferPointer(start: memory, count: memoryCount))
    }

    // MARK: ODESystem

    @inline(__always)
    func load(time: Double, state: UnsafePointer<Double>) {
        memory[0] = time
        for i in 0..<stateCount { memory[Int(stateSlots[i])] = state[i] }
        if let delayHistory { fillDelayed(delayHistory, time: time) }
    }

    /// Each delayed slot gets its expression's value one delay before `time` (once a run
    /// has started its history; until then the slots hold their initial values).
    func fillDelayed(_ history: DelayHistory, time: Double) {
        guard !history.isEmpty else { return }
        for (k, term) in history.terms.enumerated() {
            let past = time - history.lags[k]
            memory[term.slot] = past < history.startTime && history.hasComputedPast[k]
                ? prehistory(term, at: past) : history.value(k, at: past)
        }
    }

    /// A delayed expression before the start: the model's initial values computed as if
    /// the run started at `t`, so an expression of time (a rule `x = sin(time)`, an initial
    /// value `sin(time)`) has its own past and everything else is constant, rates of change
    /// included (the SBML Test Suite's reading, cases 00937, 00940, 01400). Computed in a
    /// scratch copy of memory.
    func prehistory(_ term: DelayTerm, at t: Double) -> Double {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, memoryCount))
        defer { scratch.deallocate() }
        scratch.initialize(from: memory, count: memoryCount)
        scratch[0] = t
        for (slot, expression) in code.initialization { scratch[slot] = TreeInterpreter.evaluate(expression, memory: scratch) }
        return TreeInterpreter.evaluate(term.past, memory: scratch)
    }

    // MARK: Delays

    /// Whether an expression's value at the start depends on the start time, directly or
    /// through the initial values it reads.
    static func readsTime(_ e: Symbolic, initialization: [(slot: Int, expression: Symbolic)]) -> Bool {
        let expressionOf = Dictionary(initialization.map { ($0.slot, $0.expression) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<Int>(), stack = Array(e.slots)
        while let slot = stack.popLast() {
            if slot == 0 { return true }
            guard seen.insert(slot).inserted, let next = expressionOf[slot] else { continue }
            stack.append(contentsOf: next.slots)
        }
        return false
    }

    /// Starts the history of the delayed expressions at `t0` (after `update`); nothing
    /// without delays.
    public func startHistory(time t0: Double) {
        guard let delayHistory else { return }
        delayHistory.start(time: t0, values: delayHistory.terms.map { TreeInterpreter.evaluate($0.value, memory: memory) })
    }

    /// Records the delayed expressions at `time` for `state`; `newSegment` after a
    /// discontinuity (an event changed values), so interpolation does not reach across it.
    public func recordHistory(time: Double, state: UnsafePointer<Double>, newSegment: Bool) {
        guard let delayHistory else { return }
        update(time: time, state: state)
        delayHistory.record(time: time, values: delayHistory.terms.map { TreeInterpreter.evaluate($0.value, memory: memory) },
                            newSegment: newSegment)
    }

    /// The latest time the solver may advance to before the history needs its next sample
    /// (∞ without delays).
    public var nextHistoryTime: Double {
        guard let delayHistory, let spacing = delayHistory.spacing else { return .infinity }
        return delayHistory.lastTime + spacing
    }

    /// Largest solver step the history allows: half the shortest delay (nil: no bound).
    public var maximumDelayStep: Double? { delayHistory?.shortestLag.map { $0 / 2 } }

    /// The next time after `t` at which the start's discontinuity reaches the solution
    /// through a delay (∞ without delays).
    public func nextDelayBreakpoint(after t: Double) -> Double { delayHistory?.nextBreakpoint(after: t) ?? .infinity }

    public var jacobianSparsity: JacobianSparsity? { code.jacobianSparsity }

    public func evaluateRHS(time: Double, state: UnsafePointer<Double>, derivative: UnsafeMutablePointer<Double>) {
        if let native = programs.nativeRightHandSide {
            if let delayHistory { fillDelayed(delayHistory, time: time) }
            native(time, state, derivative, memory)
            return
        }
        load(time: time, state: state)
        programs.rhs.run(memory: memory)
        for i in 0..<stateCount { derivative[i] = memory[Int(derivativeSlots[i])] }
    }

    public func evaluateJacobian(time: Double, state: UnsafePointer<Double>, jacobian: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        programs.jacobian.run(memory: memory)
        for k in 0..<jacobianEntryCount {
            let e = jacobianEntries[k]
            jacobian[e.offset] = memory[Int(e.slot)]
        }
    }

    public func evaluateSparseJacobian(time: Double, state: UnsafePointer<Double>, values: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        programs.jacobian.run(memory: memory)
        for k in 0..<jacobianEntryCount {
            let e = jacobianEntries[k]
            values[Int(e.sparseOffset)] = memory[Int(e.slot)]
        }
    }

    public func evaluateRoots(time: Double, state: UnsafePointer<Double>, roots: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        programs.root.run(memory: memory)
        for i in 0..<rootCount { roots[i] = memory[Int(rootSlots[i])] }
    }

    /// The native right-hand side over this instance's memory, for the integrator to call
    /// without going through Swift (the memory never moves while the instance lives).
    public var directRightHandSide: DirectRightHandSide? {
        // Delayed values are filled in Swift before each evaluation, so a model with delays
        // is always called through `evaluateRHS`.
        delayHistory == nil ? programs.nativeRightHandSide.map { DirectRightHandSide(function: $0, context: memory) } : nil
    }

    // MARK: Values for events and output

    /// Loads time and state and computes every assigned value (rules, concentrations,
    /// reaction rates), so that `value(ofSlot:)` and `evaluate(_:)` see a consistent picture.
    public func update(time: Double, state: UnsafePointer<Double>) {
        load(time: time, state: state)
        programs.assign.run(memory: memory)
    }

    /// Loads time and state and computes only the assigned values of `part` (made from this
    /// instance's compiled model), for output that reads a few of them: each to the bits
    /// `update` gives it. The other assigned values keep what memory held, so until the
    /// next `update` only `part`'s slots, the state and plain values may be read.
    public func update(time: Double, state: UnsafePointer<Double>, computing part: PartialUpdate) {
        load(time: time, state: state)
        part.code.run(memory: memory)
    }

    /// Evaluates every switch function and crossing time (after `update`).
    public func evaluateSwitches() {
        programs.switches.run(memory: memory)
        programs.crossings.run(memory: memory)
    }
    /// Evaluates the functions of the root-found switches alone (after `update`).
    public func evaluateRootSwitches() { programs.switches.run(memory: memory) }
    /// Evaluates the functions and crossing times of the time switches alone: they read
    /// only time and plain values, so they change only when an event assigns one of those.
    public func evaluateCrossings() { programs.crossings.run(memory: memory) }
    /// `lhs − rhs` of relational `k`, as of the last evaluation of its program.
    public func switchValue(_ k: Int) -> Double { memory[code.switchSlots[k]] }
    /// When time switch `k` flips, as of the last `evaluateCrossings()`; nil for root-found switches.
    public func crossingTime(_ k: Int) -> Double? { code.crossingSlots[k].map { memory[$0] } }

    /// Evaluates the triggers that read more than time switches (after `update`).
    public func evaluateTriggers() { programs.triggers.run(memory: memory) }
    /// Event `event`'s trigger: as of the last `evaluateTriggers()`, or, for a trigger that
    /// reads time switches only, from their truth values now.
    public func triggerValue(_ event: Int) -> Bool {
        guard let slot = code.triggerSlots[event] else { return TreeInterpreter.evaluate(code.events[event].trigger, memory: memory) != 0 }
        return memory[slot] != 0
    }

    /// The value in `slot` as of the last `update`. Assigned values (rules,
    /// concentrations, reaction rates) are only valid then: the solver's programs reuse
    /// their slots as scratch space.
    public func value(ofSlot slot: Int) -> Double { memory[slot] }
    public func setValue(_ v: Double, slot: Int) { memory[slot] = v }

    /// Evaluates an expression over the current memory (events: not a hot path).
    public func evaluate(_ e: Symbolic) -> Double { TreeInterpreter.evaluate(e, memory: memory) }

    /// Resets memory and computes the initial state, applying `overrides` (slot → value;
    /// for amount-based species the value is a concentration).
    /// Returns the initial state vector.
    public func initialState(time t0: Double = 0, overrides: [Int: Double] = [:]) -> [Double] {
        memory.update(from: model.memoryImage, count: memoryCount)
        memory[0] = t0
        func initialize(skipping skipped: Set<Int>) {
            for (slot, expression) in code.initialization where !skipped.contains(slot) {
                if let v = overrides[slot] {
                    memory[slot] = v
                    continue
                }
                memory[slot] = TreeInterpreter.evaluate(expression, memory: memory)
            }
        }
        initialize(skipping: [])
        if let delayHistory {
            // The delay intervals are fixed now; a delayed expression of time starts from its
            // value one interval back, and the values read from it are computed again.
            delayHistory.prepare(time: t0, lags: delayHistory.terms.map { TreeInterpreter.evaluate($0.lag, memory: memory) })
            let early = delayHistory.terms.indices.filter { delayHistory.hasComputedPast[$0] && delayHistory.lags[$0] > 0 }
            if !early.isEmpty {
                for k in early {
                    let term = delayHistory.terms[k]
                    memory[term.slot] = prehistory(term, at: t0 - delayHistory.lags[k])
                }
                initialize(skipping: Set(early.map { delayHistory.terms[$0].slot }))
            }
        }
        var y = [Double](repeating: 0, count: stateCount)
        for (i, s) in code.states.enumerated() {
            switch s.kind {
            case .amount(let concentrationSlot, let sizeSlot):
                // The initialization computed the concentration; the state is the amount.
                y[i] = memory[concentrationSlot] * memory[sizeSlot]
            case .raw:
                y[i] = memory[s.slot]
            }
            memory[s.slot] = y[i]
        }
        return y
    }
}
