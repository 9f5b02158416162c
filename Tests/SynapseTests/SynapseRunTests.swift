import Testing
import Foundation
import SourceDiagnostics
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// End-to-end runs of small synthetic synapses (made up for these tests: a Ca²⁺ transient
/// drives a slow, persistent potentiation variable P that raises either Pr or N).
@Suite struct SynapseRunTests {
    static func toyModel(couplePr: Bool) -> String {
        """
        // Synthetic test model: every value is an assumption chosen to give a clear effect.
        model *toy()
          Ca = 0.05; Ca_rest = 0.05; k_ext = 20; dCa = 0.5
          J_ext: Ca -> ; k_ext*(Ca - Ca_rest)
          P = 0; k_on = 0.2; k_off = 1e-5; K = 0.6
          J_P: -> P; k_on*Ca^4/(K^4 + Ca^4)*(1 - P)
          J_Poff: P -> ; k_off*P
          Pr0 = 0.25; N0 = 30
          Pr := \(couplePr ? "Pr0*(1 + P)" : "Pr0")
          N := \(couplePr ? "N0" : "N0*(1 + P)")
        end
        """
    }

    static let synapseText = """
        description = "synthetic test synapse"
        model = "toy.ant"

        [release]
        sites = 10
        quantal_size = 0.5
        reference_receptors = 30
        quantal_cv = 0.3
        tau_recovery = 0.5

        [stimuli.excitatory_afferent]
        increments = { Ca = "dCa" }

        [blockers.no_potentiation]
        description = "stops the potentiation pathway"
        set = { k_on = 0 }
        """

    func withSynapse<T>(couplePr: Bool, synapse: String = synapseText, _ body: (String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-synapse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.toyModel(couplePr: couplePr).write(to: dir.appendingPathComponent("toy.ant"), atomically: true, encoding: .utf8)
        try synapse.write(to: dir.appendingPathComponent("toy.toml"), atomically: true, encoding: .utf8)
        return try body(dir.appendingPathComponent("toy.toml").path)
    }

    func run(_ synapsePath: String, blockers: [String] = []) throws -> SynapseRunResult {
        let synapse = try SynapseReader.read(path: synapsePath)
        let proto = try ProtocolReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/protocols/tbs.toml").path)
        return try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto, blockers: blockers))
    }

    @Test func presynapticPotentiationChangesPPRAndCV() throws {
        let result = try withSynapse(couplePr: true) { try run($0) }
        let s = try #require(result.summary)
        #expect(result.failure == nil)
        #expect(s.amplitudeChange > 15, "ΔIPSC \(s.amplitudeChange)")
        #expect(s.pairedPulseRatioChange < -5, "ΔPPR \(s.pairedPulseRatioChange)")
        #expect(s.inverseCVSquaredChange > 5)
        #expect(abs(s.receptorChange) < 1e-9)
        #expect(s.locus == .presynaptic)
        // Test stimuli: 60 in the baseline, then every 10 s after induction.
        #expect(result.readouts.filter { $0.phase == .baseline }.count == 60)
        // Amplitudes are normalised so the baseline averages 100 %.
        let baseline = result.readouts.filter { $0.phase == .baseline }.map(\.normalisedAmplitude)
        #expect(abs(baseline.reduce(0, +) / Double(baseline.count) - 100) < 1e-9)
    }

    @Test func postsynapticPotentiationLeavesPPRAndCV() throws {
        let result = try withSynapse(couplePr: false) { try run($0) }
        let s = try #require(result.summary)
        #expect(s.amplitudeChange > 15)
        #expect(abs(s.pairedPulseRatioChange) < 1e-9)
        #expect(abs(s.inverseCVSquaredChange) < 1e-9)
        #expect(abs(s.amplitudeChange - s.receptorChange) < 1e-6)
        #expect(s.locus == .postsynaptic)
    }

    @Test func blockerAbolishesThePlasticity() throws {
        let result = try withSynapse(couplePr: true) { try run($0, blockers: ["no_potentiation"]) }
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 5)
        #expect(s.locus == .none)
    }

    @Test func unknownBlockerIsRefusedWithASuggestion() throws {
        let error = try withSynapse(couplePr: true) { path in
            #expect(throws: SynapseRunError.self) { try run(path, blockers: ["no_potentiaton"]) }
        }
        #expect(error.map { "\($0)" }?.contains("did you mean 'no_potentiation'?") == true)
    }

    @Test func stimulusActingOnAnUnknownSpeciesIsReportedInTheSynapseFile() throws {
        let text = Self.synapseText.replacingOccurrences(of: "increments = { Ca = \"dCa\" }", with: "increments = { Cai = \"dCa\" }")
        let error = try withSynapse(couplePr: true, synapse: text) { path in
            #expect(throws: SynapseRunError.self) { try run(path) }
        }
        guard case .diagnostics(let e)? = error, let d = e.diagnostics.first else {
            Issue.record("expected diagnostics, got \(String(describing: error))")
            return
        }
        #expect(d.message == "stimulus 'excitatory_afferent' acts on 'Cai', which the model does not define")
        #expect(d.range?.startLocation == SourceLocation(line: 12, column: 16))
        #expect(d.hints == ["did you mean 'Ca'?"])
    }
}
