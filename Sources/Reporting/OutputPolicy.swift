import Foundation
import KinapseUtilities

/// What a run may write. An output may not be any file the run reads (compared by device
/// and inode for files that exist, so `./a/../x.csv`, a symbolic link and a hard link to
/// an input all count; by resolved path otherwise), nor another output of the same run;
/// its directory must exist; a read-only file is replaced only with `force`; a directory,
/// socket or block device is never written.
public struct OutputPolicy: Sendable {
    /// Every file the run reads, as named on the command line or in other files.
    public var inputs: [String]
    /// `--force`: replace read-only files.
    public var force: Bool

    public init(inputs: [String], force: Bool = false) {
        self.inputs = inputs
        self.force = force
    }

    /// Why an output is refused, with what to do instead.
    public struct Refusal: Error, CustomStringConvertible {
        public let message: String
        public let hint: String?
        public var description: String { message + (hint.map { "\nhint: \($0)" } ?? "") }
    }

    /// Checks all of a run's outputs together, before the first is written, so that a
    /// refused output never leaves the others half written. `outputs` pairs each path with
    /// the option that named it (`--out`).
    public func check(_ outputs: [(option: String, path: String)]) throws(Refusal) {
        // Rank 0 of an MPI job checks and writes; the others write nothing, and an output
        // directory rank 0 has yet to create would fail their check.
        guard JobRank.speaksForJob else { return }
        for output in outputs {
            if let input = input(at: output.path) {
                throw Refusal(message: "\(output.option) '\(output.path)' is the input file '\(input)'; refusing to overwrite an input",
                              hint: "write the output elsewhere: this run reads '\(input)'")
            }
        }
        var seen: [String: String] = [:]
        for output in outputs {
            let key = Self.resolved(output.path)
            if let earlier = seen[key] {
                throw Refusal(message: "\(earlier) and \(output.option) both name '\(output.path)'; give each output its own file", hint: nil)
            }
            seen[key] = output.option
        }
        for output in outputs {
            do { _ = try AtomicFile.Target(output.path, force: force) } catch {
                throw Refusal(message: "\(output.option): \(error.description)", hint: error.hint)
            }
        }
    }

    /// Writes one output after checking it again (a file read since `check` counts too).
    public func write(_ text: String, to path: String, option: String) throws(Refusal) {
        try write(to: path, option: option) { $0.write(text) }
    }

    /// Writes one output produced into the file as it goes (`AtomicFile.write(to:force:_:)`).
    public func write(to path: String, option: String, _ produce: (inout OutputSink) -> Void) throws(Refusal) {
        try check([(option, path)])
        do { try AtomicFile.write(to: path, force: force, produce) } catch {
            throw Refusal(message: error.description, hint: error.hint)
        }
    }

    /// The input that `path` names, by device and inode or by resolved path, if any.
    public func input(at path: String) -> String? {
        if let id = Self.identity(path), let input = inputs.first(where: { Self.identity($0) == id }) { return input }
        let target = Self.resolved(path)
        return inputs.first { Self.resolved($0) == target }
    }

    /// Whether two paths name one file (by device and inode when both exist).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        if let x = identity(a), let y = identity(b) { return x == y }
        return resolved(a) == resolved(b)
    }

    /// Whether `path` lies in `directory` or below it (links resolved).
    public static func isInside(_ path: String, directory: String) -> Bool {
        let base = resolved(directory)
        let target = resolved(path)
        return target.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }

    /// Device and inode of an existing file (following links).
    static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// The absolute path with every link resolved, as far as the path exists.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
    }
}
