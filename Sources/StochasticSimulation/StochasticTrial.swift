#if canImport(Glibc)
import Glibc
#endif
import ModelCompiler
import KinapseUtilities
public import SourceDiagnostics

/// How trials step through time.
public enum StochasticMethod: String, Sendable, CaseIterable {
    /// Gillespie's direct method with a dependency graph: exact.
    case ssa
    /// Adaptive explicit tau-leaping (Cao, Gillespie & Petzold 2006): approximate.
    case tauLeap = "tau-leap"
}

/// Step selection of tau-leaping, as named in Cao, Gillespie & Petzold (2006, J Chem Phys
/// 124:044109, §IV, the procedure of §V).
public struct TauLeapSettings: Sendable, Hashable {
    /// ε: the relative change any propensity may see in one leap (0.03 in the paper's examples).
    public var epsilon = 0.03
    /// n_c: a reaction is critical when fewer than this many firings would exhaust a reactant (10 in §V).
    public var criticalThreshold = 10.0
    /// A leap shorter than this many mean SSA waiting times is not worth it (10 in §V, step 3)…
    public var exactFallbackFactor = 10.0
    /// … and then this many exact steps are taken instead (100 in §V, step 3).
    public var exactFallbackSteps = 100
    public init() {}
}

/// A failure within a trial: a rate law that fires with too few molecules, an event that
/// assigns a fraction of a molecule.
public struct StochasticRunError: UserFacingError, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]
    public init(_ diagnostic: Diagnostic) { diagnostics = [diagnostic] }
    public var description: String { DiagnosticRenderer().render(diagnostics) }
}

/// One worker's simulation state, reused trial after trial: the compiled model's memory
/// (for general rate laws, events and output), molecule counts and propensities.
///
/// ## Implementation Notes
/// The hot loop of the direct method reads flat buffers only: each channel's propensity
/// is `coefficient × Π falling factorials` over at most three species for mass action, or a
/// tree evaluation over the compiled model's memory for a general law; firing a channel
/// adds its changes and recomputes only the channels the dependency graph names. The direct
/// method with a dependency graph (Gibson & Bruck 2000, J Phys Chem A 104:1876, §3 for the
/// graph) was chosen over the next-reaction method because on networks of tens of channels
/// a linear search over propensities is cheaper than keeping an indexed priority queue,
/// and it needs one uniform and one exponential per firing with no per-channel clock.
public final class StochasticTrial {
    public let model: StochasticModel
    let instance: ModelInstance
    let omega: Double
    let channelCount: Int
    let speciesCount: Int
    /// `model.hasStateTriggers`, read once per firing without going through the model.
    let hasStateTriggers: Bool

    // Flat buffers of the hot loop (`Implementation Notes`), freed in deinit.
    let counts: UnsafeMutablePointer<Double>
    /// Signed propensity of each channel; a negative one fires in reverse.
    let propensity: UnsafeMutablePointer<Double>
    let magnitude: UnsafeMutablePointer<Double>
    /// Sums of `magnitude` over blocks of 2^`blockShift` channels, so that choosing a channel
    /// searches the blocks, then one block: about n/16 + 4 steps rather than n/2.
    let blockSum: UnsafeMutablePointer<Double>
    let blockCount: Int
    static let blockShift = 3
    let massActionCoefficient: UnsafeMutablePointer<Double>
    let isMassAction: UnsafeMutablePointer<Bool>
    /// Three per channel; species −1 when absent.
    let factorSpecies: UnsafeMutablePointer<Int>
    let factorOrder: UnsafeMutablePointer<Int>
    let changeStart: UnsafeMutablePointer<Int>
    let changeSpecies: UnsafeMutablePointer<Int>
    let changeDelta: UnsafeMutablePointer<Double>
    let dependentStart: UnsafeMutablePointer<Int>
    let dependentList: UnsafeMutablePointer<Int>
    /// Value slot per species when general laws read it, else −1.
    let mirrorSlot: UnsafeMutablePointer<Int>
    /// Molecules per model value unit, per species.
    let divisor: UnsafeMutablePointer<Double>
    let generalLaw: [Symbolic?]
    var total = 0.0
    /// The compiled model's state vector (amounts), for `ModelInstance.update`.
    var stateVector: [Double]

    // Events.
    var previousTrigger: [Bool] = []
    var pending: [(time: Double, event: Int, values: [Double]?)] = []

