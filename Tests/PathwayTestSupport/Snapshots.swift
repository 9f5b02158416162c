import Foundation

/// Golden files: text a test produces, compared byte for byte with a committed copy. With
/// `KINAPSE_UPDATE_SNAPSHOTS=1` the copies are (re)written instead; look at the change
/// (for figures: `rsvg-convert FILE.svg -o /tmp/FILE.png`) before committing it.
public enum Snapshot {
    public static var updating: Bool { ProcessInfo.processInfo.environment["KINAPSE_UPDATE_SNAPSHOTS"] == "1" }

    /// `nil` when `text` equals the snapshot `name` in `directory` (or it was just written);
    /// otherwise what differs, for the test to record.
    public static func mismatch(_ text: String, name: String, in directory: URL) throws -> String? {
        let url = directory.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return "no snapshot \(name); record it with KINAPSE_UPDATE_SNAPSHOTS=1"
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard expected != text else { return nil }
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        return """
            \(name) differs from its snapshot at line \(line + 1) (KINAPSE_UPDATE_SNAPSHOTS=1 rewrites it):
              expected: \(line < a.count ? String(a[line]) : "<end>")
              actual:   \(line < b.count ? String(b[line]) : "<end>")
            """
    }
}
