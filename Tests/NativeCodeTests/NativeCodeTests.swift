import Foundation
import Testing
import AntimonyFrontEnd
import KineticsCore
import CVODEIntegration
@testable import ModelCompiler
@testable import NativeCode
import PathwayTestSupport
import Simulation
import SourceDiagnostics

/// The C compiler `--native-code` would use here, if any.
private let cCompiler = try? Toolchain.find().compiler

/// `--native-code` must compute exactly what the bytecode computes: these tests compare
/// the two bit for bit, operation by operation, on every shipped pathway and over whole
/// simulations. They need a C compiler (Swift's toolchain brings clang) and are skipped,
/// with a note, where there is none.
@Suite(.serialized, .enabled(if: cCompiler != nil, "no C compiler on the PATH"))
struct NativeCodeTests {
    static var compiler: String? { cCompiler }
    /// A fresh cache per test run, so every test really compiles (and the user's cache is
    /// left alone).
    static var toolchain: Toolchain {
        Toolchain(compiler: compiler!, cacheDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("kinapse-native-tests-\(getpid())"))
    }

    static func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    /// Operand values where the built-ins' edge cases live: signed zeros, infinities,
    /// NaN, integers and half-integers (the power fast paths), huge and tiny magnitudes.
    static let specialValues: [Double] = [0, -0.0, 1, -1, 2, -2, 0.5, 2.5, -3, 3, 16, 17, -16, -17, 0.7, 5, 1e300, -1e300,
                                          1e-300, .infinity, -.infinity, .nan, 1.5, 0.3]

