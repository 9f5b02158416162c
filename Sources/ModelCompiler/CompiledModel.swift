public import KineticsCore

/// A pathway compiled to straight-line programs over one block of memory, ready for any
/// number of runs: immutable, so one compiled model serves every run and every worker
/// thread at once. Created by `ModelCompiler.compile`; `differentiated(with:)` adds the
/// forward-sensitivity programs and `NativeCode` the same programs as machine code, each
/// giving a new compiled model that shares the rest. A run's memory belongs to a
/// `ModelInstance`, made from the compiled model for that run.
///
/// Memory layout (slot indices): 0 is time; then every named value (parameters,
/// compartments, boundary species, states, assigned values, reaction rates); then
/// trigger relationals, Jacobian intermediates and constants/temporaries; then, when
/// differentiated, the sensitivity programs' slots. `memoryImage` covers all of it, so an
/// instance allocates its memory once, at its final size.
public final class CompiledModel: Sendable {
    /// What compiling the pathway produced (shared by every model derived from it).
    let code: ModelCode
    /// The programs as they run: bytecode, or machine code when built with native code.
    let programs: ModelPrograms
    /// The forward-sensitivity programs, when differentiated (`differentiated(with:)`).
    public let sensitivities: CompiledSensitivities?
    /// Every slot's value at the start of a run: constants in place, NaN until computed.
    let memoryImage: [Double]
    /// The loaded library the native programs live in, kept as long as the model is.
    let nativeLibrary: (any Sendable)?

    init(code: ModelCode, programs: ModelPrograms, sensitivities: CompiledSensitivities?, memoryImage: [Double],
         nativeLibrary: (any Sendable)?) {
        self.code = code
        self.programs = programs
        self.sensitivities = sensitivities
        self.memoryImage = memoryImage
        self.nativeLibrary = nativeLibrary
    }

    /// The part of `update` that computes the assigned values in `slots` (and what they are
    /// computed from), for `ModelInstance.update(time:state:computing:)`. Slots that are not
    /// assigned values (states, parameters) need nothing computed.
    public func partialUpdate(computing slots: [Int]) -> PartialUpdate {
        PartialUpdate(code: code.assignProgram.slice(computing: Set(slots.map { Int32($0) })))
    }

    /// Slots a run's memory has (the whole layout, sensitivity slots included).
    public var memoryCount: Int { memoryImage.count }

    public var name: String { code.name }
    public var stateCount: Int { code.states.count }
    public var rootCount: Int { code.rootRelationals.count }
    /// What each state variable is (for messages and output).
    public var states: [StateVariable] { code.states }
    /// Every named quantity and the slot holding its current value.
    public var symbols: [String: Int] { code.symbols }
    /// Default output columns: non-boundary species in declaration order.
    public var defaultColumns: [String] { code.defaultColumns }
    /// What each name is, for `check` and for `--select` errors.
    public var symbolKinds: [String: SymbolKind] { code.symbolKinds }
    public var displayNames: [String: String] { code.displayNames }
    public var summary: ModelSummary { code.summary }
    /// Structurally non-zero Jacobian entries plus the diagonal, for sparse solvers.
    public var jacobianSparsity: JacobianSparsity? { code.jacobianSparsity }
    /// Symbolic forms, kept for printing, checking and the reference interpreter.
    public var derivativeExpressions: [Symbolic] { code.derivativeExpressions }
    public var assignedValues: [AssignedValue] { code.assignedValues }
    /// Structurally non-zero Jacobian entries and their expressions.
    public var jacobianExpressions: [(row: Int, column: Int, expression: Symbolic)] { code.jacobianExpressions }
    /// Partial derivatives of assigned values that the Jacobian expressions refer to.
    public var jacobianIntermediates: [(slot: Int, expression: Symbolic)] { code.jacobianIntermediates }
    public var slotNames: [Int: String] { code.slotNames }
    public var relationals: [Relational] { code.relationals }
    /// Indices into `relationals` that CVODE watches as root functions.
    public var rootRelationals: [Int] { code.rootRelationals }
    public var events: [CompiledEvent] { code.events }
    /// Which events and crossing times an event instant has to look at again.
    public var eventDependencies: EventDependencies { code.eventDependencies }
    /// How to compute every value at the start, in dependency order.
    var initialization: [(slot: Int, expression: Symbolic)] { code.initialization }
    /// `delay(e, τ)` terms (empty for an ordinary ODE model).
    public var delays: [DelayTerm] { code.delays }

