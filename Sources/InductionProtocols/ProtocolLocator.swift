import Foundation
import SourceDiagnostics

/// Finds protocol files by name: a path as given, else `NAME.toml` in the protocols
/// directory beside the synapse's (`Pathways/protocols` for `Pathways/synapses/X.toml`),
/// else in `protocols/` of each library directory (`LibraryPath`).
public enum ProtocolLocator {
    public static func directories(near synapsePath: String?) -> [String] {
        var out: [String] = []
        if let synapsePath {
            let synapseDirectory = PathName.directory(of: synapsePath)
            out.append((PathName.directory(of: synapseDirectory) as NSString).appendingPathComponent("protocols"))
        }
        out += LibraryPath.candidates().map { ($0 as NSString).appendingPathComponent("protocols") }
        return out
    }

    /// Every path where a protocol named `name` is looked for, in order.
    public static func candidates(_ name: String, near synapsePath: String?) -> [String] {
        let file = name.hasSuffix(".toml") ? name : name + ".toml"
        return [name] + directories(near: synapsePath).map { ($0 as NSString).appendingPathComponent(file) }
    }

    /// The protocol's path, or `nil` and the names that do exist (for a did-you-mean).
    public static func find(_ name: String, near synapsePath: String?) -> (path: String?, available: [String]) {
        if let path = candidates(name, near: synapsePath).first(where: { FileManager.default.fileExists(atPath: $0) }) { return (path, []) }
        return (nil, available(near: synapsePath))
    }

    /// Every protocol name found beside the synapse and in the libraries, sorted.
    public static func available(near synapsePath: String?) -> [String] {
        let names = directories(near: synapsePath).flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
        }
        return Array(Set(names)).sorted()
    }
}
