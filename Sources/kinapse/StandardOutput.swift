// Only C's stdio here: `stdout` is a C global that Swift 6 admits only through a
// `@preconcurrency` import, which Foundation's re-export of Glibc would override.
@preconcurrency import Glibc
import Synchronization
import SourceDiagnostics

/// Standard output, whose write failures (`> /dev/full`, a closed file) are never lost:
/// results go through `write`, which records the first failure's errno; anything else
/// printed (`print`, ArgumentParser's help) goes through C stdio, checked by `flush()`.
/// `Kinapse.main` calls `flush()` once, at the end.
enum StandardOutput {
    /// The errno of the first failed write, 0 while none failed.
    private static let failure = Atomic<Int32>(0)

    /// Writes `text` at once, after anything printed before it.
    static func write(_ text: String) {
        _ = fflush(stdout)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                _ = failure.compareExchange(expected: 0, desired: errno, ordering: .relaxed)
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Writes what stdio holds; the error if this or any earlier write failed.
    static func flush() -> DiagnosticsError? {
        errno = 0
        if fflush(stdout) != 0 || ferror(stdout) != 0 {
            _ = failure.compareExchange(expected: 0, desired: errno == 0 ? EIO : errno, ordering: .relaxed)
            clearerr(stdout)
        }
        let code = failure.load(ordering: .relaxed)
        guard code != 0 else { return nil }
        return DiagnosticsError(.error("cannot write to standard output: \(String(cString: strerror(code)))"))
    }
}
