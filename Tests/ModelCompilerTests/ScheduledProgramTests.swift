import Testing
import AntimonyFrontEnd
@testable import ModelCompiler
import PathwayTestSupport

/// The batched machine (`ProgramCode`) reorders instructions; these tests check that it
/// computes exactly what running the instructions in program order computes.
@Suite struct ScheduledProgramTests {
    /// Seeded values in [0.5, 2.5), so failures reproduce.
    static func randomValues(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 0.5 + 2 * Double(state >> 11) / Double(1 << 53)
        }
    }

    static func instruction(_ op: Instruction.Operation, _ d: Int32, _ a: Int32, _ b: Int32 = 0, _ c: Int32 = 0) -> Instruction {
        Instruction(operation: op, destination: d, a: a, b: b, c: c)
    }

    /// Runs `program` scheduled and in program order over the same memory; returns both.
    static func runBothWays(_ program: Program, memory: [Double]) -> (scheduled: [Double], inOrder: [Double]) {
        func run(_ code: ProgramCode) -> [Double] {
            var m = memory
            m.withUnsafeMutableBufferPointer { code.run(memory: $0.baseAddress!) }
            return m
        }
        return (run(ProgramCode(program)), run(ProgramCode(program, scheduled: false)))
    }

    /// A program that reads a slot and then overwrites it, writes one slot twice and
    /// reads a slot it writes: every kind of ordering constraint between instructions.
    @Test func reorderingKeepsEveryDependency() {
        var program = Program()
        program.instructions = [
            Self.instruction(.add, 5, 1, 2),        // m5 = m1 + m2
            Self.instruction(.multiply, 6, 5, 3),   // reads m5 (written above)
            Self.instruction(.subtract, 1, 4, 2),   // overwrites m1, read by the first
            Self.instruction(.divide, 5, 1, 4),     // writes m5 again; reads the new m1
            Self.instruction(.add, 7, 5, 6),        // the second m5, and m6
            Self.instruction(.multiply, 8, 8, 3),   // reads and writes the same slot
            Self.instruction(.select, 9, 7, 8, 2),
            Self.instruction(.exp, 10, 3),          // independent of all the above
            Self.instruction(.max, 11, 10, 9),
        ]
        for seed in 1...5 {
            let memory = Self.randomValues(12, seed: UInt64(seed))
            let (scheduled, inOrder) = Self.runBothWays(program, memory: memory)
            #expect(scheduled.map(\.bitPattern) == inOrder.map(\.bitPattern))
        }
    }

    /// Independent instructions of one operation form one batch, whatever their order.
    @Test func independentInstructionsShareABatch() {
        var program = Program()
        for k in 0..<10 {
            program.instructions.append(Self.instruction(k.isMultiple(of: 2) ? .multiply : .add, Int32(20 + k), Int32(k), Int32(k + 1)))
        }
        let code = ProgramCode(program)
        #expect(code.count == 10)
        #expect(code.batchCount == 2)
        let (scheduled, inOrder) = Self.runBothWays(program, memory: Self.randomValues(30, seed: 7))
        #expect(scheduled.map(\.bitPattern) == inOrder.map(\.bitPattern))
    }

    /// Temporaries are renamed to reuse slots, but named values (below `first`) and
    /// outputs end with exactly the values running in program order gives them.
    @Test func reusedTemporariesKeepNamedValuesAndOutputs() {
        // Named slots 1...6; temporaries from 10: t10 = m1*m2, t11 = t10+m3, t12 = t11*m4,
        // t13 = t12-m5, t14 = m1/m6, t15 = t14*t13 (an output), m6 = t15 + t11 (named).
        var program = Program()
        program.instructions = [
            Self.instruction(.multiply, 10, 1, 2),
            Self.instruction(.add, 11, 10, 3),
            Self.instruction(.multiply, 12, 11, 4),
            Self.instruction(.subtract, 13, 12, 5),
            Self.instruction(.divide, 14, 1, 6),
            Self.instruction(.multiply, 15, 14, 13),
            Self.instruction(.add, 6, 15, 11),
            Self.instruction(.exp, 16, 6),
            Self.instruction(.add, 5, 16, 12),
        ]
        let reused = ProgramCode(program, temporaries: .init(first: 10, outputs: [15]))
        let inOrder = ProgramCode(program, scheduled: false)
        // Fewer distinct temporaries than instructions writing them (7), and 15 kept.
        let temporariesWritten = reused.writtenSlots.filter { $0 >= 10 }
        #expect(temporariesWritten.count < 7)
        #expect(temporariesWritten.contains(15))
        #expect(reused.writtenSlots.allSatisfy { $0 <= 16 })
        for seed in 1...5 {
            let memory = Self.randomValues(17, seed: UInt64(seed))
            var a = memory, b = memory
            a.withUnsafeMutableBufferPointer { reused.run(memory: $0.baseAddress!) }
            b.withUnsafeMutableBufferPointer { inOrder.run(memory: $0.baseAddress!) }
            for s in [1, 2, 3, 4, 5, 6, 15] { #expect(a[s].bitPattern == b[s].bitPattern, "slot \(s)") }
        }
    }

    /// Every pair of arithmetic operations, with the temporary on either side of the
    /// second, fuses into one instruction that computes the same bits.
    @Test func fusedPairsComputeWhatTheirPartsCompute() {
        let arithmetic: [Instruction.Operation] = [.add, .subtract, .multiply, .divide]
        for inner in arithmetic {
            for outer in arithmetic {
                for temporaryFirst in [true, false] {
                    var program = Program()
                    program.instructions = [
                        Self.instruction(inner, 10, 1, 2),
                        temporaryFirst ? Self.instruction(outer, 5, 10, 3) : Self.instruction(outer, 5, 3, 10),
                    ]
                    let fused = ProgramCode(program, temporaries: .init(first: 10, outputs: []))
                    let inOrder = ProgramCode(program, scheduled: false)
                    #expect(fused.count == 1, "\(inner) then \(outer)")
                    for seed in 1...3 {
                        var a = Self.randomValues(11, seed: UInt64(seed)), b = a
                        a.withUnsafeMutableBufferPointer { fused.run(memory: $0.baseAddress!) }
                        b.withUnsafeMutableBufferPointer { inOrder.run(memory: $0.baseAddress!) }
                        #expect(a[5].bitPattern == b[5].bitPattern, "\(inner) then \(outer), temporary first: \(temporaryFirst)")
                    }
                }
            }
        }
    }

    /// No fusion where it would change what is read: an operand overwritten in between,
    /// a temporary read twice, or one the model reads after the run.
    @Test func fusionKeepsWhatIsRead() {
        func fusedCount(_ instructions: [Instruction], outputs: Set<Int> = []) -> Int {
            var program = Program()
            program.instructions = instructions
            let code = ProgramCode(program, temporaries: .init(first: 10, outputs: outputs))
            let inOrder = ProgramCode(program, scheduled: false)
            var a = Self.randomValues(12, seed: 3), b = a
            a.withUnsafeMutableBufferPointer { code.run(memory: $0.baseAddress!) }
            b.withUnsafeMutableBufferPointer { inOrder.run(memory: $0.baseAddress!) }
            #expect(a[0..<10].map(\.bitPattern) == b[0..<10].map(\.bitPattern))
            return code.count
        }
        // m1 changes between the product and its use.
        #expect(fusedCount([Self.instruction(.multiply, 10, 1, 2), Self.instruction(.add, 1, 3, 4),
                            Self.instruction(.add, 5, 10, 3)]) == 3)
        // The product is read twice.
        #expect(fusedCount([Self.instruction(.multiply, 10, 1, 2), Self.instruction(.add, 5, 10, 3),
                            Self.instruction(.add, 6, 10, 4)]) == 3)
        // The product is an output.
        #expect(fusedCount([Self.instruction(.multiply, 10, 1, 2), Self.instruction(.add, 5, 10, 3)], outputs: [10]) == 2)
        // Control: fused when none of these holds.
        #expect(fusedCount([Self.instruction(.multiply, 10, 1, 2), Self.instruction(.add, 5, 10, 3)]) == 1)
    }

    /// Every shipped pathway: right-hand side and Jacobian from the batched programs equal,
    /// bit for bit, the reference tree-walker's values of the symbolic expressions, at
    /// random states (equal bits: the same operations on the same operands).
    @Test func shippedPathwaysMatchTheTreeWalker() throws {
        let files = TestModels.shippedPathways
        #expect(!files.isEmpty)
        for url in files {
            let model = ModelInstance(try ModelCompiler.compile(AntimonyLoader.load(path: url.path)))
            _ = model.initialState()
            let n = model.stateCount
            for seed in 1...3 {
                let y = Self.randomValues(n, seed: UInt64(seed))
                var rhs = [Double](repeating: 0, count: n)
                y.withUnsafeBufferPointer { s in
                    rhs.withUnsafeMutableBufferPointer { model.evaluateRHS(time: 0.7, state: s.baseAddress!, derivative: $0.baseAddress!) }
                }
                var jacobian = [Double](repeating: 0, count: n * n)
                y.withUnsafeBufferPointer { s in
                    jacobian.withUnsafeMutableBufferPointer { model.evaluateJacobian(time: 0.7, state: s.baseAddress!, jacobian: $0.baseAddress!) }
                }
                y.withUnsafeBufferPointer { model.update(time: 0.7, state: $0.baseAddress!) }
                var mismatches: [String] = []
                for (i, e) in model.derivativeExpressions.enumerated() where !Self.same(model.evaluate(e), rhs[i]) {
                    mismatches.append("d\(model.states[i].name)/dt")
                }
                for (slot, e) in model.jacobianIntermediates { model.setValue(model.evaluate(e), slot: slot) }
                for (i, j, e) in model.jacobianExpressions where !Self.same(model.evaluate(e), jacobian[i + j * n]) {
                    mismatches.append("J[\(i),\(j)]")
                }
                #expect(mismatches.isEmpty, "\(url.lastPathComponent): \(mismatches.prefix(5))")
            }
        }
    }

    static func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
}
