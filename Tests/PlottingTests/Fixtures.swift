import KineticsCore
@testable import Plotting

/// Small synthetic data sets made of exact arithmetic (no transcendental functions), so
/// the snapshots cannot depend on a platform's libm.
enum Fixtures {
    /// 0…20 s: a substrate falling as 10/(1+t/4), a product rising, and a messenger
    /// a thousand times smaller; one NaN in the messenger.
    static var timeCourse: Trajectory {
        var t = Trajectory(columns: ["S", "P", "cAMP"])
        for i in 0...40 {
            let time = Double(i) * 0.5
            let s = 10 / (1 + time / 4)
            let messenger = i == 13 ? Double.nan : 0.004 * time / (1 + time * time / 16)
            t.append(time: time, row: [s, 10 - s, messenger])
        }
        return t
    }

    /// A synapse run: 10 min baseline, induction 600–603 s, then 30 min; test stimuli every minute.
    static var readouts: SVGPlot.SynapseReadouts {
        var times: [Double] = [], pr: [Double] = [], n: [Double] = [], amplitude: [Double] = []
        for minute in 0...40 {
            let t = Double(minute) * 60 + (minute >= 10 ? 3 : 0)
            let after = minute >= 10 ? Double(minute - 9) : 0
            let p = after / (after + 3)
            times.append(t)
            pr.append(0.25 + 0.08 * p)
            n.append(30)
            amplitude.append(100 * (0.25 + 0.08 * p) / 0.25 + (minute % 3 == 0 ? 1.5 : -1))
        }
        return SVGPlot.SynapseReadouts(times: times, releaseProbability: pr, receptors: n, amplitudePercent: amplitude,
                                       inductionStart: 600, inductionEnd: 603, inductionLabel: "TBS")
    }

    static var synapsePathway: Trajectory {
        var t = Trajectory(columns: ["Ca", "P"])
        for i in 0...246 {
            let time = Double(i) * 10
            let since = time - 600
            let ca = since >= 0 ? 0.05 + 1 / (1 + since * since / 400) : 0.05
            let p = since >= 0 ? since / (since + 200) : 0
            t.append(time: time, row: [ca, p])
        }
        return t
    }

    static let windowDeltaT: [Double] = Array(stride(from: -100.0, through: 100, by: 20))
    static var windowChange: [Double] {
        windowDeltaT.map { dt in dt == 60 ? .nan : (dt < 0 ? -30 / (1 - dt / 20) : 40 / (1 + dt / 20)) }
    }

    /// A readouts CSV as `simulate SYNAPSE --readouts` writes it (the columns `plot` needs):
    /// test stimuli every minute, 10 min of baseline, induction 600–603 s, 20 min after;
    /// Pr rises from 0.25 by 0.1·k/(k+4) in minute k after induction.
    static var readoutsCSV: String {
        var text = "time,minutes_after_induction,phase,Pr,N,amplitude_percent_of_baseline\n"
        for minute in -10...(-1) {
            text += "\(Double(600 + 60 * minute)),\(Double(minute)),baseline,0.25,30.0,100.0\n"
        }
        for k in 0...20 {
            let pr = 0.25 + 0.1 * Double(k) / Double(k + 4)
            text += "\(Double(603 + 60 * k)),\(Double(k)),follow-up,\(pr),30.0,\(100 * pr / 0.25)\n"
        }
        return text
    }
}
