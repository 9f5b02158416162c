import SourceDiagnostics
import PathwayModel

extension Compilation {
    struct EventParts {
        var events: [CompiledEvent] = []
        var relationals: [Relational] = []
        /// Trigger relationals, deduplicated: the same comparison in two triggers is one switch.
        var relationalIndex: [Symbolic: Int] = [:]
    }

    mutating func buildEvents() -> EventParts {
        var parts = EventParts()
        for e in pathway.events {
            let rawTrigger = resolve(e.trigger, context: e.range)
            let trigger = replaceComparisons(rawTrigger, parts: &parts)
            let delay = e.delay.map { resolve($0, context: e.range) }
            let priority = e.priority.map { resolve($0, context: e.range) }
            var assignments: [(target: CompiledEvent.Target, name: String, value: Symbolic)] = []
            for a in e.assignments {
                let value = resolve(a.expression, context: a.range ?? e.range)
                guard let target = eventTarget(a.variable, range: a.range ?? e.range) else { continue }
                assignments.append((target, a.variable, value))
            }
            parts.events.append(CompiledEvent(
                id: e.id, trigger: trigger, delay: delay, priority: priority, initialValue: e.initialValue,
                persistent: e.persistent, useValuesFromTriggerTime: e.useValuesFromTriggerTime, assignments: assignments))
        }
        return parts
    }

    mutating func eventTarget(_ name: String, range: SourceRange?) -> CompiledEvent.Target? {
        if assignmentRuleFor[name] != nil {
            diagnostics.error("an event cannot assign '\(name)': it is defined by an assignment rule", at: range)
            return nil
        }
        if case .reaction? = roles[name] {
            diagnostics.error("an event cannot assign '\(name)': it is a reaction", at: range)
            return nil
        }
        guard let slot = valueSlot[name] else {
            diagnostics.error("an event assigns unknown symbol '\(name)'", at: range,
                              hint: Suggestions.didYouMean(name, among: valueSlot.keys))
            return nil
        }
        // Looked up, not searched: a train of pulses on a large model has thousands of
        // event assignments, and scanning every state for each was quadratic.
        if let i = stateIndexOfConcentrationSlot[slot], case .amount(_, let sizeSlot) = states[i].kind {
            return .amountState(index: i, sizeSlot: sizeSlot)
        }
        if let i = stateIndexOfSlot[slot], case .raw = states[i].kind { return .rawState(index: i) }
        return .value(slot: slot)
    }

    /// Replaces each comparison in a trigger by a slot holding its tracked truth value.
    mutating func replaceComparisons(_ e: Symbolic, parts: inout EventParts) -> Symbolic {
        switch e {
        case .constant, .slot: return e
        case .unary(let f, let a): return .make(f, replaceComparisons(a, parts: &parts))
        case .select(let c, let a, let b):
            return .select(replaceComparisons(c, parts: &parts), then: replaceComparisons(a, parts: &parts),
                           else: replaceComparisons(b, parts: &parts))
        case .binary(let f, let a, let b):
            guard f.isComparison else {
                return .make(f, replaceComparisons(a, parts: &parts), replaceComparisons(b, parts: &parts))
            }
            if let i = parts.relationalIndex[e], let slot = parts.relationals[i].truthSlot { return .slot(slot) }
            let slot = newSlot("[\(describe(e))]")
            parts.relationalIndex[e] = parts.relationals.count
            parts.relationals.append(makeRelational(f, a, b, truthSlot: slot))
            return .slot(slot)
        }
    }

    /// Classifies a comparison as timed (`time` against a state-free value) or root-found.
    /// `time ± c OP b` (libAntimony writes `time >= t0` as `time - t0 >= 0`) is moved to
    /// `time OP b ∓ c` first, so it is timed too.
    func makeRelational(_ f: Symbolic.BinaryFunction, _ a: Symbolic, _ b: Symbolic, truthSlot: Int?) -> Relational {
        func timeFree(_ e: Symbolic) -> Bool { isStateFree(e) && !e.slots.contains(0) }
        var (a, b) = (a, b)
        if case .binary(let op, .slot(0), let c) = a, op == .add || op == .subtract, timeFree(c), timeFree(b) {
            (a, b) = (.slot(0), op == .subtract ? b + c : b - c)
        } else if case .binary(let op, .slot(0), let c) = b, op == .add || op == .subtract, timeFree(c), timeFree(a) {
            (a, b) = (op == .subtract ? a + c : a - c, .slot(0))
        }
        let g = a - b
        var timing = Relational.Timing.root
        if a == .slot(0), isStateFree(b), !b.slots.contains(0) {
            timing = .timed(crossing: b)
        } else if b == .slot(0), isStateFree(a), !a.slots.contains(0) {
            timing = .timed(crossing: a)
        }
        return Relational(comparison: f, lhs: a, rhs: b, function: g, timing: timing, truthSlot: truthSlot)
    }

    /// True when the expression reads only plain values (parameters, compartments,
    /// boundary species) and time: no state, no assigned value.
    func isStateFree(_ e: Symbolic) -> Bool {
        e.slots.allSatisfy { slot in
            stateIndexOfSlot[slot] == nil && !assignedSlots.contains(slot) && !delayTerms.contains { $0.slot == slot }
        }
    }

