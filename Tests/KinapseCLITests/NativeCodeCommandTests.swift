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
        let run = ["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs"]
        let bytecode = try CLI.run(run), native = try CLI.run(run + ["--native-code"], environment: ["KINAPSE_CACHE": cache])
        #expect(bytecode.status == 0 && native.status == 0, "\(native.stderr)")
        #expect(native.stdout == bytecode.stdout)
        let sweep = ["stdp", "Pathways/synapses/entorhinal_stellate.toml", "--dt", "-40:40:20", "--quiet"]
        let one = try CLI.run(sweep + ["--jobs", "1"])
        let two = try CLI.run(sweep + ["--jobs", "2", "--native-code"], environment: ["KINAPSE_CACHE": cache + "-stdp"])
        #expect(one.status == 0 && two.status == 0, "\(two.stderr)")
        #expect(two.stdout == one.stdout)
        let libraries = try FileManager.default.contentsOfDirectory(atPath: cache + "-stdp").filter { $0.hasSuffix(".so") }
        #expect(libraries.count <= 2, "five intervals should not need five libraries: \(libraries.count)")
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
