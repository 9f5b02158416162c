import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import ModelCompiler

/// Compiles a model's programs to machine code with the system's C compiler, giving a
/// compiled model that runs native code instead of bytecode (`--native-code`).
///
/// The translation (`NativeSource`) computes the same bits as the bytecode, so a model
/// gives the same results either way; only the speed changes. Compiled libraries are
/// cached by the hash of their source, compiler and flags, so a model is compiled once
/// and later loads take a few milliseconds.
public enum NativeCode {
    /// What building cost.
    public enum Outcome: Sendable, Equatable {
        /// Built now, taking this many seconds of wall time.
        case compiled(seconds: Double)
        /// Found in the cache.
        case cached
    }

    /// `model` running its programs, and its sensitivity programs when it is
    /// differentiated, as machine code (compiled now or found in the cache).
    /// `layout`: see `NativeSource.Layout` (tests vary it).
    public static func compile(_ model: CompiledModel, toolchain: Toolchain? = nil,
                               layout: NativeSource.Layout = .standard) throws(NativeCodeError) -> (model: CompiledModel, outcome: Outcome) {
        let source = model.nativeSource(layout: layout)
        let (programs, outcome, library) = try load(source, toolchain: toolchain)
        let rightHandSide = try symbol(source.rightHandSideSymbol!, in: library, as: NativeRightHandSide.self)
        var sensitivityPrograms: [NativeProgram] = []
        var libraries = [library]
        var total = outcome
        if let sensitivitySource = model.sensitivityNativeSource() {
            let (functions, sensitivityOutcome, sensitivityLibrary) = try load(sensitivitySource, toolchain: toolchain)
            sensitivityPrograms = functions
            libraries.append(sensitivityLibrary)
            total = total.adding(sensitivityOutcome)
        }
        let functions = NativeFunctions(rightHandSide: rightHandSide, programs: programs,
                                        sensitivityPrograms: sensitivityPrograms, library: libraries)
        return (model.runningNativeCode(functions), total)
    }

    /// Optimisation flags, on top of the ones the translation needs to be exact.
    /// `-fno-math-errno` only lets `sqrt` become an instruction; it changes no value.
    static let flags = ["-O2", "-fPIC", "-shared", "-fno-math-errno"] + NativeSource.requiredFlags

    /// Finds `source`'s library in the cache or builds it, loads it and looks up its
    /// program functions. A cached library that does not load (truncated by a full disk,
    /// say) is rebuilt once.
    static func load(_ source: NativeSource, toolchain given: Toolchain?)
        throws(NativeCodeError) -> ([NativeProgram], Outcome, Library) {
        let toolchain: Toolchain
        if let given { toolchain = given } else { toolchain = try Toolchain.find() }
        let directory = toolchain.cacheDirectory
        let library = directory.appendingPathComponent("\(cacheKey(source, toolchain)).so").path
        var outcome = Outcome.cached
        var handle: UnsafeMutableRawPointer?
        if FileManager.default.fileExists(atPath: library) {
            handle = dlopen(library, RTLD_NOW | RTLD_LOCAL)
        }
        if handle == nil {
            let start = DispatchTime.now().uptimeNanoseconds
            try build(source, into: library, directory: directory, toolchain: toolchain)
            outcome = .compiled(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            handle = dlopen(library, RTLD_NOW | RTLD_LOCAL)
        }
        guard let handle else {
            throw NativeCodeError("cannot load the compiled model \(library): \(String(cString: dlerror()))",
                                  hint: "run without --native-code, and report this with the model")
        }
        let loaded = Library(handle: handle, path: library)
        var functions: [NativeProgram] = []
        for name in source.symbols { functions.append(try symbol(name, in: loaded, as: NativeProgram.self)) }
        return (functions, outcome, loaded)
    }

    /// A loaded library, never closed: another model may run functions from the same
    /// cached file. Unchecked `Sendable`: the handle is only passed to `dlsym`, which is
    /// thread-safe.
    final class Library: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer
        let path: String
        init(handle: UnsafeMutableRawPointer, path: String) {
            self.handle = handle
            self.path = path
        }
    }

    static func symbol<F>(_ name: String, in library: Library, as type: F.Type) throws(NativeCodeError) -> F {
        guard let address = dlsym(library.handle, name) else {
            throw NativeCodeError("the compiled model \(library.path) has no function \(name)",
                                  hint: "delete the file and run again; it is rebuilt")
        }
        return unsafeBitCast(address, to: F.self)
    }

