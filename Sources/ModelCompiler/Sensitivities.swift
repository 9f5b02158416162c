import KineticsCore
import SourceDiagnostics

/// Why sensitivities cannot be computed for a request (an unknown or computed parameter,
/// or a model feature the sensitivity engine does not handle).
public struct SensitivityError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { self.message = message; self.hint = hint }
    public var description: String { hint.map { "\(message)\nhint: \($0)" } ?? message }
}

/// The forward-sensitivity programs of one compiled model for one list of parameters:
/// compiled once (`CompiledModel.differentiated(with:)`), immutable, and part of the
/// differentiated model's layout; a `ModelInstance` of that model runs them with any
/// parameter values.
///
/// A parameter is a plain model value (a parameter, a compartment size or a boundary
/// species without rules) named as in the model, or `init(X)`: the initial
/// concentration of state `X` (its value as an override).
///
/// What it tracks, besides the state sensitivities `s_k = ∂y/∂p_k` that CVODES integrates:
/// the sensitivities σ of *plain values* that carry them (the parameters themselves,
/// values whose initial values are computed from them, and every value an event
/// assigns). These are constant between events, so the right-hand side of the
/// sensitivity equations is `J·s_k + Σ_v (∂f/∂v)·σ_{v,k}`, compiled like the Jacobian
/// (chain rule through assignment rules) and evaluated without allocation.
public final class CompiledSensitivities: Sendable {
    /// The model quantity a sensitivity parameter names: `X` for `init(X)`, else the name
    /// itself; the name an override (`--set X=…`) and `CompiledModel.initialValues(of:)` use.
    public static func quantity(named parameter: String) -> String {
        parameter.hasPrefix("init(") && parameter.hasSuffix(")") ? String(parameter.dropFirst(5).dropLast()) : parameter
    }

    public let parameters: [String]
    public var parameterCount: Int { parameters.count }

    /// The slot seeded with ∂/∂p_k = 1 at initialisation: a plain value's slot, or the
    /// initial-value slot (concentration or raw value) of a state for `init(X)`.
    let seedSlots: [Int]
    /// Plain values that carry sensitivities, and their index in σ.
    public let valueSlots: [Int]
    let valueIndexOfSlot: [Int: Int]
    let stateIndexOfSlot: [Int: Int]

    struct Entry: Sendable {
        var row: Int32, column: Int32, slot: Int32
    }
    /// Computes assigned values, their partials and the entries of J and ∂f/∂v.
    let rhsProgram: ProgramCode
    /// In row order (each row's entries together): `jacobianRowStarts[i]..<jacobianRowStarts[i + 1]`
    /// are row i's, and `jacobianColumns` repeats their columns contiguously for the products.
    let jacobianEntries: SlotTable<Entry>
    let jacobianRowStarts: SlotTable<Int32>
    let jacobianColumns: SlotTable<Int32>
    /// `column` is an index into `valueSlots`. Grouped by column (in row order within
    /// one), so that the right-hand side visits only the columns whose σ is non-zero:
    /// `valueColumnStarts[v]..<valueColumnStarts[v + 1]` are column v's entries.
    let valueEntries: SlotTable<Entry>
    let valueColumnStarts: SlotTable<Int32>

    /// Computes assigned values and their total partials with respect to every
    /// independent: states `0..<n`, plain values `n..<n+V`, time `n+V`.
    let partialsProgram: ProgramCode
    let partials: [Int: [(independent: Int, slot: Int)]]

    /// Per initialisation step (parallel to `model.initialization`): ∂expression/∂input.
    let initialTerms: [[(input: Int, derivative: Symbolic)]]
    /// Per event, per assignment: ∂value/∂input.
    let eventTerms: [[[(input: Int, derivative: Symbolic)]]]
    /// The memory image of the slots these programs add after the model's.
    let memoryImage: [Double]