    /// Every operation of the machine, each on seeded operand triples drawn from the
    /// special values, run by the bytecode and by the compiled C: with a few instructions
    /// per operation (one C statement each) and with many, either scattered (a loop over a
    /// table; see `ProgramCode.loopThreshold`) or with operands that advance regularly
    /// (loops over strided runs; see `ProgramCode.StridedRuns`), and many again in a
    /// program small enough to be written as straight-line code (`NativeSource.Layout`).
    @Test(arguments: [(8, false, false), (48, false, false), (48, true, false), (48, false, true)])
    func everyOperationMatchesTheBytecodeBitForBit(perOperation: Int, strided: Bool, straightLine: Bool) throws {
        #expect((perOperation >= ProgramCode.loopThreshold) == (perOperation == 48))
        let values = Self.specialValues
        var program = Program()
        var state = UInt64(12345 + perOperation)
        func pick() -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32((state >> 33) % UInt64(values.count))
        }
        var destination = Int32(values.count)
        for operation in Instruction.Operation.allCases {
            // Strided: operands step by 1, 0 and 2 slots within runs of 6 instructions.
            let base = (pick(), pick(), pick())
            for k in 0..<perOperation {
                let ins = strided
                    ? Instruction(operation: operation, destination: destination, a: (base.0 + Int32(k % 6)) % Int32(values.count),
                                  b: base.1, c: (base.2 + 2 * Int32(k % 6)) % Int32(values.count))
                    : Instruction(operation: operation, destination: destination, a: pick(), b: pick(), c: pick())
                program.instructions.append(ins)
                destination += 1
            }
        }
        let code = ProgramCode(program)
        let memory = values + [Double](repeating: -42, count: Int(destination) - values.count)
        var byBytecode = memory, byNative = memory
        byBytecode.withUnsafeMutableBufferPointer { code.run(memory: $0.baseAddress!) }
        let source = NativeSource(programs: [code], foldingConstants: [0],
                                  prefix: "operations\(perOperation)\(strided ? "strided" : "")\(straightLine ? "straight" : "")",
                                  layout: .init(straightLineLimit: straightLine ? .max : 0, partedLimit: 0, partSize: 1),
                                  constant: { _ in 0 })
        // Each program must really take the path it is meant to test.
        if straightLine { #expect(!source.text.contains("table[]") && !source.text.contains("runs[]")) }
        else if strided { #expect(source.text.contains("runs[]")) }
        else if perOperation >= ProgramCode.loopThreshold { #expect(source.text.contains("table[]")) }
        let (functions, _, _) = try NativeCode.load(source, toolchain: Self.toolchain)
        let native = ExecutableProgram(code, native: functions[0])
        byNative.withUnsafeMutableBufferPointer { native.run(memory: $0.baseAddress!) }
        var differences: [String] = []
        for (k, ins) in program.instructions.enumerated() {
            let d = Int(ins.destination)
            if !Self.same(byBytecode[d], byNative[d]) {
                differences.append("\(ins.operation)(\(values[Int(ins.a)]), \(values[Int(ins.b)]), \(values[Int(ins.c)])) #\(k): bytecode \(byBytecode[d]), native \(byNative[d])")
            }
        }
        #expect(differences.isEmpty, "\(differences.prefix(10).joined(separator: "\n"))")
    }

    /// Every shipped pathway: right-hand side, Jacobian (dense and sparse), roots, assigned
    /// values, switches and triggers, at seeded states around the initial one.
    @Test func shippedPathwaysEvaluateIdentically() throws {
        let files = TestModels.shippedPathways
        #expect(files.count > 10)
        for url in files {
            let pathway = try AntimonyLoader.load(path: url.path)
            let compiled = try ModelCompiler.compile(pathway)
            let bytecode = ModelInstance(compiled)
            let native = ModelInstance(try NativeCode.compile(compiled, toolchain: Self.toolchain).model)
            #expect(native.runsNativeCode && !bytecode.runsNativeCode)
            let y0 = bytecode.initialState()
            _ = native.initialState()
            let n = bytecode.stateCount
            var state: UInt64 = 99
            for trial in 0..<3 {
                let y = y0.map { v -> Double in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let factor = 0.5 + Double(state >> 11) / Double(1 << 53)
                    return trial == 0 ? v : (v == 0 ? factor * 1e-3 : v * factor)
                }
                let t = 0.37 * Double(trial)
                func outputs(_ model: ModelInstance) -> [Double] {
                    var rhs = [Double](repeating: 0, count: max(n, 1))
                    var dense = [Double](repeating: 0, count: max(n * n, 1))
                    var roots = [Double](repeating: 0, count: max(model.rootCount, 1))
                    y.withUnsafeBufferPointer { yp in
                        model.evaluateRHS(time: t, state: yp.baseAddress!, derivative: &rhs)
                        model.evaluateJacobian(time: t, state: yp.baseAddress!, jacobian: &dense)
                        model.evaluateRoots(time: t, state: yp.baseAddress!, roots: &roots)
                    }
                    var sparse: [Double] = []
                    if let pattern = model.jacobianSparsity {
                        sparse = [Double](repeating: 0, count: pattern.nonZeroCount)
                        y.withUnsafeBufferPointer { model.evaluateSparseJacobian(time: t, state: $0.baseAddress!, values: &sparse) }
                    }
                    y.withUnsafeBufferPointer { model.update(time: t, state: $0.baseAddress!) }
                    model.evaluateSwitches()
                    model.evaluateTriggers()
                    let named = model.symbols.values.sorted().map { model.value(ofSlot: $0) }
                    let switches = model.relationals.indices.map { model.switchValue($0) }
                    let triggers = model.events.indices.map { model.triggerValue($0) ? 1.0 : 0.0 }
                    return rhs + dense + roots + sparse + named + switches + triggers
                }
                let a = outputs(bytecode), b = outputs(native)
                let mismatches = zip(a, b).enumerated().filter { !Self.same($0.element.0, $0.element.1) }
                #expect(a.count == b.count && mismatches.isEmpty,
                        "\(url.lastPathComponent) trial \(trial): \(mismatches.count) of \(a.count) values differ, first \(mismatches.first.map { "\($0.offset): \($0.element)" } ?? "-")")
            }
        }
    }

    /// How a batch splits into strided runs: interleaved motifs are untangled, every
    /// instruction lands in exactly one run or in the rest, and short runs stay in the rest.
    @Test func stridedRunsCoverInterleavedMotifs() {
        typealias Operands = ProgramCode.Operands
        // Two motifs interleaved (as compartments' reactions are), 10 each, then 3 strays.
        var rows: [Operands] = []
        for i in Int32(0)..<10 {
            rows.append(Operands(destination: 1000 + 3 * i, a: 10 + 11 * i, b: 7, c: 0))
            rows.append(Operands(destination: 2000 + i, a: 12 + 11 * i, b: 500 - 2 * i, c: 0))
        }
        rows += [Operands(destination: 5, a: 1, b: 2, c: 0), Operands(destination: 9, a: 4, b: 1, c: 0),
                 Operands(destination: 3, a: 8, b: 8, c: 0)]
        let split = ProgramCode.StridedRuns(rows, reads: 2)
        #expect(split.runs.count == 2)
        #expect(split.runs.map(\.count) == [10, 10])
        #expect(split.runs.first?.stride == SIMD4(3, 11, 0, 0))
        #expect(split.runs.last?.stride == SIMD4(1, 11, -2, 0))
        #expect(split.rest.count == 3)
        let covered = split.runs.flatMap { run in (0..<run.count).map { run.first[0] + Int32($0) * run.stride[0] } }
        #expect(Set(covered + split.rest.map(\.destination)) == Set(rows.map(\.destination)))
    }

    /// How `repeatedCompartmentsEvaluateIdentically` lays its programs out.
    enum LayoutUnderTest: CaseIterable {
        /// Long batches as loops (strided runs and tables).
        case loops
        /// Every program one straight-line function.
        case straightLine
        /// The right-hand side straight-line in parts of 100 instructions, the rest loops.
        case parted

        var layout: NativeSource.Layout {
            switch self {
            case .loops: .init(straightLineLimit: 0, partedLimit: 0, partSize: 1)
            case .straightLine: .init(straightLineLimit: .max, partedLimit: 0, partSize: 1)
            case .parted: .init(straightLineLimit: 0, partedLimit: .max, partSize: 100)
            }
        }
    }

    /// A model of repeated compartments, the shape strided runs, renamed assigned values
    /// and copy loops are for: right-hand side and Jacobian identical to the bytecode, bit
    /// for bit, in every layout.
    @Test(arguments: LayoutUnderTest.allCases)
    func repeatedCompartmentsEvaluateIdentically(layout: LayoutUnderTest) throws {
        var text = "model chain()\n"
        let n = 40
        for i in 0..<n {
            text += "  compartment c\(i) = 1 + \(i) / 100;\n  species A\(i) in c\(i), B\(i) in c\(i), C\(i) in c\(i);\n"
            text += "  R\(i): A\(i) + B\(i) -> C\(i); kf*A\(i)*B\(i) - kb*C\(i);\n"
            text += "  S\(i): C\(i) -> ; V*C\(i)/(Km + C\(i));\n  P\(i): -> B\(i); kp*A\(i)^2/(K2 + A\(i)^2);\n"
            text += "  A\(i) = \(1 + Double(i) / 7); B\(i) = 0.5; C\(i) = 0;\n"
            if i > 0 { text += "  D\(i): A\(i - 1) -> A\(i); D*(A\(i - 1) - A\(i));\n" }
        }
        text += "  kf = 2; kb = 0.1; V = 1.5; Km = 0.3; kp = 0.2; K2 = 0.5; D = 0.7;\nend\n"
        let pathway = try AntimonyLoader.load(source: SourceFile(path: "chain.ant", text: text))
        let compiled = try ModelCompiler.compile(pathway)
        let source = compiled.nativeSource(layout: layout.layout).text
        // The 120 states (slots two apart) are copied into memory by one loop.
        #expect(source.contains("for (int k = 0; k < 120; k++) m["))
        switch layout {
        case .loops: #expect(source.contains("runs[]"))
        case .straightLine: #expect(!source.contains("runs[]") && !source.contains("table[]"))
        case .parted:
            // The right-hand side in several parts; the Jacobian still has loops.
            #expect(source.contains("kinapse_model_rhs_part2(m);") && source.contains("runs[]"))
        }
        let bytecode = ModelInstance(compiled)
        let native = ModelInstance(try NativeCode.compile(compiled, toolchain: Self.toolchain, layout: layout.layout).model)
        let y = bytecode.initialState().enumerated().map { $0.element + 0.01 * Double($0.offset % 5) }
        _ = native.initialState()
        func outputs(_ model: ModelInstance) -> [Double] {
            let count = model.stateCount
            var rhs = [Double](repeating: 0, count: count), dense = [Double](repeating: 0, count: count * count)
            y.withUnsafeBufferPointer {
                model.evaluateRHS(time: 0.5, state: $0.baseAddress!, derivative: &rhs)
                model.evaluateJacobian(time: 0.5, state: $0.baseAddress!, jacobian: &dense)
            }
            return rhs + dense
        }
        let a = outputs(bytecode), b = outputs(native)
        #expect(a.contains { $0 != 0 })
        #expect(a.count == b.count && zip(a, b).allSatisfy { Self.same($0, $1) })
    }

    /// A whole simulation with 120 stimulus events: the same trajectory, bit for bit, and
    /// the same solver work.
    @Test func simulationIsBitIdentical() throws {
        let url = TestModels.repositoryRoot.appendingPathComponent("Benchmarks/models/tbs_no_cgmp.ant")
        let pathway = try AntimonyLoader.load(path: url.path)
        let request = SimulationRequest(grid: TimeGrid(end: 600, count: 601), columns: nil, overrides: [],
                                        options: IntegratorOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-12))
        let bytecode = try Simulator(model: ModelCompiler.compile(pathway)).run(request)
        let model = try NativeCode.compile(ModelCompiler.compile(pathway), toolchain: Self.toolchain).model
        let native = try Simulator(model: model).run(request)
        #expect(bytecode.trajectory.values.count == native.trajectory.values.count)
        #expect(zip(bytecode.trajectory.values, native.trajectory.values).allSatisfy { Self.same($0, $1) })
        #expect(bytecode.statistics == native.statistics)
        #expect(bytecode.statistics.reinitialisations >= 120)
    }

