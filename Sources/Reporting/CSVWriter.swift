public import KineticsCore
import Foundation

/// Writes trajectories as CSV: a header `time,<columns>`, one row per output time,
/// numbers in the shortest form that reads back as the same `Double`.
public enum CSVWriter {
    public static func text(_ trajectory: Trajectory, header: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(trajectory.rowCount * (trajectory.columns.count + 1) * 12)
        rows(trajectory, header: header, to: &out)
        return out
    }

    /// The same text as `text(_:header:)`, streamed into an output file as it is formatted;
    /// `only`: these rows alone (ascending), not every row.
    public static func write(_ trajectory: Trajectory, only: [Int]? = nil, header: Bool = true, to sink: inout OutputSink) {
        rows(trajectory, only: only, header: header, to: &sink)
    }

    private static func rows(_ trajectory: Trajectory, only: [Int]? = nil, header: Bool, to out: inout some TextOutputStream) {
        let width = trajectory.columns.count
        if header { out.write((["time"] + trajectory.columns).joined(separator: ",") + "\n") }
        trajectory.values.withUnsafeBufferPointer { values in
            for r in only ?? Array(trajectory.times.indices) {
                write(trajectory.times[r], to: &out)
                for value in values[(r * width)..<((r + 1) * width)] {
                    out.write(",")
                    write(value, to: &out)
                }
                out.write("\n")
            }
        }
    }

    /// The last line of a results file whose run stopped early: a comment, so readers
    /// that skip `#` lines still read the rows, and anyone looking sees why they stop.
    public static func partialMarker(_ reason: String) -> String {
        "# partial: " + reason.replacingOccurrences(of: "\n", with: " ") + "\n"
    }

    /// One number as the rows write it.
    public static func format(_ v: Double) -> String {
        var text = ""
        write(v, to: &text)
        return text
    }

    private static func write(_ v: Double, to out: inout some TextOutputStream) {
        if v == 0 { return out.write("0") }  // also turns -0 into 0
        if v.isNaN { return out.write("nan") }  // not "-nan": the sign of a NaN means nothing
        if v == v.rounded(), abs(v) < 1e15 { return out.write(String(Int64(v))) }
        v.write(to: &out)  // Swift's shortest round-trip form, as `"\(v)"` prints it
    }
}
