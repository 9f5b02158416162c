import Foundation

/// Finds protocol files by name: a path as given, else `NAME.toml` in the protocols
/// directory beside the synapse's (`Pathways/protocols`), else in `./Pathways/protocols`.
public enum ProtocolLocator {
    public static func directories(near synapsePath: String?) -> [String] {
        var out: [String] = []
        if let synapsePath {
            let synapseDirectory = (synapsePath as NSString).deletingLastPathComponent
            out.append(((synapseDirectory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("protocols"))
        }
        out.append("Pathways/protocols")
        return out
    }

    /// The protocol's path, or `nil` and the names that do exist (for a did-you-mean).
    public static func find(_ name: String, near synapsePath: String?) -> (path: String?, available: [String]) {
        if FileManager.default.fileExists(atPath: name) { return (name, []) }
        var available: [String] = []
        for dir in directories(near: synapsePath) {
            let candidate = (dir as NSString).appendingPathComponent(name.hasSuffix(".toml") ? name : name + ".toml")
            if FileManager.default.fileExists(atPath: candidate) { return (candidate, []) }
            available += ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
        }
        return (nil, Array(Set(available)).sorted())
    }
}
