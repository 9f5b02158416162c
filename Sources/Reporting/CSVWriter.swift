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

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }  // also turns -0 into 0
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// Output files are written whole or not at all: to a temporary file beside the target,
/// then renamed over it, so an interrupted run never leaves a truncated result.
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
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, reason: error.localizedDescription)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, reason: reason)
        }
    }
}
