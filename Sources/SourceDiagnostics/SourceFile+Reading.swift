import Foundation

extension SourceFile {
    /// Largest input file read (models, synapses, protocols, CSV): far beyond any real
    /// one, small enough that reading and indexing it cannot exhaust memory.
    public static let maximumFileSize = 64 * 1024 * 1024

    /// Why a file of this many bytes is refused, or nil when its size is fine.
    public static func sizeProblem(path: String) -> String? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
              size.intValue > maximumFileSize else { return nil }
        return "'\(path)' is \(size.intValue / (1024 * 1024)) MiB; input files are limited to \(maximumFileSize / (1024 * 1024)) MiB"
    }

    /// Reads a file from disk. Invalid UTF-8 is decoded as replacement characters, so
    /// that readers report it at its position instead of the whole file failing to load.
    public static func read(path: String) throws(DiagnosticsError) -> SourceFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DiagnosticsError(.error("cannot find '\(path)'", at: nil, hint: Suggestions.didYouMean(file: path)))
        }
        guard !isDirectory.boolValue else {
            throw DiagnosticsError(.error("'\(path)' is a directory, not a file", at: nil))
        }
        if let problem = sizeProblem(path: path) { throw DiagnosticsError(.error(problem, at: nil)) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticsError(.error("cannot read '\(path)': permission denied or not a regular file", at: nil))
        }
        return SourceFile(path: path, text: String(decoding: data, as: UTF8.self))
    }
}
