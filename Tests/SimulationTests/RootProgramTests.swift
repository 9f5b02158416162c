import Testing
import Foundation
import AntimonyFrontEnd
import ModelCompiler
import Simulation
import KineticsCore
import PathwayTestSupport

/// The root functions the solver checks after every step compute only the assigned values
/// they read, not every rate and rule of the model.
@Suite struct RootProgramTests {
    /// The shipped Golgi → granule rig (voltage-dependent rate laws with switches, a spike
    /// waveform, pathways): its root functions computed alone equal, bit for bit, the same
    /// functions computed after every assigned value, at its resting state and at states
    /// moved from it by up to ±50 %.
    @Test func rootFunctionsComputedAloneMatchTheFullPass() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/golgi_granule.ant").path
        let model = try ModelCompiler.compile(try AntimonyLoader.load(path: path))
        #expect(model.rootCount > 0)
        let instance = ModelInstance(model)
        let rest = instance.initialState()
        for scale in [0.0, 0.5, -0.5] {
            var y = rest.enumerated().map { i, v in v * (1 + scale * sin(Double(i + 1))) }
            var roots = [Double](repeating: .nan, count: model.rootCount)
            y.withUnsafeMutableBufferPointer { state in
                roots.withUnsafeMutableBufferPointer { instance.evaluateRoots(time: 2.5, state: state.baseAddress!, roots: $0.baseAddress!) }
                instance.update(time: 2.5, state: state.baseAddress!)
            }
            instance.evaluateRootSwitches()
            for (k, r) in model.rootRelationals.enumerated() {
                #expect(roots[k].bitPattern == instance.switchValue(r).bitPattern, "root \(k): \(roots[k]) against \(instance.switchValue(r))")
            }
        }
    }
}
