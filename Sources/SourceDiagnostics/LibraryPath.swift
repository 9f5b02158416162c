import Foundation

/// Where the shipped library (`Pathways/`: pathway files, `synapses/`, `protocols/`) is
/// found, so that names the listings print work from any directory. In order:
///
/// 1. each directory of `KINAPSE_PATH` (colon-separated; a directory holding `Pathways/`
///    stands for that `Pathways/`);
/// 2. `./Pathways`, the repository root as working directory;
/// 3. the first `Pathways/` found walking up from the executable's own directory (a build
///    in `.build/release/` or `.build/debug/` finds the repository's);
/// 4. `<prefix>/share/kinapse/Pathways` for an executable installed as `<prefix>/bin/kinapse`.
public enum LibraryPath {
    /// Every library directory, in search order, whether or not it exists (for messages).
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var out: [String] = []
        for entry in (environment["KINAPSE_PATH"] ?? "").split(separator: ":").map(String.init) where !entry.isEmpty {
            let nested = (entry as NSString).appendingPathComponent("Pathways")
            out.append(isDirectory(nested) ? nested : entry)
        }
        out.append("Pathways")
        if let executable = executableDirectory() {
            var directory = executable
            while directory != "/" && !directory.isEmpty {
                let library = (directory as NSString).appendingPathComponent("Pathways")
                if isDirectory(library) { out.append(library); break }
                directory = PathName.directory(of: directory)
            }
            let prefix = PathName.directory(of: executable)
            out.append(((prefix as NSString).appendingPathComponent("share/kinapse") as NSString).appendingPathComponent("Pathways"))
        }
        var seen = Set<String>()
        return out.filter { seen.insert(canonical($0)).inserted }
    }

    /// The library directories that exist, in search order.
    public static func directories() -> [String] {
        candidates().filter(isDirectory)
    }

    /// The first file `relative` (e.g. `synapses/vta_no.toml`) in the library, or nil and
    /// every path tried (for a "not found" message).
    public static func find(_ relative: String) -> (path: String?, tried: [String]) {
        var tried: [String] = []
        for library in candidates() {
            let path = (library as NSString).appendingPathComponent(relative)
            tried.append(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { return (path, tried) }
        }
        return (nil, tried)
    }

    /// The directory of the running executable (symbolic links resolved).
    static func executableDirectory() -> String? {
        guard let path = Bundle.main.executableURL?.resolvingSymlinksInPath().path else { return nil }
        return PathName.directory(of: path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
