import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Recordings

/// The child process of `IsolatedProbe` reports how it ended: finished (or stopped by a
/// diagnostic), killed by a signal, or still running at the timeout.
@Suite struct IsolatedProbeTests {
    @Test func finishedAndDiagnosedReadsSurvive() {
        #expect(IsolatedProbe.run(timeout: 10) { true } == .survived)
        #expect(IsolatedProbe.run(timeout: 10) { false } == .survived)
    }

    @Test func aSegfaultInTheChildIsReportedWithItsSignal() {
        let outcome = IsolatedProbe.run(timeout: 10) {
            raise(SIGSEGV)
            return true
        }
        #expect(outcome == .crashed(signal: SIGSEGV, status: nil))
    }

    @Test func anUnknownExitStatusIsACrash() {
        // A sanitizer reports and exits with status 1: not one of the probe's own.
        #expect(IsolatedProbe.run(timeout: 10) { _exit(1) } == .crashed(signal: nil, status: 1))
    }

    @Test func aLoopingChildIsKilledAtTheTimeout() {
        let outcome = IsolatedProbe.run(timeout: 0.2) {
            while true { usleep(1000) }
        }
        guard case .hung(let seconds) = outcome else {
            Issue.record("expected a hang, got \(outcome)")
            return
        }
        // Polls back off to 50 ms, so the kill comes within one poll of the timeout.
        #expect(seconds >= 0.2 && seconds < 0.3)
    }
}
