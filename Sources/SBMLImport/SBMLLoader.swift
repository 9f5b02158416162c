public import SourceDiagnostics
public import PathwayModel

/// Reads SBML Level 2 and 3 files into a `Pathway` (issue 3; not implemented yet).
public enum SBMLLoader {
    public static func load(path: String) throws(DiagnosticsError) -> Pathway {
        throw DiagnosticsError(.error("unsupported: SBML files cannot be read yet; write the model in Antimony (docs/antimony-subset.md)", at: nil))
    }
}