    /// Compiles the sensitivity programs for `parameters` (see the type's documentation).
    init(model: CompiledModel, parameters: [String]) throws(SensitivityError) {
        self.parameters = parameters
        let n = model.stateCount

        var stateIndexOfSlot: [Int: Int] = [:]
        var stateValueSlots: [String: Int] = [:]  // what init(X) seeds
        var computedSlots = Set(model.assignedValues.map(\.slot))
        for (i, s) in model.states.enumerated() {
            stateIndexOfSlot[s.slot] = i
            switch s.kind {
            case .amount(let cs, _):
                stateValueSlots[s.name] = cs
                computedSlots.insert(cs)
            case .raw: stateValueSlots[s.name] = s.slot
            }
        }
        self.stateIndexOfSlot = stateIndexOfSlot
        func isPlain(_ slot: Int) -> Bool { slot != 0 && stateIndexOfSlot[slot] == nil && !computedSlots.contains(slot) }

        // Which slot each parameter seeds.
        var seeds: [Int] = []
        for (k, name) in parameters.enumerated() {
            if parameters[..<k].contains(name) {
                throw SensitivityError("parameter '\(name)' is listed twice for sensitivities")
            }
            if name.hasPrefix("init("), name.hasSuffix(")") {
                let species = Self.quantity(named: name)
                guard let slot = stateValueSlots[species] else {
                    throw SensitivityError("cannot differentiate with respect to '\(name)': '\(species)' is not a state of model '\(model.name)'",
                                           hint: "init(X) takes a floating species or a rate-rule variable")
                }
                seeds.append(slot)
                continue
            }
            guard let slot = model.symbols[name] else {
                throw SensitivityError("cannot differentiate with respect to '\(name)': no such symbol in model '\(model.name)'",
                                       hint: Suggestions.didYouMean(name, among: model.symbols.keys))
            }
            if stateValueSlots[name] != nil {
                throw SensitivityError("cannot differentiate with respect to '\(name)': it is a state of the model",
                                       hint: "use 'init(\(name))' for its initial value")
            }
            guard isPlain(slot) else {
                throw SensitivityError("cannot differentiate with respect to '\(name)': it is computed by a rule or is a reaction rate",
                                       hint: "differentiate with respect to the parameters it is computed from")
            }
            seeds.append(slot)
        }
        self.seedSlots = seeds

        // Plain values carrying sensitivities: the parameters, values initialised from them
        // (e.g. `K = 2*k1`), and every value an event assigns.
        var live = Set(seeds)
        for (slot, e) in model.initialization where !live.contains(slot) {
            if e.slots.contains(where: live.contains) { live.insert(slot) }
        }
        var valueSet = Set(live.filter(isPlain))
        for e in model.events {
            for a in e.assignments { if case .value(let slot) = a.target { valueSet.insert(slot) } }
        }
        let values = valueSet.sorted()
        self.valueSlots = values
        var valueIndexOfSlot: [Int: Int] = [:]
        for (v, slot) in values.enumerated() { valueIndexOfSlot[slot] = v }
        self.valueIndexOfSlot = valueIndexOfSlot
        let nv = values.count

        try Self.refuseUnsupported(model, carrying: valueSet)

        // Independents: states, then plain values, then time.
        var rhsIndependents = stateIndexOfSlot
        for (v, slot) in values.enumerated() { rhsIndependents[slot] = n + v }
        var allIndependents = rhsIndependents
        allIndependents[0] = n + nv
        func name(_ j: Int) -> String {
            j < n ? model.states[j].name : j < n + nv ? model.slotNames[values[j - n]] ?? "?" : "time"
        }
        var nextSlot = model.memoryCount
        var slotNames: [Int: String] = [:]
        let rhsChain = ChainRule(order: model.assignedValues, independentOfSlot: rhsIndependents) { v, j in
            defer { nextSlot += 1 }
            slotNames[nextSlot] = "∂\(v.name)/∂\(name(j))"
            return nextSlot
        }
        let allChain = ChainRule(order: model.assignedValues, independentOfSlot: allIndependents) { v, j in
            defer { nextSlot += 1 }
            slotNames[nextSlot] = "∂\(v.name)/∂\(name(j)) (sensitivity outputs)"
            return nextSlot
        }

        let firstTemporarySlot = nextSlot
        var builder = ProgramBuilder(firstFreeSlot: firstTemporarySlot)
        var rhs = Program()
        for v in model.assignedValues { builder.emit(v.expression, storingInto: v.slot, program: &rhs) }
        for (slot, e) in rhsChain.intermediates { builder.emit(e, storingInto: slot, program: &rhs) }
        var jacobian: [Entry] = []
        var valueEntries: [Entry] = []
        for (i, f) in model.derivativeExpressions.enumerated() {
            for (j, d) in rhsChain.gradient(of: f) {
                let slot = Int32(builder.emit(d, into: &rhs))
                if j < n { jacobian.append(Entry(row: Int32(i), column: Int32(j), slot: slot)) }
                else { valueEntries.append(Entry(row: Int32(i), column: Int32(j - n), slot: slot)) }
            }
        }

        builder.resetCache()
        var partialsCode = Program()
        for v in model.assignedValues { builder.emit(v.expression, storingInto: v.slot, program: &partialsCode) }
        for (slot, e) in allChain.intermediates { builder.emit(e, storingInto: slot, program: &partialsCode) }
        var partials: [Int: [(independent: Int, slot: Int)]] = [:]
        for v in model.assignedValues {
            for (j, d) in allChain.partials(ofValueIn: v.slot) {
                partials[v.slot, default: []].append((j, builder.emit(d, into: &partialsCode)))
            }
        }
        self.partials = partials

        // The new slots: NaN until computed, constants in place.
        var image = [Double](repeating: .nan, count: builder.slotCount - model.memoryCount)
        for (slot, v) in builder.constants { image[slot - model.memoryCount] = v }
        self.memoryImage = image

        // Temporaries are reused, except those read after the programs run: the entries
        // of J and ∂f/∂v, and the output partials.
        self.rhsProgram = ProgramCode(rhs, temporaries: .init(first: firstTemporarySlot,
                                                              outputs: Set((jacobian + valueEntries).map { Int($0.slot) })))
        self.partialsProgram = ProgramCode(partialsCode, temporaries: .init(first: firstTemporarySlot,
                                                                            outputs: Set(partials.values.joined().map(\.slot))))
        self.jacobianEntries = SlotTable(jacobian)
        self.jacobianColumns = SlotTable(jacobian.map(\.column))
        self.jacobianRowStarts = SlotTable(Self.starts(of: jacobian.map(\.row), count: n))
        // The gradients list each row's columns in ascending order, so grouping by column
        // keeps every row's terms in the order they were listed: the sums are unchanged.
        let byColumn = valueEntries.enumerated().sorted { ($0.element.column, $0.offset) < ($1.element.column, $1.offset) }.map(\.element)
        self.valueEntries = SlotTable(byColumn)
        self.valueColumnStarts = SlotTable(Self.starts(of: byColumn.map(\.column), count: nv))

        func terms(_ e: Symbolic) -> [(input: Int, derivative: Symbolic)] {
            e.slots.sorted().compactMap { input in
                let d = e.derivative { $0 == input ? .one : .zero }
                return d == .zero ? nil : (input, d)
            }
        }
        self.initialTerms = model.initialization.map { terms($0.expression) }
        self.eventTerms = model.events.map { $0.assignments.map { terms($0.value) } }
    }

