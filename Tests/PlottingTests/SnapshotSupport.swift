import Testing
import Foundation

/// Golden files in `Tests/PlottingTests/Snapshots/`. Run with `KINAPSE_UPDATE_SNAPSHOTS=1`
/// to (re)write them after an intended change, then look at the figures and commit.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static var updating: Bool { ProcessInfo.processInfo.environment["KINAPSE_UPDATE_SNAPSHOTS"] == "1" }

    static func expect(_ text: String, matches name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("no snapshot \(name); record it with KINAPSE_UPDATE_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard expected != text else { return }
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record("""
            \(name) differs from its snapshot at line \(line + 1) (KINAPSE_UPDATE_SNAPSHOTS=1 rewrites it):
              expected: \(line < a.count ? String(a[line]) : "<end>")
              actual:   \(line < b.count ? String(b[line]) : "<end>")
            """, sourceLocation: sourceLocation)
    }
}
