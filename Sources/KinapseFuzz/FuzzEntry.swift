import Foundation

// Built two ways (see `make fuzz` and docs/robustness.md):
// - with `-sanitize=fuzzer,address -D KINAPSE_FUZZING`: a libFuzzer binary. SwiftPM links
//   every executable with `main` aliased to the module's own entry point, so libFuzzer's
//   `main` cannot be used; our `main` hands control to libFuzzer's driver instead.
//   `KINAPSE_FUZZ_TARGET` picks the reader;
// - in the ordinary build, a replay tool: it runs files given on the command line
//   through a target, to reproduce a crashing input without the sanitizers
//   (`kinapse-fuzz antimony crash-…`).

/// The reader chosen once per process from `KINAPSE_FUZZ_TARGET`.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["KINAPSE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("kinapse-fuzz: set KINAPSE_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget.run(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

#if KINAPSE_FUZZING
/// libFuzzer's driver, for programs with their own `main` (declared by libFuzzer as
/// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))`).
/// Plain pointer and integer arguments pass the same way under the Swift and C conventions.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main
enum KinapseFuzzer {
    static func main() {
        _ = selectedTarget
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
#else
@main
enum KinapseFuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: kinapse-fuzz \(names) FILE…\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("kinapse-fuzz: cannot read '\(path)'\n".utf8))
                exit(2)
            }
            data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
            print("\(path): ok")
        }
    }
}
#endif