    /// Compiles `source` into `library`, through temporary files renamed into place, so a
    /// concurrent or interrupted build never leaves a half-written library behind.
    private static func build(_ source: NativeSource, into library: String, directory: URL,
                              toolchain: Toolchain) throws(NativeCodeError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw NativeCodeError("cannot create the native-code cache \(directory.path): \(error.localizedDescription)",
                                  hint: "set KINAPSE_CACHE to a writable directory")
        }
        let unique = "\(getpid())-\(UUID().uuidString)"
        let sourcePath = directory.appendingPathComponent("build-\(unique).c").path
        let temporaryLibrary = directory.appendingPathComponent("build-\(unique).so").path
        defer {
            unlink(sourcePath)
            unlink(temporaryLibrary)
        }
        guard FileManager.default.createFile(atPath: sourcePath, contents: Data(source.text.utf8)) else {
            throw NativeCodeError("cannot write \(sourcePath)", hint: "set KINAPSE_CACHE to a writable directory")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: toolchain.compiler)
        process.arguments = flags + ["-o", temporaryLibrary, sourcePath, "-lm"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw NativeCodeError("cannot run the C compiler \(toolchain.compiler): \(error.localizedDescription)",
                                  hint: "set KINAPSE_CC to a working C compiler, or run without --native-code")
        }
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: messages.suffix(2000), as: UTF8.self)
            throw NativeCodeError("the C compiler \(toolchain.compiler) failed (status \(process.terminationStatus)):\n\(text)",
                                  hint: "set KINAPSE_CC to another C compiler, or run without --native-code")
        }
        guard rename(temporaryLibrary, library) == 0 else {
            throw NativeCodeError("cannot move the compiled model into \(library): \(String(cString: strerror(errno)))",
                                  hint: "set KINAPSE_CACHE to a writable directory")
        }
    }

    /// 128 bits of FNV-1a over everything that decides the library's contents.
    static func cacheKey(_ source: NativeSource, _ toolchain: Toolchain) -> String {
        var first = FNV1a(offset: 0xcbf2_9ce4_8422_2325), second = FNV1a(offset: 0x6c62_272e_07bb_0142)
        for part in [toolchain.identity, flags.joined(separator: " "), source.text] {
            first.add(part)
            second.add(part)
            first.add("\u{0}")
            second.add("\u{0}")
        }
        return first.hex + second.hex
    }

    private struct FNV1a {
        var state: UInt64
        init(offset: UInt64) { state = offset }
        mutating func add(_ text: String) {
            for byte in text.utf8 {
                state ^= UInt64(byte)
                state &*= 0x100_0000_01b3
            }
        }
        var hex: String {
            let digits = String(state, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }
}

extension NativeCode.Outcome {
    /// Both costs: built if either was, in their total time.
    func adding(_ other: Self) -> Self {
        switch (self, other) {
        case (.cached, .cached): .cached
        case (.compiled(let a), .cached), (.cached, .compiled(let a)): .compiled(seconds: a)
        case (.compiled(let a), .compiled(let b)): .compiled(seconds: a + b)
        }
    }
}

/// The C compiler and the cache directory native code uses.
public struct Toolchain: Sendable {
    /// Absolute path of the C compiler.
    public let compiler: String
    /// Where compiled models are kept.
    public let cacheDirectory: URL
    /// The compiler's path, size and modification time: a new compiler means new libraries.
    let identity: String

    public init(compiler: String, cacheDirectory: URL) {
        self.compiler = compiler
        self.cacheDirectory = cacheDirectory
        let attributes = try? FileManager.default.attributesOfItem(atPath: compiler)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        identity = "\(compiler) \(size) \(modified)"
    }

    /// `KINAPSE_CC` if set, else the first of `clang`, `cc`, `gcc` on the `PATH` (Swift's
    /// toolchain always brings clang); the cache is `KINAPSE_CACHE`, else
    /// `$XDG_CACHE_HOME/kinapse/native`, else `~/.cache/kinapse/native`.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) throws(NativeCodeError) -> Toolchain {
        let cache: URL
        if let dir = environment["KINAPSE_CACHE"], !dir.isEmpty {
            cache = URL(fileURLWithPath: dir)
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = URL(fileURLWithPath: xdg).appendingPathComponent("kinapse/native")
        } else {
            cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/kinapse/native")
        }
        if let cc = environment["KINAPSE_CC"], !cc.isEmpty {
            guard let path = resolve(cc, path: environment["PATH"]) else {
                throw NativeCodeError("KINAPSE_CC names \(cc), which is not an executable", hint: "set KINAPSE_CC to a C compiler")
            }
            return Toolchain(compiler: path, cacheDirectory: cache)
        }
        for name in ["clang", "cc", "gcc"] {
            if let path = resolve(name, path: environment["PATH"]) { return Toolchain(compiler: path, cacheDirectory: cache) }
        }
        throw NativeCodeError("--native-code needs a C compiler, and none of clang, cc or gcc is on the PATH",
                              hint: "install one (Swift's toolchain brings clang) or set KINAPSE_CC")
    }

    private static func resolve(_ name: String, path: String?) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// Why native code could not be built or loaded.
public struct NativeCodeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let hint: String
    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }
    public var description: String { "\(message)\nhint: \(hint)" }
}
