import Foundation
import Dispatch
import KinapseUtilities
import SourceDiagnostics

/// Output files are written whole or not at all: to a temporary file beside the target,
/// then renamed over it, so an interrupted run never leaves a truncated result.
///
/// What the target is decides how it is written (`Target`): a symbolic link's target is
/// replaced, not the link; a character device or FIFO (`/dev/null`, `/dev/stdout`, a named
/// pipe a reader waits on) is written through its own inode, since replacing it would
/// delete the device node or starve the reader; a read-only file is refused unless
/// `force`; a directory, socket or block device is refused.
///
/// Interruption: after `Interruption.install()`, SIGINT and SIGTERM wait for a write in
/// progress to finish (rename included), remove any temporary file still registered and
/// end the process with the signal's status. The target is then either the old file or
/// the complete new one. SIGKILL cannot be caught: the target is still intact (the
/// rename is atomic) but a `.NAME.PID.tmp` file may be left beside it.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var hint: String? = nil
        public var description: String { "cannot write '\(path)': \(reason)" }
    }

    /// How an output path is written, decided before anything is written.
    struct Target {
        enum Method {
            /// A regular file, or none yet: a temporary file renamed over `path` (the link's
            /// target when the output was named through a link), keeping an existing file's mode.
            case replace(path: String, mode: mode_t?)
            /// A character device or FIFO: opened and truncated, then written in place.
            case writeThrough(path: String)
        }
        let method: Method

        init(_ path: String, force: Bool) throws(WriteError) {
            method = try Self.method(path, named: path, force: force, links: 0)
        }

        private static func method(_ path: String, named: String, force: Bool, links: Int) throws(WriteError) -> Method {
            var info = stat()
            guard lstat(path, &info) == 0 else {
                guard errno == ENOENT else { throw WriteError(path: named, reason: String(cString: strerror(errno))) }
                try requireDirectory(of: path, named: named)
                return .replace(path: path, mode: nil)
            }
            guard info.st_mode & S_IFMT == S_IFLNK else { return try method(path, info, named: named, force: force) }
            guard links < 40 else { throw WriteError(path: named, reason: "too many levels of symbolic links") }
            var followed = stat()
            if stat(path, &followed) == 0, followed.st_mode & S_IFMT != S_IFREG {
                // Opening the link reaches the device or FIFO (also /dev/stdout's /proc chain).
                return try method(path, followed, named: named, force: force)
            }
            // A link to a regular file, or a dangling one: its target is what gets written.
            return try method(linkTarget(path), named: named, force: force, links: links + 1)
        }

        private static func method(_ path: String, _ info: stat, named: String, force: Bool) throws(WriteError) -> Method {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                if info.st_mode & 0o222 == 0 || access(path, W_OK) != 0 {
                    guard force else {
                        throw WriteError(path: named, reason: "the file is read-only",
                                         hint: "make it writable (chmod u+w '\(path)') or pass --force to replace it")
                    }
                }
                try requireDirectory(of: path, named: named)
                return .replace(path: path, mode: info.st_mode & 0o7777)
            case S_IFCHR, S_IFIFO:
                return .writeThrough(path: path)
            case S_IFDIR:
                throw WriteError(path: named, reason: "it is a directory", hint: "name a file inside it")
            default:
                throw WriteError(path: named, reason: "it is a socket or block device, not a file; refusing to write over it")
            }
        }

        /// The path a symbolic link names, relative to the link's directory when not absolute.
        private static func linkTarget(_ link: String) throws(WriteError) -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(link, &buffer, buffer.count - 1)
            guard count >= 0 else { throw WriteError(path: link, reason: String(cString: strerror(errno))) }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") { return target }
            return (PathName.directory(of: link) as NSString).appendingPathComponent(target)
        }

        private static func requireDirectory(of path: String, named: String) throws(WriteError) {
            let directory = PathName.directory(of: path)
            let shown = directory.isEmpty ? "." : directory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: shown, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw WriteError(path: named, reason: "the directory '\(shown)' does not exist")
            }
            guard access(shown, W_OK) == 0 else {
                throw WriteError(path: named, reason: "the directory '\(shown)' is not writable")
            }
        }
    }

    public static func write(_ text: String, to path: String, force: Bool = false) throws(WriteError) {
        try write(to: path, force: force) { $0.write(text) }
    }

    /// Writes what `produce` puts into the sink, with the guarantees of `write(_:to:force:)`,
    /// in chunks as it goes: a large output (a long time course) is never held whole in memory.
    public static func write(to path: String, force: Bool = false, _ produce: (inout OutputSink) -> Void) throws(WriteError) {
        // Under MPI every rank runs the whole command and rank 0 alone writes: the ranks
        // never race for a file, and the file is the one a single process writes.
        guard JobRank.speaksForJob else { return }
        switch try Target(path, force: force).method {
        case .replace(let target, let mode): try replace(target, mode: mode, named: path, produce)
        case .writeThrough(let target): try writeThrough(target, named: path, produce)
        }
    }

    private static func replace(_ path: String, mode: mode_t?, named: String, _ produce: (inout OutputSink) -> Void) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        // Held from creating the temporary file to renaming it: an interrupting signal
        // waits here, so it never removes a file that is about to be renamed into place.
        try Interruption.whileWriting(temporary.path) { () throws(WriteError) in
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw WriteError(path: named, reason: String(cString: strerror(errno))) }
            var sink = OutputSink(descriptor: fd)
            produce(&sink)
            sink.flush()
            // A full disk may only show when the data reach it, at close.
            let closed = close(fd) == 0 ? nil : errno
            if let failure = sink.failure ?? closed {
                unlink(temporary.path)
                throw WriteError(path: named, reason: String(cString: strerror(failure)))
            }
            if let mode { chmod(temporary.path, mode) }
            #if DEBUG || KINAPSE_TEST_HOOKS
            Interruption.pauseForTests()
            #endif
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temporary.path)
                throw WriteError(path: named, reason: reason)
            }
        }
    }

    /// Not under the interruption lock: a FIFO without a reader blocks here, and Ctrl-C must still end the run.
    private static func writeThrough(_ path: String, named: String, _ produce: (inout OutputSink) -> Void) throws(WriteError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: named, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var sink = OutputSink(descriptor: fd)
        produce(&sink)
        sink.flush()
        if let failure = sink.failure { throw WriteError(path: named, reason: String(cString: strerror(failure))) }
    }
}

