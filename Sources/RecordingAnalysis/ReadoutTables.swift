import Foundation

/// The CSV files `kinapse readouts` writes.
extension ReadoutResult {
    /// The fit data format for a synapse (docs/file-formats.md, "Data files"):
    /// `time,ipsc,ipsc_sd,ppr,ppr_sd`, time in minutes from induction (a fit experiment
    /// with `time_unit = "min"` and `time_origin = "induction"`), ipsc in % of the baseline
    /// mean. Each standard deviation is that of the sliding window around the sweep (the
    /// trial-to-trial spread); a value without a positive one is left empty (missing).
    /// Sweeps flagged for a series-resistance change are left out, each named in a comment.
    public func fitData(source: String, windowSize: Int) -> String {
        var out = "# kinapse readouts \(source): channel '\(channel.name)' (\(channel.unit)), \(sign.rawValue) IPSCs (\(signReason))\n"
        out += "# stimuli at \(stimulusTimes.map { Self.number($0 * 1000) + " ms" }.joined(separator: ", ")) of each sweep; "
        out += "time: minutes from induction (\(Self.number(inductionMinutes)) min into the recording: \(inductionReason))\n"
        out += "# ipsc: first response in % of the baseline mean (\(Self.number(baselineAmplitude)) pA, failures included); "
        out += "ppr: second over first; _sd: standard deviation over \(windowSize)-sweep windows\n"
        for s in sweeps where s.seriesResistanceFlagged {
            out += "# left out: sweep \(s.sweep) at \(Self.number(s.time)) min, series resistance \(Self.number(s.seriesResistance ?? .nan)) MΩ "
            out += "against \(Self.number(baselineSeriesResistance ?? .nan)) MΩ in the baseline\n"
        }
        out += "time,ipsc,ipsc_sd,ppr,ppr_sd\n"
        for s in sweeps where !s.seriesResistanceFlagged {
            let ipsc = Self.pair(s.percent, s.percentSD)
            let ppr = Self.pair(s.pairedPulseRatio, s.pprSD)
            out += "\(Self.number(s.time)),\(ipsc.0),\(ipsc.1),\(ppr.0),\(ppr.1)\n"
        }
        return out
    }

    /// Every measurement of every sweep.
    public func sweepTable() -> String {
        var out = "sweep,time_min,phase,amplitude1_pA,amplitude2_pA,failure1,failure2,ppr,ipsc_percent,rise_ms,decay_ms,"
        out += "baseline_pA,noise_pA,rs_MOhm,rs_flag,cv,inverse_cv2\n"
        for s in sweeps {
            let cells: [String] = [
                String(s.sweep), Self.number(s.time), s.isBaseline ? "baseline" : (s.time < 0 ? "before" : "after"),
                Self.number(s.amplitudes.first), Self.number(s.amplitudes.count > 1 ? s.amplitudes[1] : nil),
                s.failures.first.map { $0 ? "1" : "0" } ?? "", s.failures.count > 1 ? (s.failures[1] ? "1" : "0") : "",
                Self.number(s.pairedPulseRatio), Self.number(s.percent), Self.number(s.riseTime.map { $0 * 1000 }),
                Self.number(s.decayTime.map { $0 * 1000 }), Self.number(s.baseline), Self.number(s.noise),
                Self.number(s.seriesResistance), s.seriesResistanceFlagged ? "1" : "0", Self.number(s.cv), Self.number(s.inverseCV2),
            ]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    static func pair(_ value: Double?, _ sd: Double?) -> (String, String) {
        guard let value, let sd, value.isFinite, sd.isFinite, sd > 0 else { return ("", "") }
        return (number(value), number(sd))
    }

    /// Six significant digits: more than any readout's precision, short enough to read.
    static func number(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        if x == 0 { return "0" }
        return String(format: "%.6g", x)
    }
}