    /// Where each group of `keys` (sorted, each in `0..<count`) starts, and its end:
    /// `count + 1` offsets, group g being `starts[g]..<starts[g + 1]`.
    static func starts(of keys: [Int32], count: Int) -> [Int32] {
        var starts = [Int32](repeating: 0, count: count + 1)
        for key in keys { starts[Int(key) + 1] += 1 }
        for g in 0..<count { starts[g + 1] += starts[g] }
        return starts
    }

    /// Sizes, for `--stats` and benchmarks: instructions of the sensitivity right-hand
    /// side and of the output partials, non-zeros of J and of ∂f/∂v, and the number of
    /// plain values carrying sensitivities.
    public var sizes: (rhsInstructions: Int, partialInstructions: Int, jacobianEntries: Int, valueEntries: Int, values: Int) {
        (rhsProgram.count, partialsProgram.count, jacobianEntries.count, valueEntries.count, valueSlots.count)
    }

    /// State-dependent switches and parameter-dependent switch or event times move
    /// discontinuities with the parameters; the jump terms for that are not implemented.
    static func refuseUnsupported(_ model: CompiledModel, carrying values: Set<Int>) throws(SensitivityError) {
        func eventsReading(_ r: Relational) -> String? {
            guard let slot = r.truthSlot else { return nil }
            let ids = model.events.filter { $0.trigger.slots.contains(slot) }.map { "'\($0.id)'" }
            return ids.isEmpty ? nil : ids.joined(separator: ", ")
        }
        let printer = SymbolicPrinter(names: model.slotNames)
        if let d = model.delays.first {
            // A delayed value depends on the parameters through the whole past, which the
            // sensitivity programs (taking it as an input) would leave out.
            throw SensitivityError("sensitivities are not supported for model '\(model.name)': it reads the delayed value \(model.slotNames[d.slot] ?? "delay(…)")",
                                   hint: "compare with finite differences instead")
        }
        for k in model.rootRelationals {
            let r = model.relationals[k]
            let what = eventsReading(r).map { "event \($0) triggers on" } ?? "a rate law or rule switches on"
            throw SensitivityError(
                "sensitivities are not supported for model '\(model.name)': \(what) the state-dependent condition '\(printer.text(r.function)) = 0'",
                hint: "only time-triggered events and switches (time >= constant) are supported; compare with finite differences instead")
        }
        for r in model.relationals {
            guard case .timed(let crossing) = r.timing, crossing.slots.contains(where: values.contains) else { continue }
            throw SensitivityError(
                "sensitivities are not supported for model '\(model.name)': the switch at time \(printer.text(crossing)) moves with the parameters",
                hint: "switch times that depend on differentiated parameters (or on values events change) need event-time terms, which are not implemented")
        }
        for e in model.events {
            guard let delay = e.delay, !delay.slots.isEmpty else { continue }
            throw SensitivityError("sensitivities are not supported for model '\(model.name)': event '\(e.id)' has a delay computed from model values",
                                   hint: "use a constant delay")
        }
    }
}

