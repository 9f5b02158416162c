import Testing
import Foundation

/// The Ca²⁺ sensor of the KCC2 regulation of Pathways/cells/kcc2_regulation.ant (the ionic
/// plasticity of Woodin, Ganguly & Poo 2003, Neuron 39:807, whose pairing experiment
/// Tests/SynapseTests/IonicPlasticityTests.swift runs on the rig synapse cortical_pyramidal).
/// Units as in the file: mV, pA, µM Ca²⁺ and BAPTA, nm, µm²/s.
@Suite struct Kcc2RegulationTests {
    /// The enzyme's sensor sees the steady single-channel nanodomain C(r) = i/(8πFDr)·exp(−r/λ),
    /// λ = √(D/(k_on·B + k_B,endo)) (Neher 1986; Naraghi & Neher 1997), with the file's constants:
    /// one open channel at 0 mV (i = 0.85 pS × −130 mV) gives 3.7 µM at 50 nm; 1 mM free BAPTA
    /// (λ = 23 nm) cuts it 7.6-fold and the cooperative (n = 4) sensor's activation over 1000-fold.
    /// File and test evaluate the same closed form, so they agree to rounding (1e-12 relative).
    @Test func sensorSeesTheSingleChannelNanodomain() throws {
        let regulation = try Probe(file: "kcc2_regulation.ant")
        func domain(bapta: Double) -> Double {
            let i = 0.00085 * (0 - 130.0)
            return -i * 1e12 / (8 * Double.pi * 96485.33212 * 220 * 50) * exp(-50.0 / 1000 * ((400 * bapta + 1000) / 220).squareRoot())
        }
        let free = try regulation.values(["k_Ca_s", "k_hill"], overrides: [("V", 0), ("B_free", 0)])
        let buffered = try regulation.values(["k_Ca_s", "k_hill"], overrides: [("V", 0), ("B_free", 1000)])
        #expect(abs(free[0] - domain(bapta: 0)) <= 1e-12 * domain(bapta: 0), "C(50 nm) \(free[0]) uM")
        #expect(abs(buffered[0] - domain(bapta: 1000)) <= 1e-12 * domain(bapta: 1000), "C(50 nm), 1 mM BAPTA \(buffered[0]) uM")
        #expect(free[0] > 3.5 && free[0] < 4)
        #expect(buffered[1] < 1e-3 * free[1], "sensor activation \(free[1]) -> \(buffered[1]) with BAPTA")
    }
}
