import Foundation
import KinapseUtilities
import SourceDiagnostics

/// A lock on a results directory, so two runs never write their files into it at once:
/// a file `.kinapse-fit.lock` created with O_EXCL and holding the owner's process id,
/// removed by `release()`. A lock whose process is gone (the run was killed) is reported,
/// not taken over: the directory may hold a half-written result set worth a look.
public final class OutputDirectoryLock: Sendable {
    public static let fileName = ".kinapse-fit.lock"
    public let path: String

    /// Creates the directory if needed and takes its lock; the refusal says why not
    /// (not writable, locked by a running process, or a stale lock and how to clear it).
    public init(_ directory: String) throws(OutputPolicy.Refusal) {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        // Under MPI rank 0 alone writes, so it alone makes the directory and holds the lock.
        guard JobRank.speaksForJob else { return }
        if let reason = Self.makeDirectory(directory) {
            throw OutputPolicy.Refusal(message: "cannot create the output directory '\(directory)': \(reason)", hint: "choose another --out-dir")
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        if fd >= 0 {
            let text = "\(getpid())\n"
            _ = text.withCString { Foundation.write(fd, $0, strlen($0)) }
            close(fd)
            return
        }
        guard errno == EEXIST else {
            throw OutputPolicy.Refusal(message: "the output directory '\(directory)' is not writable: \(String(cString: strerror(errno)))",
                                       hint: "choose another --out-dir")
        }
        let owner = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let owner, owner > 0, kill(owner, 0) == 0 || errno == EPERM {
            throw OutputPolicy.Refusal(message: "another kinapse run (process \(owner)) is writing to '\(directory)'",
                                       hint: "wait for it to finish, or choose another --out-dir")
        }
        throw OutputPolicy.Refusal(
            message: "'\(directory)' holds a stale lock from process \(owner.map(String.init) ?? "?"), which is no longer running (a run was killed)",
            hint: "check the files in '\(directory)', then remove '\(path)' and run again")
    }

    public func release() { if JobRank.speaksForJob { unlink(path) } }

    /// `mkdir -p`, with the system's reason when it fails (Foundation's is a bare error code).
    static func makeDirectory(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : "'\(path)' is a file, not a directory"
        }
        let parent = PathName.directory(of: path)
        if !parent.isEmpty, parent != path, let reason = makeDirectory(parent) { return reason }
        return mkdir(path, 0o777) == 0 || errno == EEXIST ? nil : String(cString: strerror(errno))
    }
}

/// `manifest.txt` in a results directory: the files of the run that wrote them, so a later
/// run into the same directory can remove the ones it does not write again.
public enum ResultManifest {
    public static let name = "manifest.txt"

    public static func text(files: [String], problem: String) -> String {
        "# kinapse fit \(problem.replacingOccurrences(of: "\n", with: " ")): the files of this fit. A later fit into this\n"
            + "# directory removes those it does not write again, so the directory never mixes two fits.\n"
            + files.map { $0 + "\n" }.joined()
    }

    /// The first words of every manifest a fit writes (`text`).
    static let header = "# kinapse fit "

    /// The file names an earlier fit's manifest lists (plain names inside the directory only);
    /// nil when the directory holds a `manifest.txt` that no fit wrote (it does not start with
    /// the header): that file is someone else's, so nothing it lists may be removed.
    public static func read(in directory: String) -> [String]? {
        let path = (directory as NSString).appendingPathComponent(name)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        guard text.hasPrefix(header) else { return nil }
        return text.split(whereSeparator: \.isNewline).map(String.init).filter { line in
            !line.isEmpty && !line.hasPrefix("#") && !line.contains("/") && line != ".." && line != "." && line != name
        }
    }

    /// Refuses a results directory whose `manifest.txt` no fit wrote, before the fit runs:
    /// a fit replaces the manifest and removes what an earlier fit's manifest lists.
    public static func refuseForeign(in directory: String) throws(OutputPolicy.Refusal) {
        guard read(in: directory) == nil else { return }
        throw OutputPolicy.Refusal(message: "'\((directory as NSString).appendingPathComponent(name))' was not written by kinapse fit; a fit replaces its manifest.txt",
                                   hint: "choose another --out-dir, or move that file away")
    }
}
