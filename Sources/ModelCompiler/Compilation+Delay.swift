import SourceDiagnostics
import PathwayModel

/// `delay(e, τ)`: the value `e` had `τ` time units ago. It compiles to a slot of its own
/// that the instance fills from its history (`DelayHistory`) before every program runs,
/// so the programs see it as an input, like a parameter, and the analytic Jacobian takes
/// it as independent of the current state (method of steps: the solver never steps
/// further than the shortest delay, so the delayed value is known when it is read).
public struct DelayTerm: Sendable {
    /// The slot the programs read the delayed value from.
    public let slot: Int
    /// `e`, evaluated over memory after the assigned values are computed.
    public let value: Symbolic
    /// `τ`: reads only values that do not change during a run (checked when compiling).
    public let lag: Symbolic
    /// `e` before the start, where everything but time stands still: `value` with every
    /// `rateOf` zero (the SBML Test Suite's reading, case 01400).
    public let past: Symbolic
}

extension Compilation {
    mutating func resolveDelay(_ args: [Expression], range: SourceRange?, context: SourceRange?,
                               bound: [String: Symbolic], depth: Int) -> Symbolic {
        guard args.count == 2 else {
            diagnostics.error("delay takes two arguments, a value and a time interval: delay(x, tau)", at: range ?? context)
            return .constant(.nan)
        }
        let value = resolve(args[0], context: context, bound: bound, depth: depth)
        let outer = rateOfIsZero
        rateOfIsZero = true
        let past = resolve(args[0], context: context, bound: bound, depth: depth)
        rateOfIsZero = outer
        let lag = resolve(args[1], context: context, bound: bound, depth: depth)
        if let v = lag.constantValue, !(v >= 0) {
            diagnostics.error("the delay interval must be a non-negative number, not \(v)", at: args[1].anyRange ?? range ?? context)
            return .constant(.nan)
        }
        if let existing = delayTerms.first(where: { $0.value == value && $0.lag == lag && $0.past == past }) { return .slot(existing.slot) }
        let slot = newSlot("delay(\(describe(value)), \(describe(lag)))")
        delayTerms.append(DelayTerm(slot: slot, value: value, lag: lag, past: past))
        delayRanges.append(args[1].anyRange ?? range ?? context)
        return .slot(slot)
    }

    /// A delay interval that changes during a run would need the history at times the
    /// step-size bound does not cover; only intervals fixed at the start are accepted.
    mutating func checkDelayIntervals() {
        var changing = Set(states.map(\.slot))
        changing.formUnion(assignedSlots)
        changing.insert(0)
        changing.formUnion(delayTerms.map(\.slot))
        for event in pathway.events {
            for a in event.assignments { if let s = valueSlot[a.variable] { changing.insert(s) } }
        }
        for (term, range) in zip(delayTerms, delayRanges) where !term.lag.slots.isDisjoint(with: changing) {
            diagnostics.error("unsupported: a delay interval that changes during the run ('\(describe(term.lag))')", at: range,
                              hint: "the interval may read parameters that no rule or event changes")
        }
    }
}