    /// The sensitivity programs as native code give the same `ṡ`.
    @Test func sensitivityProgramsMatch() throws {
        let url = TestModels.repositoryRoot.appendingPathComponent("Benchmarks/models/tbs_no_cgmp.ant")
        let pathway = try AntimonyLoader.load(path: url.path)
        func derivatives(native: Bool) throws -> [Double] {
            let compiled = try ModelCompiler.compile(pathway)
            let parameters = compiled.symbolKinds.filter { $0.value == .parameter }.map(\.key).sorted()
            let differentiated = try compiled.differentiated(with: parameters)
            let system = ModelInstance(native ? try NativeCode.compile(differentiated, toolchain: Self.toolchain).model : differentiated)
            let model = system
            let y = model.initialState().map { $0 + 0.01 }
            let n = model.stateCount, np = parameters.count
            var s = (0..<(n * np)).map { Double($0 % 7) * 0.1 - 0.2 }
            var out = [Double](repeating: 0, count: n * np)
            s.withUnsafeMutableBufferPointer { sp in
                out.withUnsafeMutableBufferPointer { op in
                    let sPointers = (0..<np).map { sp.baseAddress! + $0 * n }
                    let oPointers = (0..<np).map { op.baseAddress! + $0 * n }
                    y.withUnsafeBufferPointer { yp in
                        system.evaluateSensitivityRHS(time: 1.5, state: yp.baseAddress!, sensitivities: sPointers, derivatives: oPointers)
                    }
                }
            }
            #expect(np > 5)
            return out
        }
        let a = try derivatives(native: false), b = try derivatives(native: true)
        #expect(zip(a, b).allSatisfy { Self.same($0, $1) })
    }

