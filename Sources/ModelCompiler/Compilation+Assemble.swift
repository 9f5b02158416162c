import PathwayModel

extension Compilation {
    mutating func assemble(order: [AssignedValue], derivatives: [Symbolic], events: EventParts,
                           initialization: [(slot: Int, expression: Symbolic)]) -> CompiledModel {
        let n = states.count
        // Slots for the derivatives, so the right-hand side program can write them.
        let derivativeSlots = states.map { newSlot("d\($0.name)/dt") }

        // ∂(assigned value)/∂(state j), by the chain rule through earlier assigned values.
        let chain = ChainRule(order: order, independentOfSlot: stateIndexOfSlot) { v, j in
            newSlot("∂\(v.name)/∂\(states[j].name)")
        }
        let intermediates = chain.intermediates
        var jacobianExpressions: [(row: Int, column: Int, expression: Symbolic)] = []
        for (i, f) in derivatives.enumerated() {
            for (j, d) in chain.gradient(of: f) { jacobianExpressions.append((i, j, d)) }
        }

        // Relationals: event triggers first, then switches found in rate laws and rules.
        var relationals = events.relationals
        relationals += discontinuities(in: order.map(\.expression) + derivatives, existing: relationals)
        let rootRelationals = relationals.indices.filter {
            if case .root = relationals[$0].timing { return true }
            return false
        }

        // Programs. One builder shares constant slots across all of them.
        let firstTemporarySlot = slotCount
        var builder = ProgramBuilder(firstFreeSlot: firstTemporarySlot)
        // The assigned values are emitted once: the right-hand side, Jacobian and root
        // programs start with the same instructions and the same known sub-expressions.
        // (Their temporaries share slots, which is safe: every program writes its
        // temporaries before reading them.)
        var assignProgram = Program()
        for v in order { builder.emit(v.expression, storingInto: v.slot, program: &assignProgram) }
        let assigned = builder.checkpoint

        var rhsProgram = assignProgram
        for (i, f) in derivatives.enumerated() { builder.emit(f, storingInto: derivativeSlots[i], program: &rhsProgram) }

        builder.restore(assigned)
        var jacobianProgram = assignProgram
        for (slot, e) in intermediates { builder.emit(e, storingInto: slot, program: &jacobianProgram) }
        var jacobianSlots: [(row: Int, column: Int, slot: Int)] = []
        for (i, j, e) in jacobianExpressions {
            jacobianSlots.append((i, j, builder.emit(e, into: &jacobianProgram)))
        }

        // The root functions run after every solver step: they compute only the assigned
        // values they read (a membrane voltage for a rate law's switch, not every reaction
        // rate), each from the same expression as everywhere else, so to the same bits.
        // A comparison of plain values alone (a stimulus parameter against a threshold) can
        // change only when an event sets one of them, where the run re-evaluates it: its root
        // function is a constant, so the solver never looks for a crossing between events.
        let rootFunctions = rootRelationals.map { k -> Symbolic in
            let g = relationals[k].function
            return isStateFree(g) && !g.slots.contains(0) ? .constant(1) : g
        }
        var rootProgram = Program()
        builder.resetCache()
        for v in Self.assignedValues(order, readBy: rootFunctions) {
            builder.emit(v.expression, storingInto: v.slot, program: &rootProgram)
        }
        let rootSlots = rootFunctions.map { builder.emit($0, into: &rootProgram) }

        // Event machinery as programs too. The root-found switches' functions run after the
        // assigned values at every discontinuity; the time switches' functions and crossing
        // times only when a value they are computed from changes (`EventDependencies`); the
        // triggers that read more than time switches at every pass (the others are read
        // one by one, when a switch they read flips).
        var switchProgram = Program(), crossingProgram = Program()
        var switchSlots = [Int](repeating: 0, count: relationals.count)
        var crossingSlots = [Int?](repeating: nil, count: relationals.count)
        builder.resetCache()
        for k in rootRelationals { switchSlots[k] = builder.emit(relationals[k].function, into: &switchProgram) }
        builder.resetCache()
        for (k, r) in relationals.enumerated() {
            guard case .timed(let crossing) = r.timing else { continue }
            switchSlots[k] = builder.emit(r.function, into: &crossingProgram)
            crossingSlots[k] = builder.emit(crossing, into: &crossingProgram)
        }
        let dependencies = EventDependencies(relationals: relationals, events: events.events)
        builder.resetCache()
        var triggerProgram = Program()
        let triggerSlots: [Int?] = events.events.indices.map { i in
            dependencies.timeOnly[i] ? nil : builder.emit(events.events[i].trigger, into: &triggerProgram)
        }

        // The memory image: constants in their slots, NaN elsewhere until initialised,
        // so a value read before it is computed shows up instead of passing as zero.
        var image = [Double](repeating: .nan, count: builder.slotCount)
        for (slot, v) in builder.constants { image[slot] = v }
        image[0] = 0
        for r in relationals { if let s = r.truthSlot { image[s] = 0 } }

        var summary = ModelSummary()
        summary.species = pathway.species.count
        summary.boundarySpecies = pathway.species.filter(isBoundaryOrConstant).count
        summary.floatingSpecies = summary.species - summary.boundarySpecies
        summary.compartments = pathway.compartments.count
        summary.parameters = pathway.parameters.count
        summary.reactions = pathway.reactions.count
        summary.assignmentRules = pathway.assignmentRules.count
        summary.rateRules = pathway.rateRules.count
        summary.events = pathway.events.count
        summary.functions = pathway.functions.count
        summary.stateSize = n
        summary.jacobianNonZeros = jacobianExpressions.count
        summary.rootFunctions = rootRelationals.count
        summary.timedSwitches = relationals.count - rootRelationals.count
        summary.rhsInstructions = rhsProgram.count
        summary.jacobianInstructions = jacobianProgram.count

        let defaultColumns = pathway.species.filter { !isBoundaryOrConstant($0) }.map(\.id)
        let description = ModelDescription(
            name: pathway.name, states: states, symbols: valueSlot, defaultColumns: defaultColumns,
            symbolKinds: symbolKinds, displayNames: pathway.displayNames, summary: summary,
            derivativeExpressions: derivatives, assignedValues: order,
            jacobianExpressions: jacobianExpressions, jacobianIntermediates: intermediates, slotNames: slotNames,
            relationals: relationals, rootRelationals: rootRelationals, events: events.events, initialization: initialization,
            delays: delayTerms)
        let code = ModelCode(ModelCode.Parts(
            description: description, assignProgram: assignProgram, rhsProgram: rhsProgram,
            jacobianProgram: jacobianProgram, rootProgram: rootProgram, derivativeSlots: derivativeSlots,
            jacobian: jacobianSlots, rootSlots: rootSlots, switchProgram: switchProgram, crossingProgram: crossingProgram,
            switchSlots: switchSlots, crossingSlots: crossingSlots, triggerProgram: triggerProgram, triggerSlots: triggerSlots,
            eventDependencies: dependencies, memoryImage: image, firstTemporarySlot: firstTemporarySlot))
        return CompiledModel(code: code, programs: code.bytecode, sensitivities: nil, memoryImage: image, nativeLibrary: nil)
    }

    /// The assigned values (in `order`, which computes each after those it reads) that
    /// `expressions` read, directly or through other assigned values.
    static func assignedValues(_ order: [AssignedValue], readBy expressions: [Symbolic]) -> [AssignedValue] {
        var needed = Set<Int>()
        for e in expressions { e.visitSlots { needed.insert($0) } }
        var kept: [AssignedValue] = []
        for v in order.reversed() where needed.contains(v.slot) {
            v.expression.visitSlots { needed.insert($0) }
            kept.append(v)
        }
        return kept.reversed()
    }
}
