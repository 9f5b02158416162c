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
        let outcome = try withToySynapse { synapse in
            try FiniteDifferenceCheck.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: Self.shortTBS()), stride: 1)
        }
        #expect(outcome.parameters.map(\.parameter).sorted() == ["Ca_rest", "K", "N0", "Pr0", "dCa", "k_ext", "k_off", "k_on"])
        print("toy synapse: worst relative difference \(outcome.worstRelative), worst tolerance ratio \(outcome.worstRatio)")
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
        let outcome = try withToySynapse(text) { synapse in
            var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: try Self.shortTBS(), blockers: ["raise_rest"])
            request.preincubation = 300
            return try FiniteDifferenceCheck.run(request, parameters: ["Ca_rest", "k_ext", "dCa", "k_on", "K"], stride: 1)
        }
        print("toy synapse with pre-incubation: worst relative difference \(outcome.worstRelative), worst tolerance ratio \(outcome.worstRatio)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
    }

    /// The check's runs spread over threads give the same report as on one thread, bit for bit.
    @Test func checkReportIsTheSameOnOneThreadOrThree() throws {
        let (serial, parallel) = try withToySynapse(SynapseRunTests.synapseText) { synapse in
            let request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: try Self.shortTBS())
            let parameters = ["Ca_rest", "k_ext", "dCa", "K"]
            return (try FiniteDifferenceCheck.run(request, parameters: parameters, stride: 1, jobs: 1),
                    try FiniteDifferenceCheck.run(request, parameters: parameters, stride: 1, jobs: 3))
        }
        #expect(serial.parameters.map(\.parameter) == ["Ca_rest", "k_ext", "dCa", "K"])
        #expect(serial.parameters.map(\.comparisons) == parallel.parameters.map(\.comparisons))
        #expect(serial.parameters.map(\.worstRatio.bitPattern) == parallel.parameters.map(\.worstRatio.bitPattern))
        #expect(serial.parameters.map(\.worstWhat) == parallel.parameters.map(\.worstWhat))
        #expect(serial.failures.isEmpty && parallel.failures.isEmpty)
    }
}

/// Every parameter of a lumped synapse against finite differences. In `make test` this is
/// the directional check (all parameters perturbed at once along two random ±|p| directions)
/// for the lumped engine-test fixture (Fixtures/lumped; every shipped synapse is recorded on the
/// rig, which gives no sensitivities) on a protocol that is cheap and holds steps (events
/// that set parameters and restore them), on protocols shortened to a 1 min baseline and a
/// 2 min follow-up (the whole induction is kept, so every run crosses it); pulse trains and
/// the pre-incubation are covered by the toy synapse above. The per-parameter check of
/// every shipped synapse under each of its protocols, full length, runs in release mode:
/// `make sensitivity-check` (Benchmarks/sensitivity_check.sh).
@Suite struct ShippedSynapseSensitivityTests {
    static let cases: [(synapse: String, protocolName: String, blockers: [String])] = [
        ("cortical_camkii", "chemical_iltp", []),
    ]

    @Test(arguments: cases.indices)
    func allParametersMatchFiniteDifferences(_ index: Int) throws {
        let c = Self.cases[index]
        let root = TestModels.repositoryRoot
        let synapse = try SynapseReader.read(path: root.appendingPathComponent("Fixtures/lumped/synapses/\(c.synapse).toml").path)
        var proto = try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(c.protocolName).toml").path)
        proto.baselineDuration = 60
        proto.followUpDuration = 120
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto, blockers: c.blockers)
        request.preincubation = 300
        let outcome = try FiniteDifferenceCheck.directional(request, directions: 2)
        print("\(c.synapse) \(c.protocolName) \(c.blockers): worst relative difference \(outcome.worstRelative), worst tolerance ratio \(outcome.worstRatio), sensitivity run \(outcome.sensitivityRunTime) s, plain \(outcome.plainRunTime) s")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.count) failures, e.g. \(outcome.failures.prefix(5))")
    }
}
