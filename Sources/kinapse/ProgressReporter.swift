import Foundation
import Synchronization

/// Progress on standard error for work that takes more than a second: a redrawn bar with
/// count, rate and time left on a terminal; a plain line every few seconds otherwise (logs,
/// CI); nothing with `--quiet`. Thread-safe: workers report completions as they finish.
final class ProgressReporter: Sendable {
    enum Mode { case bar, lines, silent }

    private let total: Int
    private let label: String
    private let mode: Mode
    private let start = Date()
    /// Completions so far and when the last plain line was written.
    private let state = Mutex((done: 0, lastLine: Date.distantPast))

    init(total: Int, label: String, quiet: Bool, isTerminal: Bool = isatty(2) != 0) {
        self.total = total
        self.label = label
        self.mode = quiet ? .silent : (isTerminal ? .bar : .lines)
    }

    func advance() {
        // The line is written under the lock, so two workers' lines never interleave.
        state.withLock { state in
            state.done += 1
            let now = Date()
            switch mode {
            case .silent: return
            case .bar: emit("\r" + line(done: state.done, now: now) + "\u{1B}[K" + (state.done == total ? "\n" : ""))
            case .lines:
                guard state.done == total || now.timeIntervalSince(state.lastLine) >= 5 else { return }
                state.lastLine = now
                emit(line(done: state.done, now: now) + "\n")
            }
        }
    }

    /// `label [#####-----] 12/41  3.1/s  ETA 9 s`
    func line(done: Int, now: Date) -> String {
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
