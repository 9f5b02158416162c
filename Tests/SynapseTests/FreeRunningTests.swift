import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// Rest with the cell left to itself (`Pathways/protocols/free_running.toml`): after the 10-min
/// baseline the rig switches to current clamp with no injected current for 30 min, the test pairs
/// continuing, and back in voltage clamp the IPSC must be within the 2 % that rest.toml allows, read
/// 1-2 min after the switch (a lasting change, not the firing's own retrograde tone, which passes
/// within a minute). Cells that fire on their own in a slice (deep nuclear and Purkinje cells, VTA
/// dopamine neurons) fire like this for hours and keep their IPSCs, so a rig whose Ca²⁺ decoders
/// erode or grow its synapse at the cell's own activity has no resting state at that activity. The
/// cell runs as it does in the slice: a rig's Cs⁺/QX-314 pipette, which silences the cell and in
/// current clamp holds it at a depolarised plateau, is taken out.
@Suite struct FreeRunningTests {
    static let root = TestModels.repositoryRoot

    /// Every shipped synapse with a recording rig.
    static let rigs: [String] = {
        let dir = root.appendingPathComponent("Pathways/synapses")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
    }()

    /// The rigs measured to move (Benchmarks/RESULTS.md, "Free running"), with why.
    static let knownDrift: [String: String] = [
        "dcn_neuron": "through calmodulin.ant's decoder calcineurin stays near rest during the 14.6-Hz firing, but gabaa_trafficking.ant's S327 terms (assumed rates) still take receptors: -4.6 % at 1-2 min, -8.7 % at the first pair (Benchmarks/RESULTS.md, \"The DCN decoder\")",
        "purkinje_rp": "the cell's 27-Hz firing holds the shell at 0.59 uM: CaMKII saturates and the presynaptic NMDA step follows (+153 %); the soma's measured buffering in the 0.1-um shell is the suspect, but the soma's volume leaves no Ca2+ for rebound potentiation (Benchmarks/RESULTS.md, H2 of session 27)",
    ]

    @Test(arguments: rigs)
    func theSynapseKeepsItsIPSCWhileTheCellRunsFree(_ name: String) throws {
        var synapse = try SynapseReader.read(path: Self.root.appendingPathComponent("Pathways/synapses/\(name).toml").path)
        guard synapse.recording != nil else { return }
        synapse.recording?.csQX314 = false
        let check = {
            #expect(synapse.stimuli["current_clamp"] != nil, "\(name) has no current_clamp stimulus: free_running.toml cannot release its cell")
            guard synapse.stimuli["current_clamp"] != nil else { return }
            let proto = try BiophysicalSynapseTests.protocolFile("free_running")
            let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto).readoutsOnly)
            #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
            let s = try #require(result.summary)
            #expect(abs(s.amplitudeChange) < 2, "\(name) 1-2 min after 30 min free: ΔIPSC \(s.amplitudeChange) %")
        }
        if let reason = Self.knownDrift[name] {
            try withKnownIssue(Comment(rawValue: reason)) { try check() }
        } else {
            try check()
        }
    }
}
