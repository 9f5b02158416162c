import Foundation
import Testing
import AntimonyFrontEnd
@testable import ModelCompiler
import NativeCode
import PathwayTestSupport

/// The C compiler `--native-code` would use here, if any.
private let cCompiler = try? Toolchain.find().compiler

/// Output between a run's time-course rows computes only the assigned values its sampled
/// columns read (`CompiledModel.partialUpdate`): those values must have exactly the bits the
/// whole update gives them, as bytecode and as native code (the part always runs as bytecode).
@Suite(.serialized, .enabled(if: cCompiler != nil, "no C compiler on the PATH"))
struct PartialUpdateTests {
    /// The shipped Golgi → granule rig, at its resting state and at states moved from it by up
    /// to ±50 %: for single assigned values spread through its dependency order, and for all of
    /// them at once, the part computes each to the bits of the whole update (bytecode and
    /// native), with fewer instructions than the whole for a single value; a state alone
    /// needs no instruction.
    @Test func partComputesTheBitsOfTheWholeUpdate() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/golgi_granule.ant").path
        let bytecode = try ModelCompiler.compile(try AntimonyLoader.load(path: path))
        let toolchain = Toolchain(compiler: cCompiler!, cacheDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("kinapse-partial-update-tests-\(getpid())"))
        let native = try NativeCode.compile(bytecode, toolchain: toolchain).model
        #expect(native.runsNativeCode)
        let assigned = bytecode.assignedValues.map(\.slot)
        let whole = bytecode.code.assignProgram.count
        var choices = stride(from: assigned.count - 1, through: 0, by: -max(1, assigned.count / 6)).map { [assigned[$0]] }
        choices.append(assigned)
        #expect(choices.count >= 6)
        for slots in choices {
            let part = bytecode.partialUpdate(computing: slots)
            if slots.count == 1 { #expect(part.instructionCount < whole, "\(part.instructionCount) of \(whole) instructions") }
            for model in [bytecode, native] {
                let full = ModelInstance(model), partial = ModelInstance(model)
                let rest = full.initialState()
                _ = partial.initialState()
                for scale in [0.0, 0.5, -0.5] {
                    let y = rest.enumerated().map { i, v in v * (1 + scale * sin(Double(i + 1))) }
                    full.update(time: 2.5, state: y)
                    partial.update(time: 2.5, state: y, computing: part)
                    for slot in slots {
                        #expect(full.value(ofSlot: slot).bitPattern == partial.value(ofSlot: slot).bitPattern,
                                "\(bytecode.slotNames[slot] ?? "slot \(slot)"): \(partial.value(ofSlot: slot)) against \(full.value(ofSlot: slot))")
                    }
                }
            }
        }
        #expect(bytecode.partialUpdate(computing: [bytecode.states[0].slot]).instructionCount == 0)
    }
}
