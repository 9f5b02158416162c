import Testing
import Foundation

/// `kinapse sensitivity`: what it refuses, before any run (the ranking itself is checked
/// against finite differences in SynapseTests/AmplitudeChangeSensitivityTests).
@Suite struct SensitivityCommandTests {
    @Test func biophysicalSynapseIsRefusedWithTheReason() throws {
        let r = try CLI.run(["sensitivity", "entorhinal_stellate_rig", "--protocol", "pairing"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is biophysical: its IPSC is read from the simulated recording, which has no forward sensitivities"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownParameterIsNamedWithANeighbour() throws {
        let r = try CLI.run(["sensitivity", "cortical_camkii", "--protocol", "depolarisation", "--parameters", "Ca_depoll"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot differentiate with respect to 'Ca_depoll'") && r.stderr.contains("did you mean 'Ca_depol'?"), "\(r.stderr)")
    }
}
