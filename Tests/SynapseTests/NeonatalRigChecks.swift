import Testing
import SynapseSimulation

/// Checks shared by the rig suites of the neonatal hippocampal synapses (`hippocampal_bdnf`,
/// `neonatal_ca3`): the test IPSC of an immature pyramidal cell held at −70 mV.
enum NeonatalRigChecks {
    /// The baseline of a rest run: an inward IPSC in pA with at least 20 mV of driving force from a
    /// depolarising E_GABA (above the cell's resting potential, as in neonatal cells), reported.
    static func expectImmatureIPSC(_ s: PlasticitySummary) throws {
        #expect(s.amplitudeUnit == "pA")
        let eGABA = try #require(s.baseline.eGABA), vm = try #require(s.baseline.membranePotential)
        #expect(abs(vm - eGABA) >= 20, "driving force \(vm - eGABA) mV")
        #expect(eGABA > -55 && eGABA < -35, "E_GABA \(eGABA) mV")
        #expect(s.baseline.amplitude < -30, "IPSC \(s.baseline.amplitude) pA")
    }
}