    /// Installing again finds the library in the cache; a damaged cached library is rebuilt.
    @Test func cachedLibrariesAreReusedAndDamagedOnesRebuilt() throws {
        let text = "model m\n  x' = -k*x + sin(x)\n  x = 1; k = 0.3\nend\n"
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-native-cache-\(getpid())")
        defer { try? FileManager.default.removeItem(at: cache) }
        let toolchain = Toolchain(compiler: Self.toolchain.compiler, cacheDirectory: cache)
        let first = try NativeCode.compile(TestModels.compile(text), toolchain: toolchain).outcome
        guard case .compiled = first else { Issue.record("first install should compile, got \(first)"); return }
        #expect(try NativeCode.compile(TestModels.compile(text), toolchain: toolchain).outcome == .cached)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(entries.count == 1 && entries[0].hasSuffix(".so"), "only the library is left behind, no build files: \(entries)")
        // Parameters are read from memory, so new parameter values reuse the library (a fit
        // compiles once); a changed equation is a new library.
        let newValue = text.replacingOccurrences(of: "0.3", with: "0.4")
        #expect(try NativeCode.compile(TestModels.compile(newValue), toolchain: toolchain).outcome == .cached)
        let newEquation = text.replacingOccurrences(of: "sin", with: "cos")
        guard case .compiled = try NativeCode.compile(TestModels.compile(newEquation), toolchain: toolchain).outcome else {
            Issue.record("a changed equation must not reuse the cached library"); return
        }
        // A damaged library in the cache (truncated by a full disk, say) is rebuilt. A
        // model not loaded before in this process, because dlopen caches by path.
        let third = text.replacingOccurrences(of: "sin", with: "tan")
        let damaged = cache.appendingPathComponent(NativeCode.cacheKey(try TestModels.compile(third).nativeSource(), toolchain) + ".so")
        try Data("not a library".utf8).write(to: damaged)
        let (model, outcome) = try NativeCode.compile(TestModels.compile(third), toolchain: toolchain)
        guard case .compiled = outcome else {
            Issue.record("a damaged cached library must be rebuilt"); return
        }
        #expect(model.runsNativeCode)
    }

    /// Without a usable compiler: a clear error naming what was tried.
    @Test func missingCompilerIsAClearError() {
        #expect {
            _ = try Toolchain.find(environment: ["KINAPSE_CC": "/nonexistent/cc", "PATH": "/usr/bin"])
        } throws: { error in
            "\(error)".contains("KINAPSE_CC names /nonexistent/cc")
        }
        #expect {
            _ = try Toolchain.find(environment: ["PATH": "/nonexistent"])
        } throws: { error in
            "\(error)".contains("none of clang, cc or gcc")
        }
        let failing = Toolchain(compiler: "/bin/false", cacheDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("kinapse-native-false-\(getpid())"))
        #expect {
            try NativeCode.compile(TestModels.compile("model m\n  x' = -x\n  x = 1\nend\n"), toolchain: failing)
        } throws: { error in
            "\(error)".contains("the C compiler /bin/false failed")
        }
    }
}
