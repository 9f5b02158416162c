import Testing
import Foundation
import KineticsCore
import CVODEIntegration
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The readout derivatives of the release model against central differences of its
/// closed forms (step 1e-6: truncation error ~1e-12, round-off ~1e-10 relative).
@Suite struct ReleaseModelDerivativeTests {
    @Test(arguments: [0.0, 0.2])
    func derivativesMatchDifferencesOfTheClosedForms(tauFacilitation: Double) {
        let model = ReleaseModel(sites: 8, quantalSize: 0.4, referenceReceptors: 30, quantalCV: 0.3,
                                 tauRecovery: 0.5, tauFacilitation: tauFacilitation)
        let h = 1e-6
        for pr in [0.05, 0.3, 0.7, 0.95] {
            for n in [10.0, 30.0, 45.0] {
                let d = model.meanConductanceDerivatives(releaseProbability: pr, receptors: n)
                func mean(_ p: Double, _ r: Double) -> Double {
                    model.readout(releaseProbability: p, receptors: r, pairedPulseInterval: 0.05).meanConductance
                }
                let dPr = (mean(pr + h, n) - mean(pr - h, n)) / (2 * h)
                let dN = (mean(pr, n + h) - mean(pr, n - h)) / (2 * h)
                #expect(abs(d.releaseProbability - dPr) <= 1e-8 * max(1, abs(dPr)))
                #expect(abs(d.receptors - dN) <= 1e-8 * max(1, abs(dN)))
            }
            let dPPR = (model.pairedPulseRatio(pr + h, interval: 0.05) - model.pairedPulseRatio(pr - h, interval: 0.05)) / (2 * h)
            let analytic = model.pairedPulseRatioDerivative(pr, interval: 0.05)
            #expect(abs(analytic - dPPR) <= 1e-8, "Pr \(pr): \(analytic) vs \(dPPR)")
            #expect(analytic < 0, "a higher Pr depresses more")
        }
    }
}

/// Sensitivities of synapse runs against central finite differences.
///
/// Solver tolerances rtol 1e-10, atol 1e-14 make the finite differences accurate: the
/// global error of each run is ~C·rtol·|Q| with C ≲ 30 (SensitivityTests), so with a
/// relative step h = 1e-4·|p| the rounding part of the central difference is
/// ≲ 30e-10·|Q|/(2·1e-4·|p|) ≈ 1.5e-5·|Q|/|p|, and the truncation part ~h²·|Q‴| is far
/// below 1e-4 relative for these smooth rate laws. Each comparison is
///     |s − fd| ≤ 1e-4·max(|s|, |fd|) + floor,   floor = 2e-5·max_t|Q|/|p|,
/// the floor being that rounding bound: derivatives below it (relative sensitivities
/// |∂ln Q/∂ln p| < 2e-5) are noise in the finite differences, not a test of the engine.
enum SensitivityCheck {
    static let options = IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maximumSteps: 1_000_000)
    static let relativeStep = 1e-4

    struct Outcome {
        /// Largest |s − fd| / max(|s|, |fd|) among derivatives at least 100× their floor.
        var worstRelative = 0.0
        /// Largest |s − fd| / (1e-4·max(|s|, |fd|) + floor): at most 1 to pass.
        var worstRatio = 0.0
        var worstWhat = ""
        var failures: [String] = []
        var comparisons = 0
    }

    /// Every quantity compared for one parameter: readouts (normalised amplitude, PPR) at
    /// every test stimulus and every time-course column at every `stride`-th output row.
    static func quantities(_ r: SynapseRunResult, stride: Int) -> [(name: String, value: Double, scale: Double)] {
        var out: [(String, Double, Double)] = []
        let ampScale = r.readouts.map { abs($0.normalisedAmplitude) }.max() ?? 1
        let pprScale = r.readouts.map { abs($0.response.pairedPulseRatio) }.max() ?? 1
        for x in r.readouts {
            out.append(("amplitude% at \(x.time)", x.normalisedAmplitude, ampScale))
            out.append(("PPR at \(x.time)", x.response.pairedPulseRatio, pprScale))
        }
        let t = r.trajectory
        for c in t.columns.indices {
            let scale = (0..<t.rowCount).map { abs(t.value(row: $0, column: c)) }.max() ?? 0
            for row in Swift.stride(from: 0, to: t.rowCount, by: stride) {
                out.append(("\(t.columns[c]) at \(t.times[row])", t.value(row: row, column: c), scale))
            }
        }
        return out
    }

    static func sensitivities(_ r: SynapseRunResult, parameter k: Int, stride: Int) -> [Double] {
        var out: [Double] = []
        for x in r.readouts {
            out.append(x.sensitivities!.normalisedAmplitude[k])
            out.append(x.sensitivities!.pairedPulseRatio[k])
        }
        let s = r.sensitivities!
        for c in s.columns.indices {
            for row in Swift.stride(from: 0, to: s.rowCount, by: stride) { out.append(s.value(row: row, column: c, parameter: k)) }
        }
        return out
    }

    /// Runs `request` with sensitivities for `parameters` and compares each with central
    /// differences of runs of the same prepared model.
    static func compare(_ request: SynapseRunRequest, parameters: [String], values: [String: Double], stride: Int = 1) throws -> Outcome {
        var withSensitivities = request
        withSensitivities.options = options
        withSensitivities.sensitivityParameters = parameters
        let result = try PreparedSynapseRun(withSensitivities).run()
        #expect(result.failure == nil)
        var plainRequest = request
        plainRequest.options = options
        let plain = try PreparedSynapseRun(plainRequest)
        var outcome = Outcome()
        for (k, p) in parameters.enumerated() {
            let v = values[p]!
            let h = relativeStep * (v != 0 ? abs(v) : 1)
            let up = try plain.run(overrides: [(p, v + h)]), down = try plain.run(overrides: [(p, v - h)])
            guard up.failure == nil, down.failure == nil else {
                outcome.failures.append("\(p): a perturbed run failed")
                continue
            }
            let qs = quantities(result, stride: stride)
            let qu = quantities(up, stride: stride), qd = quantities(down, stride: stride)
            let s = sensitivities(result, parameter: k, stride: stride)
            for i in qs.indices {
                let fd = (qu[i].value - qd[i].value) / (2 * h)
                let floor = 2e-5 * qs[i].scale / (v != 0 ? abs(v) : 1)
                let difference = abs(s[i] - fd)
                outcome.comparisons += 1
                let size = max(abs(s[i]), abs(fd))
                outcome.worstRatio = max(outcome.worstRatio, difference / (1e-4 * size + floor))
                let relative = difference / size
                if size >= 100 * floor, relative > outcome.worstRelative {
                    outcome.worstRelative = relative
                    outcome.worstWhat = "∂(\(qs[i].name))/∂\(p): \(s[i]) vs \(fd)"
                }
                if difference > 1e-4 * max(abs(s[i]), abs(fd)) + floor {
                    outcome.failures.append("∂(\(qs[i].name))/∂\(p) = \(s[i]), finite differences \(fd)")
                }
            }
        }
        return outcome
    }
}

