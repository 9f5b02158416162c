import Testing
import Foundation
import PathwayTestSupport

/// Golden SVGs in `Tests/PlottingTests/Snapshots/` (see `Snapshot` for updating them).
enum FigureSnapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func expect(_ text: String, matches name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if let problem = try Snapshot.mismatch(text, name: name, in: directory) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }
}
