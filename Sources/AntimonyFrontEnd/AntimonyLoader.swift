public import SourceDiagnostics
public import PathwayModel

/// Reads pathway files written in Kinapse's subset of Antimony (see docs/antimony-subset.md).
public enum AntimonyLoader {
    /// Loads a file and everything it imports; the model simulated is the file's main model.
    public static func load(path: String) throws(DiagnosticsError) -> Pathway {
        try load(source: SourceFile.read(path: path))
    }

    /// Parses text already in memory (tests, stdin). Imports resolve relative to the
    /// directory of `source.path`.
    public static func load(source: SourceFile) throws(DiagnosticsError) -> Pathway {
        var sink = DiagnosticSink()
        let program = ProgramLoader.load(main: source, into: &sink)
        // Syntax errors first: resolving names in a half-parsed file would only add noise.
        try sink.throwIfErrors()
        var instantiator = ModelInstantiator(program: program, sink: sink)
        let name = instantiator.instantiateMainModel()
        sink = instantiator.sink
        try sink.throwIfErrors()
        let pathway = PathwayEmitter.emit(name: name, table: instantiator.table, functions: program.functions, into: &sink)
        try sink.throwIfErrors()
        return pathway
    }
}
