public import SourceDiagnostics
public import PathwayModel

/// Reads pathway files written in Kinapse's subset of Antimony (see docs/antimony-subset.md).
public enum AntimonyLoader {
    /// Loads a file and everything it imports; the model simulated is the file's main model.
    public static func load(path: String) throws(DiagnosticsError) -> Pathway {
        throw DiagnosticsError(.error("not implemented yet", at: nil))
    }

    /// Parses text already in memory (tests, stdin). Imports resolve relative to the
    /// directory of `source.path`.
    public static func load(source: SourceFile) throws(DiagnosticsError) -> Pathway {
        throw DiagnosticsError(.error("not implemented yet", at: nil))
    }
}
