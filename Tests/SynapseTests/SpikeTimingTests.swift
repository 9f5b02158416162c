import Testing
import Foundation
import CVODEIntegration
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The spike-timing window of the lumped entorhinal stellate model (an engine-test fixture,
/// Fixtures/lumped; the rig synapse entorhinal_stellate_rig carries the science) has the reported shape
/// (Haas, Nowotny & Abarbanel 2006): potentiation when the GABAergic input precedes the
/// postsynaptic spike, depression when the spike comes first, within about ±20 ms, and
/// nothing at long intervals.
@Suite struct SpikeTimingTests {
    @Test func entorhinalWindowIsAsymmetric() throws {
        let root = TestModels.repositoryRoot
        let synapse = try SynapseReader.read(path: root.appendingPathComponent("Fixtures/lumped/synapses/entorhinal_stellate.toml").path)
        let base = try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/pairing.toml").path)
        let deltas = [-0.08, -0.02, -0.01, 0.01, 0.02, 0.08]
        let request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: base)
        let points = try SpikeTimingSweep.run(request, deltas: deltas, pairs: 60, rate: 1, jobs: 2)
        let change = Dictionary(uniqueKeysWithValues: points.map { ($0.deltaT, $0.summary!.amplitudeChange) })
        #expect(change[-0.01]! <= -15, "post 10 ms before pre: \(change[-0.01]!) %")
        #expect(change[-0.02]! < -5, "post 20 ms before pre: \(change[-0.02]!) %")
        #expect(change[0.01]! >= 15, "pre 10 ms before post: \(change[0.01]!) %")
        #expect(change[0.02]! > 5, "pre 20 ms before post: \(change[0.02]!) %")
        #expect(abs(change[-0.08]!) < 5 && abs(change[0.08]!) < 5, "long intervals: \(change[-0.08]!), \(change[0.08]!) %")
        // Results come back in the order asked, whatever the thread count.
        #expect(points.map(\.deltaT) == deltas)
    }

    @Test func sweepRangesParse() {
        #expect(SpikeTimingSweep.parseRange("-100:100:5")?.count == 41)
        #expect(SpikeTimingSweep.parseRange("-100:100:5")?.first == -100)
        #expect(SpikeTimingSweep.parseRange("-100:100:5")?.last == 100)
        #expect(SpikeTimingSweep.parseRange("10:0:5") == nil)
        #expect(SpikeTimingSweep.parseRange("0:10:0") == nil)
        #expect(SpikeTimingSweep.parseRange("a:b:c") == nil)
    }
}