extension CompiledModel {
    /// This model with the forward-sensitivity programs for `parameters` in its layout
    /// (see `CompiledSensitivities`); the model's own programs, bytecode or native, are
    /// shared. Native code for the new programs comes from `NativeCode` afterwards.
    public func differentiated(with parameters: [String]) throws(SensitivityError) -> CompiledModel {
        ModelCompiler.differentiations.withLock { $0[name, default: 0] += 1 }
        var programs = self.programs
        programs.sensitivityRHS = nil
        programs.sensitivityPartials = nil
        let base = CompiledModel(code: code, programs: programs, sensitivities: nil, memoryImage: code.memoryImage,
                                 nativeLibrary: nativeLibrary)
        let sensitivities = try CompiledSensitivities(model: base, parameters: parameters)
        programs.sensitivityRHS = ExecutableProgram(sensitivities.rhsProgram)
        programs.sensitivityPartials = ExecutableProgram(sensitivities.partialsProgram)
        return CompiledModel(code: code, programs: programs, sensitivities: sensitivities,
                             memoryImage: code.memoryImage + sensitivities.memoryImage, nativeLibrary: nativeLibrary)
    }

    /// The parameters one can differentiate with respect to: plain values declared as
    /// parameters (not computed by rules, not changed by rate rules), in memory order.
    public var differentiableParameters: [String] {
        let computed = Set(assignedValues.map(\.slot))
        let stateSlots = Set(states.map(\.slot))
        return symbols.filter { name, slot in
            symbolKinds[name] == .parameter && !computed.contains(slot) && !stateSlots.contains(slot)
        }.sorted { $0.value < $1.value }.map(\.key)
    }
}