    var time = 0.0
    public internal(set) var firings = 0
    var generator = SeededGenerator(seed: 0)

    public init(_ model: StochasticModel) {
        self.model = model
        instance = ModelInstance(model.compiled)
        omega = model.scale.moleculesPerAmount
        channelCount = model.channels.count
        hasStateTriggers = model.hasStateTriggers
        speciesCount = model.species.count
        stateVector = Array(repeating: 0, count: model.compiled.stateCount)
        var isMassAction: [Bool] = [], factorSpecies: [Int] = [], factorOrder: [Int] = [], generalLaw: [Symbolic?] = []
        var changeStart = [0], changeSpecies: [Int] = [], changeDelta: [Double] = []
        for c in model.channels {
            switch c.propensity {
            case .massAction(_, let factors):
                isMassAction.append(true)
                generalLaw.append(nil)
                for k in 0..<3 {
                    factorSpecies.append(k < factors.count ? factors[k].species : -1)
                    factorOrder.append(k < factors.count ? factors[k].order : 0)
                }
            case .general(let law):
                isMassAction.append(false)
                generalLaw.append(law)
                factorSpecies += [-1, -1, -1]
                factorOrder += [0, 0, 0]
            }
            for change in c.changes {
                changeSpecies.append(change.species)
                changeDelta.append(Double(change.delta))
            }
            changeStart.append(changeSpecies.count)
        }
        let mirrored = Set(model.mirroredSpecies)
        counts = Self.buffer(Array(repeating: 0, count: speciesCount))
        propensity = Self.buffer(Array(repeating: 0, count: channelCount))
        magnitude = Self.buffer(Array(repeating: 0, count: channelCount))
        blockCount = (channelCount + (1 << Self.blockShift) - 1) >> Self.blockShift
        blockSum = Self.buffer(Array(repeating: 0, count: blockCount))
        massActionCoefficient = Self.buffer(Array(repeating: 0, count: channelCount))
        self.isMassAction = Self.buffer(isMassAction)
        self.factorSpecies = Self.buffer(factorSpecies)
        self.factorOrder = Self.buffer(factorOrder)
        self.changeStart = Self.buffer(changeStart)
        self.changeSpecies = Self.buffer(changeSpecies)
        self.changeDelta = Self.buffer(changeDelta)
        dependentStart = Self.buffer([0] + model.dependents.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1.count) })
        dependentList = Self.buffer(model.dependents.flatMap { $0 })
        mirrorSlot = Self.buffer(model.species.indices.map { mirrored.contains($0) ? model.species[$0].valueSlot : -1 })
        divisor = Self.buffer(model.species.map(\.moleculesPerValue))
        self.generalLaw = generalLaw
    }

    deinit {
        counts.deallocate(); propensity.deallocate(); magnitude.deallocate(); blockSum.deallocate(); massActionCoefficient.deallocate()
        isMassAction.deallocate(); factorSpecies.deallocate(); factorOrder.deallocate(); changeStart.deallocate()
        changeSpecies.deallocate(); changeDelta.deallocate(); dependentStart.deallocate(); dependentList.deallocate()
        mirrorSlot.deallocate(); divisor.deallocate()
    }

    static func buffer<T>(_ elements: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, elements.count))
        p.initialize(from: elements, count: elements.count)
        return p
    }

    /// Current molecule count of species `i`.
    public func count(_ i: Int) -> Double { counts[i] }

    // MARK: - Propensities

    @inline(__always)
    static func fallingFactorial(_ x: Double, _ n: Int) -> Double {
        switch n {
        case 1: return x
        case 2: return x * (x - 1)
        default: return x * (x - 1) * (x - 2)
        }
    }

    /// Channel `j`'s signed propensity at the current counts.
    @inline(__always)
    func evaluatePropensity(_ j: Int) -> Double {
        if isMassAction[j] {
            var a = massActionCoefficient[j]
            for k in 0..<3 {
                let s = factorSpecies[3 * j + k]
                if s < 0 { break }
                a *= Self.fallingFactorial(counts[s], factorOrder[3 * j + k])
            }
            return a
        }
        return omega * instance.evaluate(generalLaw[j]!)
    }

    /// Mass-action coefficients from the current parameters (they change only by events),
    /// then every propensity and their sum.
    func recomputeAll() {
        for (j, c) in model.channels.enumerated() {
            guard case .massAction(let coefficient, let factors) = c.propensity else { continue }
            var scale = omega * instance.evaluate(coefficient)
            for f in factors { scale /= pow(divisor[f.species], Double(f.order)) }
            massActionCoefficient[j] = scale
        }
        for j in 0..<channelCount {
            propensity[j] = evaluatePropensity(j)
            magnitude[j] = Swift.abs(propensity[j])
        }
        recomputeSums()
    }

    /// Block sums and a₀ from the propensities, clearing the round-off of running updates.
    func recomputeSums() {
        total = 0
        for b in 0..<blockCount {
            var s = 0.0
            for j in (b << Self.blockShift)..<Swift.min(channelCount, (b + 1) << Self.blockShift) { s += magnitude[j] }
            blockSum[b] = s
            total += s
        }
    }

    func lastPositiveChannel() -> Int {
        var j = channelCount - 1
        while j > 0 && magnitude[j] == 0 { j -= 1 }
        return j
    }

    func negativeCount(channel j: Int, species s: Int) -> StochasticRunError {
        let c = model.channels[j]
        return StochasticRunError(.error(
            "reaction '\(c.name)' fired at time \(time) with no '\(model.species[s].name)' left to consume: its rate law is not zero when a reactant runs out",
            at: c.range, hint: "list every consumed species as a reactant in a mass-action factor, or make the law vanish at zero count"))
    }

    // MARK: - A trial

    /// Runs one trial from the model's initial state (with `overrides`, slot → value, as
    /// `ModelInstance.initialState` takes them), recording the values in slots `columns`
    /// at `times`, which must be ascending.
    public func run(method: StochasticMethod, seed: UInt64, times: [Double], columns: [Int], settings: TauLeapSettings = .init(),
                    overrides: [Int: Double] = [:], into row: inout [Double]) throws(StochasticRunError) {
        generator = SeededGenerator(seed: seed)
        firings = 0
        let start = times.first ?? 0
        let end = times.last ?? 0
        reset(time: start, overrides: overrides)
        var recorder = Recorder(times: times, columns: columns)
        defer { row = recorder.values }
        try checkEvents()
        recomputeAll()
        while true {
            let eventTime = nextEventTime()
            let barrier = min(eventTime, end)
            let reached: Bool
            switch method {
            case .ssa:
                // Stopping at each output row (`stepsTaken`) costs one fresh waiting time,
                // which is exact: waiting times are memoryless.
                reached = try advanceExactly(to: barrier, recorder: &recorder) == .reachedBarrier
            case .tauLeap: reached = try leap(to: barrier, settings: settings, recorder: &recorder)
            }
            guard reached else { continue }
            recorder.record(before: barrier, from: self)
            time = barrier
            if eventTime <= end && time == eventTime {
                try checkEvents()
                recomputeAll()
            }
            if time >= end { break }
        }
        recorder.record(before: end.nextUp, from: self)
    }

    func reset(time start: Double, overrides: [Int: Double]) {
        time = start
        let initial = instance.initialState(time: start, overrides: overrides)
        stateVector = initial
        for (i, s) in model.species.enumerated() {
            // A fractional initial count x becomes ⌊x⌋ + 1 with probability x − ⌊x⌋, so the
            // trials' mean starts where the ODE does (0.6 nNOS in a small spine is 0 or 1).
            let raw = Swift.max(0, initial[s.stateIndex] * omega)
            // A whole count that came through unit conversions stays whole.
            let x = Swift.abs(raw - raw.rounded()) <= 1e-9 * Swift.max(1, raw) ? raw.rounded() : raw
            let whole = x.rounded(.down)
            counts[i] = whole + (generator.nextUniform() < x - whole ? 1 : 0)
            stateVector[s.stateIndex] = counts[i] / omega
        }
        instance.update(time: start, state: stateVector)
        previousTrigger = model.compiled.events.map(\.initialValue)
        pending = []
    }

    /// Direct-method steps until the next firing would fall at or after `barrier`, an event
    /// fired by a state trigger may have moved the barrier, or `limit` steps were taken.
    ///
    /// The loop keeps time, a₀, the generator and the firing count in locals, written back
    /// on the way out (and before anything that reads them): stored properties of a class
    /// cost a dynamic exclusivity check on every write, which was a third of a firing.
    func advanceExactly(to barrier: Double, steps limit: Int = .max, recorder: inout Recorder) throws(StochasticRunError) -> Outcome {
        var rng = generator, a0 = total, t = time, fired = firings
        defer { generator = rng; total = a0; time = t; firings = fired }
        let n = channelCount
        let magnitude = self.magnitude, propensity = self.propensity, counts = self.counts
        let changeStart = self.changeStart, changeSpecies = self.changeSpecies, changeDelta = self.changeDelta
        let dependentStart = self.dependentStart, dependentList = self.dependentList
        let mirrorSlot = self.mirrorSlot, divisor = self.divisor, blockSum = self.blockSum
        let lastBlock = blockCount - 1
        let nextOutput = recorder.next < recorder.times.count ? recorder.times[recorder.next] : .infinity
        var steps = 0
        while steps < limit {
            if a0 <= 0 { return .reachedBarrier }
            let next = t + rng.nextExponential(rate: a0)
            if next >= barrier { return .reachedBarrier }
            if next > nextOutput {
                // No firing came before `next`, so none before the output times passed: time
                // moves to the last of them and the next waiting time is drawn from there
                // (memoryless), which keeps the loop free of per-firing output checks.
                recorder.record(before: next, from: self)
                t = recorder.times[recorder.next - 1]
                return .stepsTaken
            }
            t = next
            // Choose channel j with probability |aⱼ|/a₀.
            // Zero propensities and empty blocks are stepped over (r ≥ 0 never stops there);
            // if round-off runs r past the end, the last positive channel is taken.
            var r = rng.nextUniform() * a0
            var b = 0
            while b < lastBlock && r >= blockSum[b] {
                r -= blockSum[b]
                b += 1
            }
            var j = b << Self.blockShift
            let end = Swift.min(n, j + (1 << Self.blockShift)) - 1
            while j < end && r >= magnitude[j] {
                r -= magnitude[j]
                j += 1
            }
            if magnitude[j] == 0 { j = lastPositiveChannel() }
            let direction = propensity[j] < 0 ? -1.0 : 1.0
            for k in changeStart[j]..<changeStart[j + 1] {
                let s = changeSpecies[k]
                let x = counts[s] + direction * changeDelta[k]
                if x < 0 {
                    time = t
                    throw negativeCount(channel: j, species: s)
                }
                counts[s] = x
                let slot = mirrorSlot[s]
                if slot >= 0 { instance.setValue(x / divisor[s], slot: slot) }
            }
            for k in dependentStart[j]..<dependentStart[j + 1] {
                let d = dependentList[k]
                let a = evaluatePropensity(d)
                let m = Swift.abs(a)
                a0 += m - magnitude[d]
                blockSum[d >> Self.blockShift] += m - magnitude[d]
                propensity[d] = a
                magnitude[d] = m
            }
            fired += 1
            steps += 1
            // Round-off in the running sum is cleared before it can matter.
            if fired & 4095 == 0 {
                recomputeSums()
                a0 = total
            }
            if hasStateTriggers {
                generator = rng; time = t; firings = fired
                if try checkEvents() {
                    recomputeAll()
                    a0 = total
                    return .eventFired
                }
            }
        }
        return .stepsTaken
    }

    // MARK: - Events

    /// The next time something scheduled happens: a delayed event, or a time-only trigger switching.
    func nextEventTime() -> Double {
        var next = Double.infinity
        for p in pending where p.time < next { next = p.time }
        for k in model.triggerRelationals {
            guard case .timed(let crossing) = model.compiled.relationals[k].timing else { continue }
            let t = instance.evaluate(crossing)
            if t > time && t < next { next = t }
        }
        return next
    }

    /// Brings memory up to date with the counts, fires every event whose trigger turned
    /// true and every delayed event now due, repeating while executions trigger others.
    /// Returns whether anything was executed.
    @discardableResult
    func checkEvents() throws(StochasticRunError) -> Bool {
        guard !model.compiled.events.isEmpty else { return false }
        var executedAny = false
        for _ in 0..<1000 {
            syncMemory()
            updateTruths()
            instance.evaluateTriggers()
            var due: [(event: Int, values: [Double]?)] = []
            let events = model.compiled.events
            var fired: [Int] = []
            for e in events.indices {
                let value = instance.triggerValue(e)
                if value && !previousTrigger[e] { fired.append(e) }
                if !value && previousTrigger[e] && !events[e].persistent { pending.removeAll { $0.event == e } }
                previousTrigger[e] = value
            }
            for e in fired {
                let delay = events[e].delay.map { instance.evaluate($0) } ?? 0
                let values = events[e].useValuesFromTriggerTime ? events[e].assignments.map { instance.evaluate($0.value) } : nil
                if delay > 0 { pending.append((time + delay, e, values)) } else { due.append((e, values)) }
            }
            for p in pending where p.time <= time { due.append((p.event, p.values)) }
            pending.removeAll { $0.time <= time }
            guard !due.isEmpty else { break }
            // Higher priority first, then document order (SBML Level 3 §4.11.7 semantics as the ODE simulator applies them).
            let priority = due.map { d in events[d.event].priority.map { instance.evaluate($0) } ?? 0 }
            let order = due.indices.sorted { priority[$0] != priority[$1] ? priority[$0] > priority[$1] : due[$0].event < due[$1].event }
            for i in order { try execute(due[i].event, values: due[i].values) }
            executedAny = true
        }
        if executedAny { syncMemory() }
        return executedAny
    }

    /// Computes every value of the compiled model from the counts, as of `at` (default: now).
    func syncMemory(at t: Double? = nil) {
        for (i, s) in model.species.enumerated() { stateVector[s.stateIndex] = counts[i] / omega }
        instance.update(time: t ?? time, state: stateVector)
    }

    /// The tracked truth of every relational a trigger reads: compared live, except that a
    /// time switch exactly at its crossing takes the value it has just after it.
    func updateTruths() {
        let relationals = model.compiled.relationals
        for k in model.triggerRelationals {
            let r = relationals[k]
            var truth = instance.evaluate(.binary(r.comparison, r.lhs, r.rhs)) != 0
            if case .timed(let crossing) = r.timing, instance.evaluate(crossing) == time {
                let step = Swift.max(1, Swift.abs(time)) * 1e-9
                instance.setValue(time + step, slot: 0)
                let rising = instance.evaluate(r.function) > 0
                instance.setValue(time, slot: 0)
                truth = r.valueAfterCrossing(rising: rising)
            }
            instance.setValue(truth ? 1 : 0, slot: r.truthSlot!)
        }
    }

    func execute(_ e: Int, values: [Double]?) throws(StochasticRunError) {
        let event = model.compiled.events[e]
        syncMemory()
        let values = values ?? event.assignments.map { instance.evaluate($0.value) }
        for (a, v) in zip(event.assignments, values) {
            switch a.target {
            case .amountState(let index, let sizeSlot):
                try assignState(index, amount: v * instance.value(ofSlot: sizeSlot), event: e, name: a.name, value: v)
            case .rawState(let index):
                try assignState(index, amount: v, event: e, name: a.name, value: v)
            case .value(let slot):
                instance.setValue(v, slot: slot)
            }
        }
        syncMemory()
    }

    func assignState(_ index: Int, amount: Double, event e: Int, name: String, value: Double) throws(StochasticRunError) {
        guard let s = model.species.firstIndex(where: { $0.stateIndex == index }) else {
            stateVector[index] = amount
            return
        }
        let molecules = amount * omega
        // Within 1e-6 of a whole number counts as whole: the value went through a unit conversion.
        guard molecules >= 0, Swift.abs(molecules - molecules.rounded()) <= 1e-6 * Swift.max(1, molecules) else {
            throw StochasticRunError(.error(
                "event '\(model.compiled.events[e].id)' sets '\(name)' to \(value), which is \(molecules) molecules at this volume; stochastic simulation needs whole molecules",
                at: model.eventRanges[e], hint: "assign a value that is a whole number of molecules (1 molecule is \(1 / model.species[s].moleculesPerValue) in model units)"))
        }
        counts[s] = molecules.rounded()
        if mirrorSlot[s] >= 0 { instance.setValue(counts[s] / divisor[s], slot: mirrorSlot[s]) }
    }

    // MARK: - Output

    /// Collects rows for the output times as the trial passes them.
    struct Recorder {
        let times: [Double]
        let columns: [Int]
        var next = 0
        var values: [Double] = []

        init(times: [Double], columns: [Int]) {
            self.times = times
            self.columns = columns
            values.reserveCapacity(times.count * columns.count)
        }

        /// Rows for every output time before `t`, from the current state (which holds since
        /// the last change, so it is the state at each of those times).
        mutating func record(before t: Double, from trial: StochasticTrial) {
            while next < times.count && times[next] < t {
                trial.syncMemory(at: times[next])
                for slot in columns { values.append(trial.instance.value(ofSlot: slot)) }
                next += 1
            }
        }
    }
}
