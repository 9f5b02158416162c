/// What an event instant has to look at again, worked out once per model, so that the work
/// of an instant does not grow with the number of timed events (a stimulus train of tens
/// of thousands of pulses, each its own `at (time >= t_k)` event).
///
/// A trigger that reads only time switches (`time >= t_k`, `time < t_a && time > t_b`, …)
/// can change only when one of those switches flips; its event is re-evaluated then and
/// at no other pass. Every other trigger (one reading a state, a root-found comparison or
/// a plain value) is evaluated at every pass, as before.
///
/// A crossing time computed from values that events assign (`time >= t_next` with
/// `t_next = t_next + period` in an event) is recomputed after every event that assigns
/// one of those values.
public struct EventDependencies: Sendable {
    /// Events whose trigger reads something besides time switches, in document order.
    public let generalEvents: [Int]
    /// Whether each event's trigger reads time switches only.
    public let timeOnly: [Bool]
    /// For each relational, the time-only events whose trigger reads its truth value.
    public let eventsReading: [[Int]]
    /// Whether each event assigns a value some crossing time is computed from.
    public let movesCrossings: [Bool]

    init(relationals: [Relational], events: [CompiledEvent]) {
        var timedRelationalOfSlot: [Int: Int] = [:]
        var crossingInputs = Set<Int>()
        for (k, r) in relationals.enumerated() {
            guard case .timed(let crossing) = r.timing else { continue }
            if let slot = r.truthSlot { timedRelationalOfSlot[slot] = k }
            crossingInputs.formUnion(crossing.slots)
        }
        var general: [Int] = [], timeOnly: [Bool] = [], reading = [[Int]](repeating: [], count: relationals.count)
        for (i, e) in events.enumerated() {
            let slots = e.trigger.slots
            let read = slots.compactMap { timedRelationalOfSlot[$0] }
            timeOnly.append(read.count == slots.count)
            if read.count == slots.count {
                for k in read { reading[k].append(i) }
            } else {
                general.append(i)
            }
        }
        generalEvents = general
        self.timeOnly = timeOnly
        eventsReading = reading
        movesCrossings = events.map { e in
            e.assignments.contains { a in
                if case .value(let slot) = a.target { return crossingInputs.contains(slot) }
                return false
            }
        }
    }
}