    /// Comparisons inside rate laws and rules: switches the integrator should stop at
    /// (timed) or watch (root) so it never steps blindly across a discontinuity.
    func discontinuities(in expressions: [Symbolic], existing: [Relational]) -> [Relational] {
        var seen = Set(existing.map(\.function))
        var out: [Relational] = []
        func visit(_ e: Symbolic) {
            switch e {
            case .constant, .slot: break
            case .unary(_, let a): visit(a)
            case .select(let c, let a, let b):
                visit(c)
                visit(a)
                visit(b)
            case .binary(let f, let a, let b):
                if f.isComparison, !seen.contains(a - b) {
                    seen.insert(a - b)
                    out.append(makeRelational(f, a, b, truthSlot: nil))
                }
                visit(a)
                visit(b)
            }
        }
        for e in expressions { visit(e) }
        return out
    }

    func describe(_ e: Symbolic) -> String {
        SymbolicPrinter(names: slotNames).text(e)
    }

    // MARK: - Initial values

    /// Initial-value computations in dependency order: every plain value, state and
    /// assigned value, each from its initial expression (or rule).
    mutating func buildInitialization(order: [AssignedValue]) -> [(slot: Int, expression: Symbolic)] {
        var expressionFor: [Int: Symbolic] = [:]
        var label: [Int: (String, SourceRange?)] = [:]
        func missing(_ name: String, _ what: String, _ range: SourceRange?) -> Diagnostic {
            // The names that do have a value, for the hint; only wanted for an error.
            let valued = Set(pathway.parameters.filter { $0.value != nil }.map(\.id)
                             + pathway.species.filter { $0.initialValue != nil }.map(\.id)
                             + pathway.compartments.filter { $0.size != nil }.map(\.id))
            return .error("\(what) '\(name)' has no value", at: range,
                          hint: Suggestions.didYouMean(name, among: valued) ?? "give it one, e.g. '\(name) = 1'")
        }
        for c in pathway.compartments {
            guard let slot = valueSlot[c.id], assignmentRuleFor[c.id] == nil else { continue }
            label[slot] = (c.id, c.range)
            if let size = c.size { expressionFor[slot] = resolve(size, context: c.range) }
            else { diagnostics.add(missing(c.id, "compartment", c.range)) }
        }
        for p in pathway.parameters {
            guard let slot = valueSlot[p.id], assignmentRuleFor[p.id] == nil else { continue }
            label[slot] = (p.id, p.range)
            if let v = p.value { expressionFor[slot] = resolve(v, context: p.range) }
            else { diagnostics.add(missing(p.id, rateRuleFor[p.id] != nil ? "rate-rule variable" : "parameter", p.range)) }
        }
        for s in pathway.species {
            guard let slot = valueSlot[s.id], assignmentRuleFor[s.id] == nil else { continue }
            label[slot] = (s.id, s.range)
            guard let v = s.initialValue else {
                diagnostics.add(missing(s.id, "species", s.range))
                continue
            }
            var e = resolve(v, context: s.range)
            // Expressions see concentrations unless the species has only substance units.
            if s.initialIsAmount && !s.hasOnlySubstanceUnits, let size = valueSlot[s.compartment] {
                e = e / .slot(size)
            } else if !s.initialIsAmount && s.hasOnlySubstanceUnits, let size = valueSlot[s.compartment] {
                e = e * .slot(size)
            }
            expressionFor[slot] = e
        }
        for v in order where v.kind != .concentration {
            expressionFor[v.slot] = v.expression
            label[v.slot] = (v.name, nil)
        }
        // At the start, a delayed value is the value itself (the history before it is constant).
        for d in delayTerms {
            expressionFor[d.slot] = d.value
            label[d.slot] = (slotNames[d.slot] ?? "delay", nil)
        }
        if diagnostics.hasErrors { return [] }

        // Depth-first over dependencies; a cycle among initial values is an error.
        var result: [(slot: Int, expression: Symbolic)] = []
        var mark: [Int: UInt8] = [:]
        var reported = false
        let slots = expressionFor.keys.sorted()
        for root in slots where mark[root] == nil {
            var stack: [(slot: Int, deps: [Int], next: Int)] = [(root, expressionFor[root]!.slots.filter { expressionFor[$0] != nil }.sorted(), 0)]
            mark[root] = 1
            while let top = stack.last {
                if top.next < top.deps.count {
                    stack[stack.count - 1].next += 1
                    let d = top.deps[top.next]
                    if mark[d] == 1 {
                        if !reported {
                            reported = true
                            let names = stack.drop { $0.slot != d }.map { label[$0.slot]?.0 ?? "?" } + [label[d]?.0 ?? "?"]
                            diagnostics.error("cyclic initial values: " + names.joined(separator: " → "), at: label[d]?.1)
                        }
                    } else if mark[d] == nil {
                        mark[d] = 1
                        stack.append((d, expressionFor[d]!.slots.filter { expressionFor[$0] != nil }.sorted(), 0))
                    }
                } else {
                    mark[top.slot] = 2
                    result.append((top.slot, expressionFor[top.slot]!))
                    stack.removeLast()
                }
            }
        }
        return result
    }
}
