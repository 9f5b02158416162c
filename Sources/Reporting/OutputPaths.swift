import Foundation

/// Guards against an output path that would overwrite an input, or two outputs that
/// would overwrite each other. Files are compared by identity (device and inode, through
/// symbolic and hard links), so `./run.ant`, `dir/../run.ant` and a link to it all count
/// as the same file; outputs that do not exist yet are compared by resolved path.
public enum OutputPaths {
    /// An explanation of the first conflict, or nil when the outputs are safe to write.
    /// `outputs` pairs each path with the option that named it (`--out`).
    public static func conflict(outputs: [(option: String, path: String)], inputs: [String]) -> String? {
        for output in outputs {
            guard let outputID = identity(output.path) else { continue }
            for input in inputs where identity(input) == outputID {
                return "\(output.option) '\(output.path)' is the input file '\(input)'; refusing to overwrite an input"
            }
        }
        var seen: [String: String] = [:]
        for output in outputs {
            let key = resolved(output.path)
            if let earlier = seen[key] {
                return "\(earlier) and \(output.option) both name '\(output.path)'; give each output its own file"
            }
            seen[key] = output.option
        }
        return nil
    }

    /// Device and inode of an existing file (following links).
    static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// The absolute path with its directory's links resolved (the file need not exist).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let directory = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return directory.appendingPathComponent(url.lastPathComponent).path
    }
}
