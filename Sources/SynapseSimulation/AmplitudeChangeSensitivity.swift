public import InductionProtocols
public import ModelCompiler

/// How the plasticity a protocol induces, ΔIPSC (the summary's amplitude change, % of
/// baseline), moves with one model parameter.
public struct AmplitudeChangeSensitivity: Sendable, Equatable {
    public var parameter: String
    /// The parameter's value in the run.
    public var value: Double
    /// ∂ΔIPSC/∂p: percentage points per unit of p.
    public var derivative: Double

    /// ∂ΔIPSC/∂ln p = p·∂ΔIPSC/∂p: percentage points per e-fold change of p, comparable
    /// across parameters of any unit (0 for a parameter whose value is 0).
    public var logDerivative: Double { value * derivative }
}

/// ΔIPSC and its derivatives, from one run with forward sensitivities (docs/sensitivities.md).
public enum AmplitudeChangeSensitivities {
    /// ∂ΔIPSC/∂p_k for the request's `sensitivityParameters`, or nil when the run has no
    /// summary or no readout sensitivities.
    ///
    /// Each readout's normalised amplitude is 100·a_i/ā_baseline, with ā_baseline the mean
    /// over the same baseline readouts the summary uses, so ΔIPSC = 100·(ā_after/ā_baseline − 1)
    /// is the mean normalised amplitude over the analysis window minus 100, and its
    /// derivative is the mean of the readouts' derivatives (which carry the quotient rule).
    public static func derivatives(of result: SynapseRunResult, protocolDefinition: InductionProtocol) -> [Double]? {
        guard result.summary != nil else { return nil }
        let after = PlasticitySummary.compared(result.readouts, protocolDefinition: protocolDefinition).after
        let rows = after.compactMap { $0.sensitivities?.normalisedAmplitude }
        guard !rows.isEmpty, rows.count == after.count, let width = rows.first?.count else { return nil }
        return (0..<width).map { k in rows.reduce(0) { $0 + $1[k] } / Double(rows.count) }
    }

    /// ΔIPSC has derivatives only where the IPSC is the quantal model's (a biophysical
    /// synapse reads it from the simulated recording, which has no forward sensitivities).
    public static func requireQuantal(_ request: SynapseRunRequest) throws(SynapseRunError) {
        guard request.synapse.isBiophysical else { return }
        throw .request("synapse '\(request.synapse.name)' is biophysical: its IPSC is read from the simulated recording, which has no forward sensitivities",
                       hint: "rank this synapse's parameters with --method morris (no derivatives needed), or compare runs with --set")
    }

    /// The request's `sensitivityParameters` ranked by |∂ΔIPSC/∂ln p|, largest first (ties:
    /// the request's order), from `result`, a run of `request` on the prepared `model`
    /// that did not fail; and ΔIPSC itself.
    public static func ranking(_ request: SynapseRunRequest, model: CompiledModel, result: SynapseRunResult)
        throws(SynapseRunError) -> (change: Double, ranked: [AmplitudeChangeSensitivity]) {
        try requireQuantal(request)
        guard let summary = result.summary, let derivatives = derivatives(of: result, protocolDefinition: request.protocolDefinition) else {
            throw .request("protocol '\(request.protocolDefinition.name)' gives no ΔIPSC: it needs test stimuli before induction and in its analysis window",
                           hint: nil)
        }
        let names = request.sensitivityParameters
        let initial = model.initialValues(of: names)
        let entries = names.indices.map { k in
            // The value in effect: the request's last override of it, else the model's.
            let value = request.overrides.last(where: { $0.name == names[k] })?.value ?? initial[k]
            return AmplitudeChangeSensitivity(parameter: names[k], value: value, derivative: derivatives[k])
        }
        let order = entries.indices.sorted { a, b in
            let x = abs(entries[a].logDerivative), y = abs(entries[b].logDerivative)
            return x != y ? x > y : a < b
        }
        return (summary.amplitudeChange, order.map { entries[$0] })
    }
}
