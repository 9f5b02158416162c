import Testing
import Foundation

/// `kinapse simulate --native-code`, as a user runs it.
@Suite struct NativeCodeCommandTests {
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