/// An output file being written: bytes gather in a buffer and go to the file a chunk at a
/// time. After a failed write (a full disk) the rest is dropped and `failure` keeps the errno,
/// which `AtomicFile` reports once the producer is done.
public struct OutputSink: TextOutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    fileprivate private(set) var failure: Int32?
    /// Bytes gathered before a write: large enough that the system calls cost nothing next
    /// to formatting, small enough to stay in the cache.
    private static let chunk = 1 << 18

    fileprivate init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    public mutating func write(_ string: String) { append(string.utf8) }

    /// Where `Double.write(to:)` hands over its digits, without making a `String` of them.
    public mutating func _writeASCII(_ bytes: UnsafeBufferPointer<UInt8>) { append(bytes) }

    private mutating func append(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunk { flush() }
    }

    fileprivate mutating func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        var written = 0
        while written < buffer.count {
            let n = buffer[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            written += n
        }
    }
}

/// Orderly ending on SIGINT (Ctrl-C) and SIGTERM.
///
/// Why dispatch sources and not a C signal handler: a handler may call only
/// async-signal-safe functions, so it could not take a lock, and without one it could
/// remove a temporary file a moment before the main thread renames it, or race with its
/// creation. A dispatch source runs its handler on an ordinary thread, where locks and
/// Foundation are safe: it waits for the write in progress, runs the registered
/// interruption handlers (a fit writes its best result so far), removes temporary files,
/// then restores the default action and re-raises the signal, so the exit status says
/// "killed by SIGINT" as a shell expects.
public enum Interruption {
    private static let lock = NSLock()
    /// Guards `interrupted` alone, so that it can be read while `lock` is held by a writer.
    private static let flagLock = NSLock()
    nonisolated(unsafe) private static var temporaryFiles: Set<String> = []
    nonisolated(unsafe) private static var handlers: [@Sendable () -> Void] = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var interrupted = false

    /// Routes SIGINT and SIGTERM through the orderly path. Idempotent.
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            // A signal ignored when we started (`nohup`, a background job of a
            // non-interactive shell) stays ignored, as the shell that set it intends.
            var current = sigaction()
            if sigaction(signalNumber, nil, &current) == 0, isIgnored(current) { continue }
            // The default action must be off for the dispatch source to see the signal.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { terminate(signal: signalNumber) }
            source.resume()
            sources.append(source)
        }
        // The main thread may finish its work while an interrupt is being handled; it
        // must not end the process with status 0 under the handler's feet.
        atexit { Interruption.waitIfInterrupted() }
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        #if canImport(Glibc)
        // glibc's `sigaction` keeps the handler in a union: `__sigaction_handler.sa_handler`.
        unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #else
        unsafeBitCast(action.__sigaction_u.__sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #endif
    }

    private static var isInterrupted: Bool {
        flagLock.lock()
        defer { flagLock.unlock() }
        return interrupted
    }

    /// Called at exit: if a signal is being handled, wait for the handler to end the process.
    private static func waitIfInterrupted() {
        while isInterrupted { sleep(1) }
    }

    /// Adds work to do before the process ends on an interrupt (e.g. writing a partial
    /// result). It runs on a background thread while the main thread may still be working:
    /// it must only read state that is safe to read concurrently.
    public static func addHandler(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        handlers.append(handler)
        lock.unlock()
    }

    static func whileWriting<T, E: Error>(_ temporary: String, _ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        temporaryFiles.insert(temporary)
        defer {
            temporaryFiles.remove(temporary)
            lock.unlock()
        }
        return try body()
    }

    private static func terminate(signal signalNumber: Int32) {
        flagLock.lock()
        guard !interrupted else { flagLock.unlock(); return }
        interrupted = true
        flagLock.unlock()
        lock.lock()  // waits for a write in progress
        let pending = handlers
        lock.unlock()
        // While the handlers run (a fit finishing its current steps), a second interrupt
        // takes the default action and ends the process at once: the user asked twice.
        // Temporary files may then remain, as after SIGKILL; targets are still intact.
        if !pending.isEmpty { signal(signalNumber, SIG_DFL) }
        // Handlers may write files themselves (through AtomicFile, which takes the lock).
        for handler in pending { handler() }
        lock.lock()
        for path in temporaryFiles { unlink(path) }
        // Dispatch's worker threads block signals: unblock this one here, or `raise`
        // would leave it pending and the process would not end by the signal.
        signal(signalNumber, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signalNumber)
        _exit(128 + signalNumber)
    }

    #if DEBUG || KINAPSE_TEST_HOOKS
    /// Tests only: `KINAPSE_PAUSE_BEFORE_RENAME=SECONDS` holds every atomic write between
    /// writing its temporary file and renaming it, so that a test can deliver a signal
    /// exactly mid-write.
    static func pauseForTests() {
        if let text = ProcessInfo.processInfo.environment["KINAPSE_PAUSE_BEFORE_RENAME"], let seconds = Double(text), seconds > 0 {
            FileHandle.standardError.write(Data("kinapse: paused before rename\n".utf8))
            Thread.sleep(forTimeInterval: seconds)
        }
    }
    #endif
}