extension ModelInstance {
    /// The model's sensitivity programs; only a differentiated model's instance has them.
    var compiledSensitivities: CompiledSensitivities {
        guard let s = model.sensitivities else {
            preconditionFailure("model '\(model.name)' was not differentiated (CompiledModel.differentiated(with:))")
        }
        return s
    }

    // MARK: - SensitivitySystem

    public var parameterCount: Int { parameterScales.count }

    /// `ṡ_k = J·s_k + Σ_v (∂f/∂v)·σ_{v,k}` for every k. The entries of J and ∂f/∂v are read
    /// out of their slots once per call into one contiguous array (`sensitivityEntryValues`),
    /// then applied to each parameter's vector: J row by row, each row summed in a register
    /// in the order its entries are listed. σ_k is usually one non-zero (parameter k's own
    /// value), so only the columns of ∂f/∂v with σ_{v,k} ≠ 0 are visited: with σ = 0 a
    /// finite entry adds an exact zero, which never changes a sum, and a non-finite one
    /// (a rate law undefined at this state) contributes nothing to ∂f/∂p_k either.
    public func evaluateSensitivityRHS(time: Double, state: UnsafePointer<Double>,
                                       sensitivities: UnsafePointer<UnsafeMutablePointer<Double>>,
                                       derivatives: UnsafePointer<UnsafeMutablePointer<Double>>) {
        load(time: time, state: state)
        let m = memory
        programs.sensitivityRHS.unsafelyUnwrapped.run(memory: m)
        let compiled = compiledSensitivities
        let jacobianEntries = compiled.jacobianEntries.base, jacobianEntryCount = compiled.jacobianEntries.count
        let rowStarts = compiled.jacobianRowStarts.base, columns = compiled.jacobianColumns.base
        let valueEntries = compiled.valueEntries.base, valueColumnStarts = compiled.valueColumnStarts.base
        let jacobianValues = sensitivityEntryValues, valueEntryValues = sensitivityEntryValues + jacobianEntryCount
        for e in 0..<jacobianEntryCount { jacobianValues[e] = m[Int(jacobianEntries[e].slot)] }
        for e in 0..<compiled.valueEntries.count { valueEntryValues[e] = m[Int(valueEntries[e].slot)] }
        let n = stateCount, nv = compiled.valueSlots.count
        for k in 0..<parameterCount {
            let s = sensitivities[k], out = derivatives[k]
            for i in 0..<n {
                var sum = 0.0
                for e in Int(rowStarts[i])..<Int(rowStarts[i + 1]) { sum += jacobianValues[e] * s[Int(columns[e])] }
                out[i] = sum
            }
            let sigma = valueSensitivities + k * nv
            for v in 0..<nv where sigma[v] != 0 {
                let sv = sigma[v]
                for e in Int(valueColumnStarts[v])..<Int(valueColumnStarts[v + 1]) {
                    out[Int(valueEntries[e].row)] += valueEntryValues[e] * sv
                }
            }
        }
    }

    // MARK: - Initial values, events and outputs (called by the simulation, not the solver)

