public import KineticsCore

/// A pathway compiled to straight-line programs over one block of memory, ready for
/// the integrator. Created by `ModelCompiler.compile`.
///
/// Memory layout (slot indices): 0 is time; then every named value (parameters,
/// compartments, boundary species, states, assigned values, reaction rates); then
/// trigger relationals, Jacobian intermediates and constants/temporaries.
///
/// A compiled model owns mutable memory (event assignments change parameters), so one
/// instance serves one simulation at a time.
public final class CompiledModel: ODESystem {
    public let name: String
    public let stateCount: Int
    public var rootCount: Int { rootRelationals.count }

    /// What each state variable is (for messages and output).
    public let states: [StateVariable]
    /// Every named quantity and the slot holding its current value.
    public let symbols: [String: Int]
    /// Default output columns: non-boundary species in declaration order.
    public let defaultColumns: [String]
    /// What each name is, for `check` and for `--select` errors.
    public let symbolKinds: [String: SymbolKind]
    public let displayNames: [String: String]
    public let summary: ModelSummary

    // Programs.
    let assignProgram: ProgramCode
    let rhsProgram: ProgramCode
    let jacobianProgram: ProgramCode
    let rootProgram: ProgramCode
    let derivativeSlots: UnsafeMutablePointer<Int32>
    let stateSlots: UnsafeMutablePointer<Int32>
    let jacobianEntries: UnsafeMutablePointer<JacobianEntry>
    let jacobianEntryCount: Int
    /// Structurally non-zero Jacobian entries plus the diagonal, for sparse solvers.
    public let jacobianSparsity: JacobianSparsity?
    let rootSlots: UnsafeMutablePointer<Int32>
    /// The right-hand side as machine code, when installed (`install(native:rightHandSide:)`).
    let nativeRightHandSide: UnsafeMutablePointer<NativeRightHandSide?>

    /// Symbolic forms, kept for printing, checking and the reference interpreter.
    public let derivativeExpressions: [Symbolic]
    public let assignedValues: [AssignedValue]
    /// Structurally non-zero Jacobian entries and their expressions.
    public let jacobianExpressions: [(row: Int, column: Int, expression: Symbolic)]
    /// Partial derivatives of assigned values that the Jacobian expressions refer to.
    public let jacobianIntermediates: [(slot: Int, expression: Symbolic)]
    public let slotNames: [Int: String]

    // Discontinuities and events.
    public let relationals: [Relational]
    /// Indices into `relationals` that CVODE watches as root functions.
    public let rootRelationals: [Int]
    public let events: [CompiledEvent]
    /// Computes every switch function and every time switch's crossing time.
    let switchProgram: ProgramCode
    let switchSlots: [Int]
    let crossingSlots: [Int?]
    /// The crossing slots of the time switches alone.
    let timedCrossingSlots: [Int]
    /// Computes every event's trigger (non-zero: true) from the tracked truth values.
    let triggerProgram: ProgramCode
    let triggerSlots: [Int]
    /// How to compute every value at the start, in dependency order.
    let initialization: [(slot: Int, expression: Symbolic)]
    private(set) var memoryImage: [Double]

    /// Grows when sensitivity programs are added (`extendMemory`); never cache it.
    /// Unchecked: only `extendMemory` replaces it, and the runtime's exclusivity check on
    /// every read cost more than the root functions it guarded (tens of thousands a run).
    @exclusivity(unchecked) public private(set) var memory: UnsafeMutablePointer<Double>
    public private(set) var memoryCount: Int

    public struct JacobianEntry {
        /// Offset in the column-major dense matrix.
        public var offset: Int
        public var slot: Int32
        /// Position in the compressed-sparse-column values of `jacobianSparsity`.
        public var sparseOffset: Int32
    }