@Suite struct SynapseSensitivityTests {
    func withToySynapse<T>(_ text: String = SynapseRunTests.synapseText, _ body: (SynapseDefinition) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-sens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try SynapseRunTests.toyModel(couplePr: true).write(to: dir.appendingPathComponent("toy.ant"), atomically: true, encoding: .utf8)
        try text.write(to: dir.appendingPathComponent("toy.toml"), atomically: true, encoding: .utf8)
        return try body(SynapseReader.read(path: dir.appendingPathComponent("toy.toml").path))
    }

    static func shortTBS() throws -> InductionProtocol {
        var p = try ProtocolReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/protocols/tbs.toml").path)
        p.baselineDuration = 60
        p.followUpDuration = 120
        return p
    }

    @Test func toySynapseMatchesFiniteDifferences() throws {
        let parameters = ["Ca_rest", "k_ext", "dCa", "k_on", "k_off", "K", "Pr0", "N0"]
        let values = ["Ca_rest": 0.05, "k_ext": 20, "dCa": 0.5, "k_on": 0.2, "k_off": 1e-5, "K": 0.6, "Pr0": 0.25, "N0": 30.0]
        let outcome = try withToySynapse { synapse in
            try SensitivityCheck.compare(SynapseRunRequest(synapse: synapse, protocolDefinition: Self.shortTBS()),
                                         parameters: parameters, values: values)
        }
        print("toy synapse: \(outcome.comparisons) comparisons, worst relative difference \(outcome.worstRelative) (\(outcome.worstWhat)), worst tolerance ratio \(outcome.worstRatio)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
    }
}

extension SynapseSensitivityTests {
    /// A synthetic drug that raises resting Ca²⁺, so the pre-incubation changes the state
    /// (P rises) and its sensitivities must carry into the main run; and the blocked
    /// parameter itself must have zero sensitivity (the drug fixes it).
    @Test func preincubationCarriesSensitivities() throws {
        let text = SynapseRunTests.synapseText + """

            [blockers.raise_rest]
            description = "synthetic: raises resting Ca2+ (and fixes it)"
            set = { Ca_rest = 0.3 }
            """
        let parameters = ["Ca_rest", "k_ext", "dCa", "k_on", "K"]
        let values = ["Ca_rest": 0.05, "k_ext": 20, "dCa": 0.5, "k_on": 0.2, "K": 0.6]
        let outcome = try withToySynapse(text) { synapse in
            var request = SynapseRunRequest(synapse: synapse, protocolDefinition: try Self.shortTBS(), blockers: ["raise_rest"])
            request.preincubation = 300
            return try SensitivityCheck.compare(request, parameters: parameters, values: values)
        }
        print("toy synapse with pre-incubation: \(outcome.comparisons) comparisons, worst relative difference \(outcome.worstRelative) (\(outcome.worstWhat)), worst tolerance ratio \(outcome.worstRatio)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
    }
}
