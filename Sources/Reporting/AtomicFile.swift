import Foundation
import Dispatch

/// Output files are written whole or not at all: to a temporary file beside the target,
/// then renamed over it, so an interrupted run never leaves a truncated result.
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
        public var description: String { "cannot write '\(path)': \(reason)" }
    }

    public static func write(_ text: String, to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WriteError(path: path, reason: "the directory '\(directory.path)' does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        // Held from creating the temporary file to renaming it: an interrupting signal
        // waits here, so it never removes a file that is about to be renamed into place.
        try Interruption.whileWriting(temporary.path) { () throws(WriteError) in
            do {
                try Data(text.utf8).write(to: temporary)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw WriteError(path: path, reason: error.localizedDescription)
            }
            #if DEBUG
            Interruption.pauseForTests()
            #endif
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw WriteError(path: path, reason: reason)
            }
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

    #if DEBUG
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
