import Foundation
import KinapseUtilities
import Synchronization

/// Where a run's wall time goes, process by process: with `KINAPSE_MPI_TIMELINE=1` each
/// phase (start, MPI start-up, inputs read, each batch begun, that is the model ready, and
/// its tasks with the CPU time of each, the batch gathered, command done, MPI's end) is
/// stamped as it happens, one line
/// on standard error:
///
///     kinapse timeline: rank R SECONDS EVENT
///
/// SECONDS is the wall clock (Unix time, microseconds), which every rank on one machine
/// shares, so the lines of all ranks and the launcher's own clock line up
/// (`Benchmarks/mpi_bench.sh` reads them). Off, a mark costs one load of a constant.
public enum JobTimeline {
    public static let isOn = ProcessInfo.processInfo.environment["KINAPSE_MPI_TIMELINE"] == "1"

    /// The descriptor the lines go to: standard error, or the copy `keepStandardError` made
    /// of it before a rank's standard error was sent to /dev/null.
    private static let descriptor = Atomic<Int32>(2)

    /// Keeps the timeline on the current standard error, whatever later becomes of descriptor 2.
    public static func keepStandardError() {
        guard isOn else { return }
        let copy = dup(2)
        if copy >= 0 { descriptor.store(copy, ordering: .releasing) }
    }

    /// Stamps `event` now; one `write` per line, so the lines of threads and ranks never interleave.
    public static func mark(_ event: @autoclosure () -> String) {
        guard isOn else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let line = String(format: "kinapse timeline: rank %ld %ld.%06ld ", JobRank.launched?.rank ?? 0, now.tv_sec, now.tv_nsec / 1000) + event() + "\n"
        let fd = descriptor.load(ordering: .acquiring)
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// The begin and end marks of the tasks one thread runs, in turn. The end mark carries
    /// the CPU seconds the thread spent on the task: on a machine shared with other programs
    /// a task's wall time says more about them, its CPU time what the task costs.
    final class TaskMarks: @unchecked Sendable {
        // Touched only by the thread that runs the tasks, one task after another.
        private var began = 0.0

        func begun(_ task: Int) {
            guard JobTimeline.isOn else { return }
            began = threadCPUSeconds()
            mark("task \(task) begun")
        }

        func ended(_ task: Int) {
            guard JobTimeline.isOn else { return }
            mark(String(format: "task %d ended, CPU %.3f s", task, threadCPUSeconds() - began))
        }
    }
}
