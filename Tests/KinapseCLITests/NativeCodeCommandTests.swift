import Testing
import Foundation

/// `kinapse simulate --native-code`, as a user runs it (skipped without a C compiler).
@Suite(.enabled(if: ["clang", "cc", "gcc"].contains { name in
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}, "no C compiler on the PATH"))
struct NativeCodeCommandTests {
    static let cache = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-cli-native-\(getpid())").path

    /// The same CSV, byte for byte, and `--stats` says which evaluator ran.
    @Test func nativeCodeWritesTheSameResults() throws {
        let arguments = ["simulate", "Benchmarks/models/tbs_no_cgmp.ant", "--t-end", "60", "--points", "61"]
        let bytecode = try CLI.run(arguments + ["--stats"])
        let native = try CLI.run(arguments + ["--native-code", "--stats"], environment: ["KINAPSE_CACHE": Self.cache])
        #expect(bytecode.status == 0 && native.status == 0, "\(native.stderr)")
        #expect(native.stdout == bytecode.stdout)
        #expect(bytecode.stderr.contains("evaluator: bytecode"))
        #expect(native.stderr.contains("evaluator: native code (compiled in") || native.stderr.contains("evaluator: native code (cached)"))
        let again = try CLI.run(arguments + ["--native-code", "--stats"], environment: ["KINAPSE_CACHE": Self.cache])
        #expect(again.stderr.contains("evaluator: native code (cached)"))
    }

    /// A synapse run (model, events, release model) and an STDP sweep: the same output;
    /// the sweep's intervals, which differ only in event times, share one library.
    @Test func synapseRunsAndSweepsWriteTheSameResults() throws {
        let cache = Self.cache + "-synapse"
        let run = ["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation"]
        let bytecode = try CLI.run(run), native = try CLI.run(run + ["--native-code"], environment: ["KINAPSE_CACHE": cache])
        #expect(bytecode.status == 0 && native.status == 0, "\(native.stderr)")
        #expect(native.stdout == bytecode.stdout)
        let sweep = ["stdp", LumpedFixture.entorhinalStellate, "--dt", "-40:40:20", "--quiet"]
        let one = try CLI.run(sweep + ["--jobs", "1"])
        let two = try CLI.run(sweep + ["--jobs", "2", "--native-code"], environment: ["KINAPSE_CACHE": cache + "-stdp"])
        #expect(one.status == 0 && two.status == 0, "\(two.stderr)")
        #expect(two.stdout == one.stdout)
        let libraries = try FileManager.default.contentsOfDirectory(atPath: cache + "-stdp").filter { $0.hasSuffix(".so") }
        #expect(libraries.count <= 2, "five intervals should not need five libraries: \(libraries.count)")
    }

    /// A derivative that becomes infinite or NaN: native code's right-hand side is called
    /// by CVODES without Swift in between (`kinapse_direct_rhs`), and must still be caught
    /// and blamed on the same species at the same time as with the bytecode.
    @Test(arguments: [("A = 1; D = 1\nA' = -A/D\nE1: at (time >= 1): D = 0\n", "A"),
                      ("x = 1; y = 0\nx' = -1\ny' = log(x)\n", "y")])
    func nonFiniteDerivativesAreReportedAsWithBytecode(model: String, culprit: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.ant")
        try model.write(to: file, atomically: true, encoding: .utf8)
        let arguments = ["simulate", file.path, "--t-end", "2", "--points", "21"]
        let bytecode = try CLI.run(arguments)
        let native = try CLI.run(arguments + ["--native-code"], environment: ["KINAPSE_CACHE": Self.cache + "-nonfinite"])
        #expect(bytecode.status == 1 && native.status == 1, "\(native.stderr)")
        #expect(native.stderr.contains("offending variable: \(culprit)"), "\(native.stderr)")
        #expect(native.stderr.contains("hint: the derivative of '\(culprit)' evaluated to NaN or infinity"), "\(native.stderr)")
        #expect(native.stderr == bytecode.stderr)
        #expect(native.stdout == bytecode.stdout)
    }

    /// A compiler that fails: exit status 2, the compiler named, a hint, no output file.
    @Test func failingCompilerIsReported() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-native-\(getpid()).csv").path
        let result = try CLI.run(["simulate", "Benchmarks/models/tbs_no_cgmp.ant", "--t-end", "1", "--native-code", "--out", out],
                                 environment: ["KINAPSE_CC": "/bin/false", "KINAPSE_CACHE": Self.cache + "-false"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the C compiler /bin/false failed"))
        #expect(result.stderr.contains("hint: set KINAPSE_CC to another C compiler, or run without --native-code"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