    init(name: String, states: [StateVariable], symbols: [String: Int], defaultColumns: [String],
         symbolKinds: [String: SymbolKind], displayNames: [String: String], summary: ModelSummary,
         assignProgram: Program, rhsProgram: Program, jacobianProgram: Program, rootProgram: Program,
         derivativeSlots: [Int], jacobian: [(row: Int, column: Int, slot: Int)], rootSlots: [Int],
         derivativeExpressions: [Symbolic], assignedValues: [AssignedValue],
         jacobianExpressions: [(row: Int, column: Int, expression: Symbolic)],
         jacobianIntermediates: [(slot: Int, expression: Symbolic)], slotNames: [Int: String],
         relationals: [Relational], rootRelationals: [Int], events: [CompiledEvent],
         switchProgram: Program, switchSlots: [Int], crossingSlots: [Int?],
         triggerProgram: Program, triggerSlots: [Int],
         initialization: [(slot: Int, expression: Symbolic)], memoryImage: [Double], firstTemporarySlot: Int) {
        self.name = name
        self.stateCount = states.count
        self.states = states
        self.symbols = symbols
        self.defaultColumns = defaultColumns
        self.symbolKinds = symbolKinds
        self.displayNames = displayNames
        self.summary = summary
        // Each program's temporaries are its own (programs that share instructions write
        // them before reading them); only the slots the model reads after a run keep
        // their place.
        func temporaries(outputs: some Sequence<Int>, renamable: Set<Int> = []) -> ProgramCode.Temporaries {
            ProgramCode.Temporaries(first: firstTemporarySlot, outputs: Set(outputs), renamable: renamable)
        }
        // The solver's programs recompute the assigned values (and the Jacobian its chain-rule
        // intermediates) for themselves; only `assignProgram` leaves them in memory for
        // output and events. Renaming them shrinks what a right-hand side touches: for the
        // 1,100-state dendrite chain, from 5,722 slots to 4,522.
        let assigned = Set(assignedValues.map(\.slot))
        self.assignProgram = ProgramCode(assignProgram, temporaries: temporaries(outputs: []))
        self.rhsProgram = ProgramCode(rhsProgram, temporaries: temporaries(outputs: [], renamable: assigned))
        self.jacobianProgram = ProgramCode(jacobianProgram, temporaries: temporaries(
            outputs: jacobian.map(\.slot), renamable: assigned.union(jacobianIntermediates.map(\.slot))))
        self.rootProgram = ProgramCode(rootProgram, temporaries: temporaries(outputs: rootSlots, renamable: assigned))
        self.derivativeExpressions = derivativeExpressions
        self.assignedValues = assignedValues
        self.jacobianExpressions = jacobianExpressions
        self.jacobianIntermediates = jacobianIntermediates
        self.slotNames = slotNames
        self.relationals = relationals
        self.switchProgram = ProgramCode(switchProgram, temporaries: temporaries(outputs: switchSlots + crossingSlots.compactMap { $0 }))
        self.switchSlots = switchSlots
        self.crossingSlots = crossingSlots
        self.timedCrossingSlots = crossingSlots.compactMap { $0 }
        self.triggerProgram = ProgramCode(triggerProgram, temporaries: temporaries(outputs: triggerSlots))
        self.triggerSlots = triggerSlots
        self.rootRelationals = rootRelationals
        self.events = events
        self.initialization = initialization
        self.memoryImage = memoryImage

        self.derivativeSlots = .allocate(capacity: max(1, derivativeSlots.count))
        self.stateSlots = .allocate(capacity: max(1, states.count))
        for (i, s) in derivativeSlots.enumerated() { self.derivativeSlots[i] = Int32(s) }
        for (i, s) in states.enumerated() { self.stateSlots[i] = Int32(s.slot) }
        self.jacobianEntryCount = jacobian.count
        self.jacobianEntries = .allocate(capacity: max(1, jacobian.count))
        let sparsity = JacobianSparsity(dimension: states.count, entries: jacobian.map { ($0.row, $0.column) })
        self.jacobianSparsity = states.isEmpty ? nil : sparsity
        for (k, e) in jacobian.enumerated() {
            jacobianEntries[k] = JacobianEntry(offset: e.row + e.column * states.count, slot: Int32(e.slot),
                                               sparseOffset: Int32(sparsity.position(row: e.row, column: e.column)!))
        }
        self.rootSlots = .allocate(capacity: max(1, rootSlots.count))
        for (i, s) in rootSlots.enumerated() { self.rootSlots[i] = Int32(s) }
        self.nativeRightHandSide = .allocate(capacity: 1)
        self.nativeRightHandSide.initialize(to: nil)
        self.memoryCount = memoryImage.count
        self.memory = .allocate(capacity: max(1, memoryImage.count))
        self.memory.initialize(from: memoryImage, count: memoryImage.count)
    }

