import Foundation

/// Progress on standard error for work that takes more than a second: a redrawn bar with
/// count, rate and time left on a terminal; a plain line every few seconds otherwise (logs,
/// CI); nothing with `--quiet`. Thread-safe: workers report completions as they finish.
final class ProgressReporter: @unchecked Sendable {
    enum Mode { case bar, lines, silent }

    private let total: Int
    private let label: String
    private let mode: Mode
    private let lock = NSLock()
    private let start = Date()
    private var done = 0
    private var lastLine = Date.distantPast

    init(total: Int, label: String, quiet: Bool, isTerminal: Bool = isatty(2) != 0) {
        self.total = total
        self.label = label
        self.mode = quiet ? .silent : (isTerminal ? .bar : .lines)
    }

    func advance() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        let now = Date()
        switch mode {
        case .silent: return
        case .bar: emit("\r" + line(now: now) + "\u{1B}[K" + (done == total ? "\n" : ""))
        case .lines:
            guard done == total || now.timeIntervalSince(lastLine) >= 5 else { return }
            lastLine = now
            emit(line(now: now) + "\n")
        }
    }

    /// `label [#####-----] 12/41  3.1/s  ETA 9 s`
    func line(now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "\(label) [\(bar)] \(done)/\(total)  \(String(format: "%.1f", rate))/s  " +
            (done == total ? "done in \(Self.duration(elapsed))" : "ETA \(Self.duration(remaining))")
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 90 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds / 60).rounded())) min"
    }

    private func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
