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
    /// moved from it by up to ±50 %. A switch on plain values alone (the terminal's stimulus
    /// current against its spike threshold) can only change at an event, so the solver does
    /// not watch it: its root function is the constant 1.
    @Test func rootFunctionsComputedAloneMatchTheFullPass() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/golgi_granule.ant").path
        let model = try ModelCompiler.compile(try AntimonyLoader.load(path: path))
        #expect(model.rootCount > 0)
        let instance = ModelInstance(model)
        let rest = instance.initialState()
        // Time, the states and what is computed from them: the values that move between events.
        let moving = Set([0] + model.states.map(\.slot) + model.assignedValues.map(\.slot))
        for scale in [0.0, 0.5, -0.5] {
            var y = rest.enumerated().map { i, v in v * (1 + scale * sin(Double(i + 1))) }
            var roots = [Double](repeating: .nan, count: model.rootCount)
            y.withUnsafeMutableBufferPointer { state in
                roots.withUnsafeMutableBufferPointer { instance.evaluateRoots(time: 2.5, state: state.baseAddress!, roots: $0.baseAddress!) }
                instance.update(time: 2.5, state: state.baseAddress!)
            }
            instance.evaluateRootSwitches()
            var unwatched = 0
            for (k, r) in model.rootRelationals.enumerated() {
                if model.relationals[r].function.slots.isDisjoint(with: moving) {
                    #expect(roots[k] == 1, "root \(k) of plain values: \(roots[k])")
                    unwatched += 1
                } else {
                    #expect(roots[k].bitPattern == instance.switchValue(r).bitPattern, "root \(k): \(roots[k]) against \(instance.switchValue(r))")
                }
            }
            #expect(unwatched > 0 && unwatched < model.rootCount)
        }
    }
}