    /// Appends slots (initialised from `image`) for programs compiled after the model,
    /// e.g. sensitivities; returns the first new slot. This moves the memory, so it is
    /// only for building a `SensitivityModel`, which is done before any integrator is
    /// created (an integrator holds the memory's address; see `directRightHandSide`).
    func extendMemory(_ image: [Double]) -> Int {
        let first = memoryCount
        let grown = UnsafeMutablePointer<Double>.allocate(capacity: max(1, memoryCount + image.count))
        grown.initialize(from: memory, count: memoryCount)
        (grown + memoryCount).initialize(from: image, count: image.count)
        memory.deallocate()
        memory = grown
        memoryImage += image
        memoryCount += image.count
        return first
    }

    deinit {
        assignProgram.deallocate()
        rhsProgram.deallocate()
        jacobianProgram.deallocate()
        rootProgram.deallocate()
        switchProgram.deallocate()
        triggerProgram.deallocate()
        derivativeSlots.deallocate()
        stateSlots.deallocate()
        jacobianEntries.deallocate()
        rootSlots.deallocate()
        nativeRightHandSide.deallocate()
        memory.deallocate()
    }

    // MARK: ODESystem

    @inline(__always)
    func load(time: Double, state: UnsafePointer<Double>) {
        memory[0] = time
        for i in 0..<stateCount { memory[Int(stateSlots[i])] = state[i] }
    }

    public func evaluateRHS(time: Double, state: UnsafePointer<Double>, derivative: UnsafeMutablePointer<Double>) {
        if let native = nativeRightHandSide.pointee {
            native(time, state, derivative, memory)
            return
        }
        load(time: time, state: state)
        rhsProgram.run(memory: memory)
        for i in 0..<stateCount { derivative[i] = memory[Int(derivativeSlots[i])] }
    }

    public func evaluateJacobian(time: Double, state: UnsafePointer<Double>, jacobian: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        jacobianProgram.run(memory: memory)
        for k in 0..<jacobianEntryCount {
            let e = jacobianEntries[k]
            jacobian[e.offset] = memory[Int(e.slot)]
        }
    }

    public func evaluateSparseJacobian(time: Double, state: UnsafePointer<Double>, values: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        jacobianProgram.run(memory: memory)
        for k in 0..<jacobianEntryCount {
            let e = jacobianEntries[k]
            values[Int(e.sparseOffset)] = memory[Int(e.slot)]
        }
    }

    public func evaluateRoots(time: Double, state: UnsafePointer<Double>, roots: UnsafeMutablePointer<Double>) {
        load(time: time, state: state)
        rootProgram.run(memory: memory)
        for i in 0..<rootRelationals.count { roots[i] = memory[Int(rootSlots[i])] }
    }

    // MARK: Values for events and output

    /// Loads time and state and computes every assigned value (rules, concentrations,
    /// reaction rates), so that `value(ofSlot:)` and `evaluate(_:)` see a consistent picture.
    public func update(time: Double, state: UnsafePointer<Double>) {
        load(time: time, state: state)
        assignProgram.run(memory: memory)
    }

    /// Evaluates every switch function and crossing time (after `update`).
    public func evaluateSwitches() { switchProgram.run(memory: memory) }
    /// `lhs − rhs` of relational `k`, as of the last `evaluateSwitches()`.
    public func switchValue(_ k: Int) -> Double { memory[switchSlots[k]] }
    /// When time switch `k` flips, as of the last `evaluateSwitches()`; nil for root-found switches.
    public func crossingTime(_ k: Int) -> Double? { crossingSlots[k].map { memory[$0] } }
    /// The earliest crossing time after `t` of any time switch, as of the last
    /// `evaluateSwitches()`; +∞ when none is ahead.
    public func nextCrossing(after t: Double) -> Double {
        var next = Double.infinity
        for slot in timedCrossingSlots {
            let c = memory[slot]
            if c > t, c < next { next = c }
        }
        return next
    }

    /// Evaluates every event trigger from the tracked truth values (after `update`).
    public func evaluateTriggers() { triggerProgram.run(memory: memory) }
    public func triggerValue(_ event: Int) -> Bool { memory[triggerSlots[event]] != 0 }

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
        memory.update(from: memoryImage, count: memoryCount)
        memory[0] = t0
        for (slot, expression) in initialization {
            if let v = overrides[slot] {
                memory[slot] = v
                continue
            }
            memory[slot] = TreeInterpreter.evaluate(expression, memory: memory)
        }
        var y = [Double](repeating: 0, count: stateCount)
        for (i, s) in states.enumerated() {
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

/// One entry of the state vector.
public struct StateVariable: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A species integrated as an amount; expressions see `amount / size`.
        case amount(concentrationSlot: Int, sizeSlot: Int)
        /// A value integrated as itself (rate-rule targets; species with only substance units).
        case raw
    }
    public let name: String
    public let slot: Int
    public let kind: Kind
}

