import Foundation
public import InductionProtocols
public import SynapseModel
import KinapseUtilities

/// Text and CSV renderings of a synapse run.
public enum SynapseReports {
    public static func readoutsCSV(_ readouts: [TestReadout], protocolDefinition p: InductionProtocol) -> String {
        if let unit = readouts.first?.recorded?.unit { return recordedReadoutsCSV(readouts, unit: unit, protocolDefinition: p) }
        var out = "time,minutes_after_induction,phase,Pr,N,quantal_conductance_nS,mean_conductance_nS,mean_current_pA,cv,inverse_cv2,failure_rate,paired_pulse_ratio,amplitude_percent_of_baseline\n"
        for r in readouts {
            let x = r.response
            out += [fmt(r.time), fmt(minutes(r, p)), r.phase.rawValue, fmt(x.releaseProbability), fmt(x.receptors),
                    fmt(x.quantalConductance), fmt(x.meanConductance), fmt(x.meanCurrent), fmt(x.cv),
                    fmt(x.inverseCVSquared), fmt(x.failureRate), fmt(x.pairedPulseRatio), fmt(r.normalisedAmplitude)]
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per simulated test stimulus of a biophysical synapse: the recorded amplitudes (pA
    /// in voltage clamp, mV in current clamp), the state of the cell at the first spike, the
    /// simulated Pr, and the quantal model's variability at that Pr.
    static func recordedReadoutsCSV(_ readouts: [TestReadout], unit: String, protocolDefinition p: InductionProtocol) -> String {
        let what = unit == "pA" ? "ipsc" : "ipsp", holding = unit == "pA" ? "holding_current_pA" : "resting_potential_mV"
        var out = "time,minutes_after_induction,phase,\(what)_\(unit),second_\(what)_\(unit),paired_pulse_ratio,\(holding),"
            + "V_m_mV,E_GABA_mV,Cl_i_mM,Pr,N,time_to_peak_ms,conductance_nS,cv,inverse_cv2,failure_rate,amplitude_percent_of_baseline\n"
        for r in readouts {
            guard let x = r.recorded else { continue }
            out += [fmt(r.time), fmt(minutes(r, p)), r.phase.rawValue, fmt(x.amplitude), fmt(x.secondAmplitude), fmt(x.pairedPulseRatio),
                    fmt(x.holding), fmt(x.membranePotential), fmt(x.eGABA), fmt(x.chloride), fmt(x.releaseProbability), fmt(x.receptors),
                    fmt(1000 * x.timeToPeak), fmt(r.response.meanConductance), fmt(r.response.cv), fmt(r.response.inverseCVSquared),
                    fmt(r.response.failureRate), fmt(r.normalisedAmplitude)].joined(separator: ",") + "\n"
        }
        return out
    }

    /// Minutes from the start of induction (baseline) or from its end (follow-up).
    static func minutes(_ r: TestReadout, _ p: InductionProtocol) -> Double {
        r.phase == .baseline ? (r.time - p.inductionStart) / 60 : (r.time - p.inductionEnd) / 60
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
        if let unit = readouts.first?.recorded?.unit {
            // Quanta drawn at the simulated Pr (in units of the reference quantum), scaled so their
            // mean is the simulated amplitude.
            var out = "time,trial,amplitude_\(unit)\n"
            for r in readouts {
                guard let x = r.recorded else { continue }
                let quanta = release.sampleConductances(releaseProbability: x.releaseProbability, receptors: release.referenceReceptors / release.quantalSize,
                                                        trials: trials, using: &rng)
                let scale = x.releaseProbability > 0 ? x.amplitude / (Double(release.sites) * x.releaseProbability) : 0
                for (k, q) in quanta.enumerated() { out += "\(fmt(r.time)),\(k + 1),\(fmt(q * scale))\n" }
            }
            return out
        }
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
        guard s.eGABAShift != nil else {
            var out = "quantity,baseline,after,change_percent\n"
            for (name, b, a, c) in rows(s) { out += "\(name),\(fmt(b)),\(fmt(a)),\(fmt(c))\n" }
            out += "locus,\(s.locus.rawValue),,\n"
            return out
        }
        // A biophysical synapse: potentials and Cl⁻ change by differences, the rest by percent.
        var out = "quantity,baseline,after,change,change_unit\n"
        for row in recordedRows(s) { out += "\(row.name),\(fmt(row.baseline)),\(fmt(row.after)),\(fmt(row.change)),\(row.unit)\n" }
        out += "locus,\(s.locus.rawValue),,,\n"
        return out
    }

    /// The rows of a biophysical synapse's summary, each with the unit of its change.
    static func recordedRows(_ s: PlasticitySummary) -> [(name: String, baseline: Double, after: Double, change: Double, unit: String)] {
        // N is whatever symbol the synapse names as its receptors (e.g. a GABA-A conductance), so no unit is claimed.
        var out = rows(s).map { (name: $0.0 == "receptors per site N" ? "receptors N (as modelled)" : $0.0,
                                 baseline: $0.1, after: $0.2, change: $0.3, unit: "%") }
        for (name, unit, b, a) in [("E_GABA (mV)", "mV", s.baseline.eGABA, s.after.eGABA),
                                   ("[Cl-]i (mM)", "mM", s.baseline.chloride, s.after.chloride),
                                   ("V_m at the test (mV)", "mV", s.baseline.membranePotential, s.after.membranePotential)] {
            if let b, let a { out.append((name, b, a, a - b, unit)) }
        }
        return out
    }

    /// `condition`: the drugs the run applied, as its first line names them ("blocked: APV;
    /// drugs: …"), empty for a control run.
    public static func summaryTable(_ result: SynapseRunResult, synapse: SynapseDefinition, protocolDefinition p: InductionProtocol,
                                    condition: String) -> String {
        var out = "synapse \(synapse.name), protocol \(p.name)"
        if !condition.isEmpty { out += ", \(condition)" }
        out += "\n"
        guard let s = result.summary else {
            return out + "no summary: the run did not reach the analysis window\n"
        }
        let w = s.window
        out += "baseline: \(s.baseline.count) test stimuli; after: \(s.after.count) test stimuli \(Int(w.lowerBound / 60))–\(Int(w.upperBound / 60)) min after induction\n"
        if let drift = s.baselineDrift, abs(drift) > PlasticitySummary.settledDrift {
            out += "warning: the baseline drifts \(String(format: "%+.1f", drift)) % from its first to its last test: the synapse is not at rest, and the change includes the drift (lengthen [recording] settle, or check the resting state)\n"
        }
        out += "\n"
        if let recording = synapse.recording { out += "recording: \(recording.summary)\n" }
        out += pad("quantity", 26) + pad("baseline", 12) + pad("after", 12) + "change\n"
        if s.eGABAShift != nil {
            for row in recordedRows(s) {
                let change = row.unit == "%" ? percentText(row.change) : String(format: "%+.2f ", row.change) + row.unit
                out += pad(row.name, 26) + pad(short(row.baseline), 12) + pad(short(row.after), 12) + change + "\n"
            }
        } else {
            for (name, b, a, c) in rows(s) {
                out += pad(name, 26) + pad(short(b), 12) + pad(short(a), 12) + percentText(c) + "\n"
            }
        }
        if !s.hasBaselineResponse {
            out += "\nthe baseline amplitude is below \(short(PlasticitySummary.smallestResponse)) \(s.amplitudeUnit): no response to compare against\n"
        }
        out += "\nsite of expression (from PPR and CV analysis): \(s.locus.rawValue)\n"
        return out
    }

    static func rows(_ s: PlasticitySummary) -> [(String, Double, Double, Double)] {
        [(s.amplitudeUnit == "mV" ? "IPSP amplitude (mV)" : "IPSC amplitude (\(s.amplitudeUnit))", s.baseline.amplitude, s.after.amplitude, s.amplitudeChange),
         ("paired-pulse ratio", s.baseline.pairedPulseRatio, s.after.pairedPulseRatio, s.pairedPulseRatioChange),
         ("1/CV^2", s.baseline.inverseCVSquared, s.after.inverseCVSquared, s.inverseCVSquaredChange),
         ("receptors per site N", s.baseline.receptors, s.after.receptors, s.receptorChange),
         ("release probability Pr", s.baseline.releaseProbability, s.after.releaseProbability, s.releaseProbabilityChange)]
    }

    static func fmt(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v.isNaN { return "nan" }  // not measured (a conductance in current clamp)
        if !v.isFinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }

    static func short(_ v: Double) -> String { String(format: "%.4g", v) }

    /// A percent change as the table prints it; "n/a" where it is undefined (NaN).
    static func percentText(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%+.1f %%", v) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
