import Foundation
import Synchronization

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
        guard let file = readIfPresent(path: path) else {
            throw DiagnosticsError(.error("cannot read '\(path)': permission denied or not a regular file", at: nil))
        }
        return file
    }

    /// The file's text, or nil when it cannot be read. Every file read is recorded in
    /// `FilesRead`, so that no output of the run can overwrite it; a leading UTF-8 byte
    /// order mark (written by some Windows editors) is dropped.
    public static func readIfPresent(path: String) -> SourceFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        FilesRead.record(path)
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let bytes = data.starts(with: bom) ? data.dropFirst(bom.count) : data[...]
        return SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self))
    }
}

/// Every input file this process has read, so that an output can be refused when it
/// would overwrite one (the model's imports, a synapse's pathway, a fit's data files).
public enum FilesRead {
    private static let paths = Mutex<[String]>([])

    public static func record(_ path: String) {
        paths.withLock { if !$0.contains(path) { $0.append(path) } }
    }

    /// The files read so far, as they were named, in the order first read.
    public static var all: [String] { paths.withLock { $0 } }
}
