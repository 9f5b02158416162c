import Foundation
public import InductionProtocols
public import SynapseModel
import KinapseUtilities

/// Text and CSV renderings of a synapse run.
public enum SynapseReports {
    public static func readoutsCSV(_ readouts: [TestReadout], protocolDefinition p: InductionProtocol) -> String {
        var out = "time,minutes_after_induction,phase,Pr,N,quantal_conductance_nS,mean_conductance_nS,mean_current_pA,cv,inverse_cv2,failure_rate,paired_pulse_ratio,amplitude_percent_of_baseline\n"
        for r in readouts {
            let x = r.response
            let minutes = r.phase == .baseline ? (r.time - p.inductionStart) / 60 : (r.time - p.inductionEnd) / 60
            out += [fmt(r.time), fmt(minutes), r.phase.rawValue, fmt(x.releaseProbability), fmt(x.receptors),
                    fmt(x.quantalConductance), fmt(x.meanConductance), fmt(x.meanCurrent), fmt(x.cv),
                    fmt(x.inverseCVSquared), fmt(x.failureRate), fmt(x.pairedPulseRatio), fmt(r.normalisedAmplitude)]
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per test stimulus and parameter: the readout's derivatives.
    public static func readoutSensitivitiesCSV(_ readouts: [TestReadout], parameters: [String]) -> String {
        var out = "time,phase,parameter,d_amplitude_percent,d_paired_pulse_ratio,d_mean_conductance_nS,d_Pr,d_N\n"
        for r in readouts {
            guard let s = r.sensitivities else { continue }
            for (k, p) in parameters.enumerated() {
                out += [fmt(r.time), r.phase.rawValue, p, fmt(s.normalisedAmplitude[k]), fmt(s.pairedPulseRatio[k]),
                        fmt(s.meanConductance[k]), fmt(s.releaseProbability[k]), fmt(s.receptors[k])].joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// Monte Carlo trials at every test stimulus, drawn from one seeded generator in time
    /// order, so the file is identical for the same seed.
    public static func trialsCSV(_ readouts: [TestReadout], release: ReleaseModel, trials: Int, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        var out = "time,trial,conductance_nS,current_pA\n"
        for r in readouts {
            let g = release.sampleConductances(releaseProbability: r.response.releaseProbability, receptors: r.response.receptors,
                                               trials: trials, using: &rng)
            for (k, x) in g.enumerated() {
                out += "\(fmt(r.time)),\(k + 1),\(fmt(x)),\(fmt(x * release.drivingForce))\n"
            }
        }
        return out
    }

    public static func summaryCSV(_ s: PlasticitySummary) -> String {
        var out = "quantity,baseline,after,change_percent\n"
        for (name, b, a, c) in rows(s) { out += "\(name),\(fmt(b)),\(fmt(a)),\(fmt(c))\n" }
        out += "locus,\(s.locus.rawValue),,\n"
        return out
    }

    public static func summaryTable(_ result: SynapseRunResult, synapse: SynapseDefinition, protocolDefinition p: InductionProtocol,
                                    blockers: [String]) -> String {
        var out = "synapse \(synapse.name), protocol \(p.name)"
        if !blockers.isEmpty { out += ", blocked: \(blockers.joined(separator: ", "))" }
        out += "\n"
        guard let s = result.summary else {
            return out + "no summary: the run did not reach the analysis window\n"
        }
        let w = s.window
        out += "baseline: \(s.baseline.count) test stimuli; after: \(s.after.count) test stimuli \(Int(w.lowerBound / 60))–\(Int(w.upperBound / 60)) min after induction\n\n"
        out += pad("quantity", 26) + pad("baseline", 12) + pad("after", 12) + "change\n"
        for (name, b, a, c) in rows(s) {
            out += pad(name, 26) + pad(short(b), 12) + pad(short(a), 12) + String(format: "%+.1f %%", c) + "\n"
        }
        out += "\nsite of expression (from PPR and CV analysis): \(s.locus.rawValue)\n"
        return out
    }

    static func rows(_ s: PlasticitySummary) -> [(String, Double, Double, Double)] {
        [("IPSC amplitude (nS)", s.baseline.amplitude, s.after.amplitude, s.amplitudeChange),
         ("paired-pulse ratio", s.baseline.pairedPulseRatio, s.after.pairedPulseRatio, s.pairedPulseRatioChange),
         ("1/CV^2", s.baseline.inverseCVSquared, s.after.inverseCVSquared, s.inverseCVSquaredChange),
         ("receptors per site N", s.baseline.receptors, s.after.receptors, s.receptorChange),
         ("release probability Pr", s.baseline.releaseProbability, s.after.releaseProbability, s.releaseProbabilityChange)]
    }

    static func fmt(_ v: Double) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }

    static func short(_ v: Double) -> String { String(format: "%.4g", v) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