/// A value computed from others at every evaluation: a species concentration, an
/// assignment rule or a reaction rate.
public struct AssignedValue: Sendable {
    public enum Kind: Sendable { case concentration, rule, reactionRate }
    public let name: String
    public let slot: Int
    public let expression: Symbolic
    public let kind: Kind
}

public enum SymbolKind: String, Sendable {
    case species, boundarySpecies = "boundary species", compartment, parameter, reaction
}

/// A comparison that can switch discontinuously: in an event trigger or a rate law.
public struct Relational: Sendable {
    public enum Timing: Sendable {
        /// `time OP e` with `e` free of state: the switch happens at time `crossing`,
        /// which the integrator lands on exactly.
        case timed(crossing: Symbolic)
        /// Anything else: watched by the integrator's root finding.
        case root
    }
    public let comparison: Symbolic.BinaryFunction
    public let lhs: Symbolic
    public let rhs: Symbolic
    /// `lhs − rhs`, whose sign change is the switch.
    public let function: Symbolic
    public let timing: Timing
    /// Slot holding the comparison's tracked truth value (1/0) in event triggers, which
    /// read it instead of comparing live: at a crossing the values are equal to within
    /// round-off, and only the crossing direction says which side the system is on.
    public let truthSlot: Int?

    /// Truth value from live values, or `nil` when they are exactly on the boundary.
    public func liveValue(_ model: CompiledModel) -> Bool? { liveValue(switchFunction: model.evaluate(function)) }

    /// Truth value for `lhs − rhs = g`, or `nil` on the boundary (g = 0).
    public func liveValue(switchFunction g: Double) -> Bool? { Self.liveValue(comparison, switchFunction: g) }

    /// Truth value just after `lhs − rhs` crossed zero in direction `rising`.
    public func valueAfterCrossing(rising: Bool) -> Bool { Self.valueAfterCrossing(comparison, rising: rising) }

    /// `liveValue(switchFunction:)` for a relational comparing with `comparison`.
    public static func liveValue(_ comparison: Symbolic.BinaryFunction, switchFunction g: Double) -> Bool? {
        if g == 0 {
            switch comparison {
            case .equal: return true
            case .notEqual: return false
            default: return nil
            }
        }
        switch comparison {
        case .greater, .greaterEqual: return g > 0
        case .less, .lessEqual: return g < 0
        case .equal: return false
        case .notEqual: return true
        default: return nil
        }
    }

    /// `valueAfterCrossing(rising:)` for a relational comparing with `comparison`.
    public static func valueAfterCrossing(_ comparison: Symbolic.BinaryFunction, rising: Bool) -> Bool {
        switch comparison {
        case .greater, .greaterEqual: return rising
        case .less, .lessEqual: return !rising
        case .equal: return true
        case .notEqual: return false
        default: return false
        }
    }
}

public struct CompiledEvent: Sendable {
    public enum Target: Sendable {
        /// A species integrated as an amount: the new amount is value × compartment size.
        case amountState(index: Int, sizeSlot: Int)
        case rawState(index: Int)
        case value(slot: Int)
    }
    public let id: String
    /// Reads relational truth slots; non-zero means true.
    public let trigger: Symbolic
    public let delay: Symbolic?
    public let priority: Symbolic?
    public let initialValue: Bool
    public let persistent: Bool
    public let useValuesFromTriggerTime: Bool
    public let assignments: [(target: Target, name: String, value: Symbolic)]
}

/// Counts for `kinapse check`.
public struct ModelSummary: Sendable {
    public var species = 0, floatingSpecies = 0, boundarySpecies = 0
    public var compartments = 0, parameters = 0, reactions = 0
    public var assignmentRules = 0, rateRules = 0, events = 0, functions = 0
    public var stateSize = 0, jacobianNonZeros = 0, rootFunctions = 0, timedSwitches = 0
    public var rhsInstructions = 0, jacobianInstructions = 0
}