    /// Whether the programs run as native code.
    public var runsNativeCode: Bool { programs.nativeRightHandSide != nil }

    /// Initial values of named quantities (NaN for unknown names), computed in a scratch
    /// instance.
    public func initialValues(of names: [String]) -> [Double] {
        let instance = ModelInstance(self)
        _ = instance.initialState()
        return names.map { symbols[$0].map(instance.value(ofSlot:)) ?? .nan }
    }
}

/// Elements fixed when a model is compiled, in manually allocated memory so the solver's
/// callbacks read them without bounds checks or reference counting. Written only by
/// `init`, hence the unchecked `Sendable`.
final class SlotTable<Element: Sendable>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        count = elements.count
        base = .allocate(capacity: max(1, elements.count))
        base.initialize(from: elements, count: elements.count)
    }

    subscript(i: Int) -> Element {
        @inline(__always) get { base[i] }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}

/// The programs a model runs, each as bytecode or as machine code.
struct ModelPrograms: Sendable {
    var assign, rhs, jacobian, root, switches, crossings, triggers: ExecutableProgram
    /// The right-hand side as machine code, which also moves the state in and the
    /// derivatives out (`NativeSource.StateTransfer`).
    var nativeRightHandSide: NativeRightHandSide?
    /// A differentiated model's sensitivity programs (`CompiledSensitivities`).
    var sensitivityRHS: ExecutableProgram?
    var sensitivityPartials: ExecutableProgram?
}

/// What a compiled model says about itself: names, states, symbolic forms, events.
struct ModelDescription: Sendable {
    var name: String, states: [StateVariable], symbols: [String: Int], defaultColumns: [String]
    var symbolKinds: [String: SymbolKind], displayNames: [String: String], summary: ModelSummary
    var derivativeExpressions: [Symbolic], assignedValues: [AssignedValue]
    var jacobianExpressions: [(row: Int, column: Int, expression: Symbolic)]
    var jacobianIntermediates: [(slot: Int, expression: Symbolic)], slotNames: [Int: String]
    var relationals: [Relational], rootRelationals: [Int], events: [CompiledEvent]
    /// How to compute every value at the start, in dependency order.
    var initialization: [(slot: Int, expression: Symbolic)]
    /// `delay(e, τ)` terms, whose slots the instance fills from its history.
    var delays: [DelayTerm] = []
}

/// Everything compiling a pathway produces: slot layout, program code, symbols, events
/// (its `description` reads through: `code.states`). Immutable; the compiled models made
/// from one compilation share it.
@dynamicMemberLookup
final class ModelCode: Sendable {
    let description: ModelDescription

    let assignProgram: ProgramCode
    let rhsProgram: ProgramCode
    let jacobianProgram: ProgramCode
    let rootProgram: ProgramCode
    let derivativeSlots: SlotTable<Int32>
    let stateSlots: SlotTable<Int32>
    let jacobianEntries: SlotTable<JacobianEntry>
    let jacobianSparsity: JacobianSparsity?
    let rootSlots: SlotTable<Int32>

    /// Computes the function of every root-found switch.
    let switchProgram: ProgramCode
    /// Computes the function and the crossing time of every time switch.
    let crossingProgram: ProgramCode
    let switchSlots: [Int]
    let crossingSlots: [Int?]
    /// Computes the trigger (non-zero: true) of every event that reads more than time
    /// switches; a time-only event's trigger has no slot and is evaluated on its own.
    let triggerProgram: ProgramCode
    let triggerSlots: [Int?]
    let eventDependencies: EventDependencies
    /// The memory image of the compilation's own slots (sensitivity slots come after).
    let memoryImage: [Double]

    struct JacobianEntry: Sendable {
        /// Offset in the column-major dense matrix.
        var offset: Int
        var slot: Int32
        /// Position in the compressed-sparse-column values of `jacobianSparsity`.
        var sparseOffset: Int32
    }

    subscript<Value>(dynamicMember keyPath: KeyPath<ModelDescription, Value>) -> Value { description[keyPath: keyPath] }

