import Foundation
import Dispatch
import Reporting
import KinapseUtilities

/// A long run that Ctrl-C (or SIGTERM) stops early without losing what it has done: the
/// interrupt raises `cancellation`, prints `message`, and waits until the command has
/// written its partial result and called `finished()`; the process then ends by the signal.
struct InterruptedRun: Sendable {
    let cancellation = CancellationFlag()
    private let written = DispatchSemaphore(value: 0)

    init(message: String) {
        let cancellation = cancellation, written = written
        Interruption.addHandler {
            cancellation.cancel()
            Console.error("\n" + message + " (interrupt again to quit at once)")
            written.wait()
        }
    }

    /// Called once the outputs are written (from a `defer`, so also on errors). The process
    /// ends by the signal as soon as the handler returns: the report is flushed first.
    func finished() {
        fflush(nil)
        written.signal()
    }
}