    /// Initial state sensitivities (parameter-major: `[k * n + i]`), after
    /// `initialState(time:overrides:)` has set the values. Also resets σ.
    /// Overridden slots have zero sensitivity unless `supplied` gives one (e.g. a state
    /// carried over from a pre-incubation) or they are themselves a parameter.
    public func initialSensitivities(overridden: Set<Int>, supplied: [Int: [Double]]) -> [Double] {
        let compiled = compiledSensitivities
        let np = parameterCount, n = stateCount
        let m = memory
        for k in 0..<np {
            let v = abs(m[compiled.seedSlots[k]])
            parameterScales[k] = v > 0 && v.isFinite ? v : 1
        }
        var tangent: [Int: [Double]] = [:]
        for (index, step) in code.initialization.enumerated() {
            if let given = supplied[step.slot] {
                tangent[step.slot] = given
                continue
            }
            if let k = compiled.seedSlots.firstIndex(of: step.slot) {
                var t = [Double](repeating: 0, count: np)
                t[k] = 1
                tangent[step.slot] = t
                continue
            }
            if overridden.contains(step.slot) { continue }
            var t: [Double]?
            for term in compiled.initialTerms[index] {
                guard let inner = tangent[term.input] else { continue }
                let d = TreeInterpreter.evaluate(term.derivative, memory: m)
                if t == nil { t = [Double](repeating: 0, count: np) }
                for k in 0..<np { t![k] += d * inner[k] }
            }
            if let t { tangent[step.slot] = t }
        }
        let nv = compiled.valueSlots.count
        for (v, slot) in compiled.valueSlots.enumerated() {
            let t = tangent[slot]
            for k in 0..<np { valueSensitivities[k * nv + v] = t?[k] ?? 0 }
        }
        var s = [Double](repeating: 0, count: n * np)
        for (i, state) in code.states.enumerated() {
            for k in 0..<np {
                switch state.kind {
                case .amount(let cs, let sizeSlot):
                    s[k * n + i] = (tangent[cs]?[k] ?? 0) * m[sizeSlot] + m[cs] * (tangent[sizeSlot]?[k] ?? 0)
                case .raw:
                    s[k * n + i] = tangent[state.slot]?[k] ?? 0
                }
            }
        }
        return s
    }

    /// Recomputes the partials of assigned values for the current memory; call after
    /// `update(time:state:)` and before `tangent(ofSlot:…)`.
    public func refreshPartials() { programs.sensitivityPartials.unsafelyUnwrapped.run(memory: memory) }

    /// ∂(slot's value)/∂p_k for every k, from the state sensitivities `s` (parameter-major)
    /// and σ: states directly, plain values from σ, assigned values by their partials.
    /// `timeTangent` is dt/dp_k (nil: the time is fixed).
    public func tangent(ofSlot slot: Int, stateSensitivities s: [Double], timeTangent: [Double]? = nil) -> [Double] {
        let compiled = compiledSensitivities
        let np = parameterCount, n = stateCount, nv = compiled.valueSlots.count
        var out = [Double](repeating: 0, count: np)
        func add(_ independent: Int, _ factor: Double) {
            if independent < n {
                for k in 0..<np { out[k] += factor * s[k * n + independent] }
            } else if independent < n + nv {
                let v = independent - n
                for k in 0..<np { out[k] += factor * valueSensitivities[k * nv + v] }
            } else if let timeTangent {
                for k in 0..<np { out[k] += factor * timeTangent[k] }
            }
        }
        if let i = compiled.stateIndexOfSlot[slot] { add(i, 1) }
        else if let v = compiled.valueIndexOfSlot[slot] { add(n + v, 1) }
        else if slot == 0 { add(n + nv, 1) }
        else if let entries = compiled.partials[slot] {
            for (j, partialSlot) in entries { add(j, memory[partialSlot]) }
        }
        return out
    }

    /// ∂(assignment value)/∂p_k of each assignment of `event`, for the current memory
    /// (after `refreshPartials()`).
    public func assignmentTangents(event: Int, stateSensitivities s: [Double]) -> [[Double]] {
        let np = parameterCount
        return compiledSensitivities.eventTerms[event].map { terms in
            var out = [Double](repeating: 0, count: np)
            for term in terms {
                let d = TreeInterpreter.evaluate(term.derivative, memory: memory)
                if d == 0 { continue }
                let inner = tangent(ofSlot: term.input, stateSensitivities: s)
                for k in 0..<np { out[k] += d * inner[k] }
            }
            return out
        }
    }

    /// Sets σ of a plain value an event assigned.
    public func setValueSensitivity(slot: Int, _ t: [Double]) {
        let compiled = compiledSensitivities
        guard let v = compiled.valueIndexOfSlot[slot] else { return }
        let nv = compiled.valueSlots.count
        for k in 0..<parameterCount { valueSensitivities[k * nv + v] = t[k] }
    }
}
