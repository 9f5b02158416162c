import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// Row 7 on the rig (Pathways/synapses/prefrontal_sst): an SST-interneuron terminal onto the
/// regular-spiking pyramidal cell of Pospischil et al. 2008 standing for a layer-2/3 cell of the
/// medial prefrontal cortex, in whole-cell voltage clamp at −85 mV with a 20 mM Cl⁻ pipette.
/// Chiu et al. 2018 (Neuron 97:368, abstract) report that NMDA-receptor activation potentiates the
/// dendritic inhibition of SST interneurons postsynaptically, through CaMKIIα. Bath NMDA
/// (`chiu_nmda_bath`, 20 µM for 2 min with the compartment free) opens the cell's NMDA receptors;
/// CaMKII bound at them reads their nanodomain through calmodulin and inserts GABA-A receptors
/// (the route of amygdala_la). Units as in the files: s, mV, pA, µM.
///
/// Test stimuli are thinned to one pair every 300 s, as in CorticalRigTests, which also checks this
/// synapse's rest under each blocker and its weak inhibitory stimuli; the table test
/// (PlasticityTableTests) runs the full protocol with and without the CaMKIIα loss, so this suite runs the
/// induction once (sampled, to see CaMKII) and once with APV.
@Suite struct PrefrontalRigTests {
    static let synapseName = "prefrontal_sst"

    /// Row 7 (Chiu et al. 2018; the induction assumed, see chiu_nmda_bath.toml): 2 min of 20 µM NMDA
    /// with the compartment free depolarise it from −66.9 to about −59.8 mV, where 8 % of the open
    /// receptors are unblocked; calmodulin in their nanodomain loads and the CaMKII/PP1 switch there
    /// goes UP (held), the autonomous kinase inserts receptors and raises the IPSC postsynaptically
    /// (full run +70.1 %, N +71.2 %, PPR and Pr unchanged), and APV (here, +0.0 %) and the CaMKIIα
    /// loss (the table test, −0.0 %) leave < 5 %.
    @Test func nmdaBathPotentiatesThroughCaMKIIAtTheNMDAReceptors() throws {
        _ = try CorticalRigTests.potentiationThroughTheNMDAReceptorDomain(Self.synapseName, "chiu_nmda_bath", atLeast: 15)
        let bath = CerebellarRigTests.thinned(try CerebellarRigTests.protocolFile("chiu_nmda_bath"))
        let blocked = try #require(try CerebellarRigTests.run(Self.synapseName, bath, blockers: ["APV"]).summary)
        #expect(abs(blocked.amplitudeChange) < 0.5, "with APV ΔIPSC \(blocked.amplitudeChange) %")
    }
}
