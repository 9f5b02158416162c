import Testing
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import PathwayTestSupport
@testable import Recordings

/// The child process of `IsolatedProbe` reports how it ended: finished (or stopped by a
/// diagnostic), killed by a signal, or still running at the timeout; a child stuck on a lock
/// it inherited locked is told apart from one looping on a file. Serialized: the last two
/// tests count stuck children, which the one before makes on purpose.
@Suite(.serialized) struct IsolatedProbeTests {
    @Test func finishedAndDiagnosedReadsSurvive() {
        #expect(IsolatedProbe.run(timeout: 10, gate: ForkGate()) { true } == .survived)
        #expect(IsolatedProbe.run(timeout: 10, gate: ForkGate()) { false } == .survived)
    }

    @Test func aSegfaultInTheChildIsReportedWithItsSignal() {
        let outcome = IsolatedProbe.run(timeout: 10, gate: ForkGate()) {
            raise(SIGSEGV)
            return true
        }
        #expect(outcome == .crashed(signal: SIGSEGV, status: nil))
    }

    @Test func anUnknownExitStatusIsACrash() {
        // A sanitizer reports and exits with status 1: not one of the probe's own.
        #expect(IsolatedProbe.run(timeout: 10, gate: ForkGate()) { _exit(1) } == .crashed(signal: nil, status: 1))
    }

    @Test func aBusyChildIsKilledAtTheTimeout() {
        let outcome = IsolatedProbe.run(timeout: 0.2, gate: ForkGate()) {
            var x = 0.0
            while true { x = sin(x + 1) }
        }
        guard case .hung(let seconds) = outcome else {
            Issue.record("expected a hang, got \(outcome)")
            return
        }
        // Polls back off to 50 ms, so the kill comes within one poll of the timeout.
        #expect(seconds >= 0.2 && seconds < 0.3)
    }

    /// A lock another thread holds at the fork stays held in the child for ever. The probe
    /// must not call that a looping file: it sees the child asleep without using processor
    /// time, kills it and forks again. Here the lock is free by the second fork, and the
    /// second child's deliberate segfault shows it was the one that answered.
    @Test func aChildStuckOnAnInheritedLockIsTriedAgain() throws {
        nonisolated(unsafe) let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        defer { pthread_mutex_destroy(lock); lock.deallocate() }
        let held = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            pthread_mutex_lock(lock)
            held.signal()
            usleep(500_000)
            pthread_mutex_unlock(lock)
        }
        held.wait()
        let before = IsolatedProbe.stuckChildren.load(ordering: .relaxed)
        let outcome = IsolatedProbe.run(timeout: 60, gate: ForkGate()) {
            pthread_mutex_lock(lock)
            raise(SIGSEGV)
            return true
        }
        #expect(outcome == .crashed(signal: SIGSEGV, status: nil))
        #expect(IsolatedProbe.stuckChildren.load(ordering: .relaxed) == before + 1)
    }

    /// What CI met: NWB files read and written on several threads at once, each read forking
    /// its probe. Without the gate, a fork taken while another thread was inside HDF5 left
    /// the child waiting on HDF5's own mutex (20 s, then "the file is damaged").
    @Test func concurrentNWBReadsAndWritesMakeNoStuckChild() throws {
        let fixture = TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/short.nwb").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-probe-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let before = IsolatedProbe.stuckChildren.load(ordering: .relaxed)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            do {
                if i % 3 == 0 {
                    // A writer keeps HDF5 busy while the others fork.
                    let file = try HDF5.create(path: "\(scratch)/\(i).h5")
                    for k in 0..<50 { try HDF5.writeDataset(file, "d\(k)", Array(repeating: Double(k), count: 2000)) }
                } else {
                    let recording = try NWBReader.read(path: fixture)
                    _ = try recording.samples(channel: 0, sweep: 0)
                }
            } catch {
                failures.withLock { $0.append("\(i): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(IsolatedProbe.stuckChildren.load(ordering: .relaxed) == before)
    }
}

/// HDF5's thread-safe build keeps error printing per thread: a read on any thread must leave
/// it off there, or a damaged file prints HDF5's own error stack beside the diagnostic.
@Suite struct HDF5ErrorPrintingTests {
    @Test func everyThreadThatUsesHDF5IsSilenced() throws {
        let fixture = TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/short.nwb").path
        let results = Mutex<[Bool]>([])
        let threads = 3
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread.detachNewThread {
                let opened = (try? HDF5.open(path: fixture)) != nil
                results.withLock { $0.append(opened && !HDF5.printsErrorsOnThisThread) }
                done.signal()
            }
        }
        for _ in 0..<threads { done.wait() }
        #expect(results.withLock { $0 } == Array(repeating: true, count: threads))
    }
}
