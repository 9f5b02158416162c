import KinapseUtilities
import SourceDiagnostics

/// One point of a synapse scan: the plasticity a protocol produces with some parameters set.
public struct SynapseScanPoint: Sendable, Codable, PortableResult {
    /// The values of the varied names, in their order.
    public var values: [Double]
    public var summary: PlasticitySummary?
    /// Why the run gave no summary (a solver failure), if it did not.
    public var failure: String?
}

/// Runs a synapse's protocol at every point of a grid of parameter values (stimulus
/// strengths, channel densities, a drug's target parameter): the readouts of the summary per
/// point, as `kinapse scan SYNAPSE` writes them.
public enum SynapseParameterScan {
    /// The readouts a synapse scan reports per point, in this order: the summary's percent
    /// changes, then E_GABA's shift for a synapse with a recording.
    public static func columns(biophysical: Bool) -> [String] {
        ["delta_ipsc_percent", "delta_ppr_percent", "delta_inverse_cv2_percent", "delta_receptors_percent", "delta_pr_percent"]
            + (biophysical ? ["delta_egaba_mV"] : [])
    }

    /// The values of `columns(biophysical:)` for one summary.
    public static func readouts(_ s: PlasticitySummary, biophysical: Bool) -> [Double] {
        [s.amplitudeChange, s.pairedPulseRatioChange, s.inverseCVSquaredChange, s.receptorChange, s.releaseProbabilityChange]
            + (biophysical ? [s.eGABAShift ?? .nan] : [])
    }

    /// A varied name `drug:NAME` is the concentration (µM) of the blocker NAME, which the
    /// synapse must declare with an IC50.
    public static let drugPrefix = "drug:"

    /// Compiles `base`'s protocol once and runs it at every point (`names[k]` set to
    /// `point[k]`, after the request's own overrides and before its blockers'), on up to
    /// `jobs` threads or MPI ranks. Results come back in the order of `points`, identical
    /// for any `jobs`. Once `isCancelled` returns true no further point begins; the result
    /// then holds the points that ran, in order.
    public static func run(_ base: SynapseRunRequest, names: [String], points: [[Double]], jobs: Int,
                           isCancelled: (@Sendable () -> Bool)? = nil,
                           progress: (@Sendable () -> Void)? = nil) throws(SynapseRunError) -> [SynapseScanPoint] {
        // A drug axis needs its drug in the preparation (so the settling includes it); each
        // point then overrides its concentration.
        var request = base
        let drugAxes = names.enumerated().filter { $0.element.hasPrefix(drugPrefix) }.map { ($0.offset, String($0.element.dropFirst(drugPrefix.count))) }
        for (_, drug) in drugAxes where !request.drugs.contains(where: { $0.name == drug }) { request.drugs.append((drug, 0)) }
        let prepared = try PreparedSynapseRun(request)
        for name in names where !name.hasPrefix(drugPrefix) && prepared.model.symbols[name] == nil {
            throw .request("cannot scan '\(name)': no such symbol in synapse model '\(prepared.model.name)'",
                           hint: Suggestions.didYouMean(name, among: prepared.model.symbols.keys))
        }
        let variants: [PreparedSynapseRun]
        if drugAxes.isEmpty {
            variants = [prepared]
        } else {
            variants = try points.map { point throws(SynapseRunError) in
                var drugs = request.drugs
                for (axis, drug) in drugAxes { drugs.removeAll { $0.name == drug }; drugs.append((drug, point[axis])) }
                return try prepared.withDrugs(drugs)
            }
        }
        let results = ParallelTasks.run(count: points.count, jobs: jobs, isCancelled: isCancelled, makeState: {}) { _, i in
            do throws(SynapseRunError) {
                let overrides = zip(names, points[i]).filter { !$0.0.hasPrefix(drugPrefix) }.map { (name: $0.0, value: $0.1) }
                let r = try variants[drugAxes.isEmpty ? 0 : i].run(overrides: overrides)
                progress?()
                return Result<SynapseScanPoint, SynapseRunError>.success(
                    SynapseScanPoint(values: points[i], summary: r.failure == nil ? r.summary : nil, failure: r.failure.map { "\($0)" }))
            } catch {
                return .failure(error)
            }
        }
        var out: [SynapseScanPoint] = []
        for case let r? in results { out.append(try r.get()) }
        return out
    }
}