    /// The parts of a compiled pathway, as `Compilation.assemble` lays them out.
    struct Parts {
        var description: ModelDescription
        var assignProgram: Program, rhsProgram: Program, jacobianProgram: Program, rootProgram: Program
        var derivativeSlots: [Int], jacobian: [(row: Int, column: Int, slot: Int)], rootSlots: [Int]
        var switchProgram: Program, crossingProgram: Program, switchSlots: [Int], crossingSlots: [Int?]
        var triggerProgram: Program, triggerSlots: [Int?], eventDependencies: EventDependencies
        var memoryImage: [Double], firstTemporarySlot: Int
    }

    init(_ parts: Parts) {
        description = parts.description
        // Each program's temporaries are its own (programs that share instructions write
        // them before reading them); only the slots the model reads after a run keep
        // their place.
        func temporaries(outputs: some Sequence<Int>, renamable: Set<Int> = []) -> ProgramCode.Temporaries {
            ProgramCode.Temporaries(first: parts.firstTemporarySlot, outputs: Set(outputs), renamable: renamable)
        }
        // The solver's programs recompute the assigned values (and the Jacobian its chain-rule
        // intermediates) for themselves; only `assignProgram` leaves them in memory for
        // output and events. Renaming them shrinks what a right-hand side touches: for the
        // 1,100-state dendrite chain, from 5,722 slots to 4,522.
        let assigned = Set(parts.description.assignedValues.map(\.slot))
        assignProgram = ProgramCode(parts.assignProgram, temporaries: temporaries(outputs: []))
        rhsProgram = ProgramCode(parts.rhsProgram, temporaries: temporaries(outputs: [], renamable: assigned))
        jacobianProgram = ProgramCode(parts.jacobianProgram, temporaries: temporaries(
            outputs: parts.jacobian.map(\.slot), renamable: assigned.union(parts.description.jacobianIntermediates.map(\.slot))))
        rootProgram = ProgramCode(parts.rootProgram, temporaries: temporaries(outputs: parts.rootSlots, renamable: assigned))
        switchProgram = ProgramCode(parts.switchProgram, temporaries: temporaries(outputs: parts.switchSlots))
        crossingProgram = ProgramCode(parts.crossingProgram,
                                      temporaries: temporaries(outputs: parts.switchSlots + parts.crossingSlots.compactMap { $0 }))
        switchSlots = parts.switchSlots
        crossingSlots = parts.crossingSlots
        triggerProgram = ProgramCode(parts.triggerProgram, temporaries: temporaries(outputs: parts.triggerSlots.compactMap { $0 }))
        triggerSlots = parts.triggerSlots
        eventDependencies = parts.eventDependencies
        memoryImage = parts.memoryImage

        let n = parts.description.states.count
        derivativeSlots = SlotTable(parts.derivativeSlots.map { Int32($0) })
        stateSlots = SlotTable(parts.description.states.map { Int32($0.slot) })
        let sparsity = JacobianSparsity(dimension: n, entries: parts.jacobian.map { ($0.row, $0.column) })
        jacobianSparsity = n == 0 ? nil : sparsity
        jacobianEntries = SlotTable(parts.jacobian.map { e in
            JacobianEntry(offset: e.row + e.column * n, slot: Int32(e.slot),
                          sparseOffset: Int32(sparsity.position(row: e.row, column: e.column)!))
        })
        rootSlots = SlotTable(parts.rootSlots.map { Int32($0) })
    }

    /// The programs as bytecode.
    var bytecode: ModelPrograms {
        ModelPrograms(assign: ExecutableProgram(assignProgram), rhs: ExecutableProgram(rhsProgram),
                      jacobian: ExecutableProgram(jacobianProgram), root: ExecutableProgram(rootProgram),
                      switches: ExecutableProgram(switchProgram), crossings: ExecutableProgram(crossingProgram),
                      triggers: ExecutableProgram(triggerProgram))
    }
}

/// Some of a model's assigned values, computed as `ModelInstance.update` computes them
/// (`CompiledModel.partialUpdate(computing:)`). Always bytecode, also for a model run as
/// native code: the bytecode computes the same bits, and the part is a few instructions.
public struct PartialUpdate: Sendable {
    let code: ProgramCode
    /// How many instructions it runs.
    public var instructionCount: Int { code.count }
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
    public func liveValue(_ instance: ModelInstance) -> Bool? { liveValue(switchFunction: instance.evaluate(function)) }

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
