public import PathwayModel

/// Stimulus trains for pathway tests, added to a pathway as one event per pulse
/// (`input = input + amount` at each time), exactly as a pathway author would write them.
public enum Stimuli {
    /// Theta-burst pulse times: bursts of `pulsesPerBurst` at `intraBurstHz`, bursts
    /// repeated at `burstHz`, `burstsPerTrain` bursts per train, trains every
    /// `trainInterval` seconds from `start` until `end` (exclusive).
    /// Times are computed from integer counts, never accumulated, so they are exact.
    public static func thetaBurstTimes(start: Double, end: Double, pulsesPerBurst: Int = 4, intraBurstHz: Double = 100,
                                       burstsPerTrain: Int = 10, burstHz: Double = 5, trainInterval: Double = 10) -> [Double] {
        var times: [Double] = []
        var train = 0
        while true {
            let trainStart = start + Double(train) * trainInterval
            if trainStart >= end { break }
            for b in 0..<burstsPerTrain {
                for p in 0..<pulsesPerBurst {
                    let t = trainStart + Double(b) / burstHz + Double(p) / intraBurstHz
                    if t < end { times.append(t) }
                }
            }
            train += 1
        }
        return times
    }

    /// Regular pulses at `hz` from `start` for `count` pulses.
    public static func trainTimes(start: Double, hz: Double, count: Int) -> [Double] {
        (0..<count).map { start + Double($0) / hz }
    }

    /// Adds `input = input + amount` at every time in `times` (event ids `stim0`, `stim1`, …).
    public static func addPulses(to pathway: inout Pathway, input: String, amount: Expression, at times: [Double]) {
        for (i, t) in times.enumerated() {
            pathway.events.append(Event(
                id: "stim\(i)",
                trigger: .binary(.greaterEqual, .time, .number(t)),
                assignments: [.init(variable: input, expression: .binary(.add, .symbol(input, nil), amount))]))
        }
    }
}
