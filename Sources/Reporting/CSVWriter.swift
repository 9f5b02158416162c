public import KineticsCore
import Foundation

/// Writes trajectories as CSV: a header `time,<columns>`, one row per output time,
/// numbers in the shortest form that reads back as the same `Double`.
public enum CSVWriter {
    public static func text(_ trajectory: Trajectory, header: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(trajectory.rowCount * (trajectory.columns.count + 1) * 12)
        if header { out += (["time"] + trajectory.columns).joined(separator: ",") + "\n" }
        for r in 0..<trajectory.rowCount {
            out += format(trajectory.times[r])
            for c in 0..<trajectory.columns.count {
                out += ","
                out += format(trajectory.value(row: r, column: c))
            }
            out += "\n"
        }
        return out
    }

    /// The last line of a results file whose run stopped early: a comment, so readers
    /// that skip `#` lines still read the rows, and anyone looking sees why they stop.
    public static func partialMarker(_ reason: String) -> String {
        "# partial: " + reason.replacingOccurrences(of: "\n", with: " ") + "\n"
    }

    /// One number as the rows write it.
    public static func format(_ v: Double) -> String {
        if v == 0 { return "0" }  // also turns -0 into 0
        if v.isNaN { return "nan" }  // not "-nan": the sign of a NaN means nothing
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
