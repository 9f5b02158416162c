public import SourceDiagnostics
public import PathwayModel

/// Reads SBML Level 2 and 3 files (core) into a `Pathway`.
///
/// The XML is read by `XMLParser` (no external entities, no network, bounded depth and
/// size). Features the engine cannot simulate faithfully are refused with an
/// `unsupported: <feature> (at line:column)` error rather than simulated wrongly.
public enum SBMLLoader {
    public static func load(path: String) throws(DiagnosticsError) -> Pathway {
        try load(source: SourceFile.read(path: path))
    }

    public static func load(source: SourceFile) throws(DiagnosticsError) -> Pathway {
        let root = try XMLParser.parse(source)
        var converter = SBMLConverter(root: root)
        return try converter.convert()
    }
}
