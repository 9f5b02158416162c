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

extension AntimonyLoader {
    /// Parses one formula written inside another file (a fit problem's observable
    /// `expression = "…"`), with the pathway language's syntax. `range` covers the formula's
    /// text; names in the result and errors point into `range.file`, so a caret lands under
    /// the right character of the line the user wrote.
    public static func parseExpression(in range: SourceRange) throws(DiagnosticsError) -> Expression {
        let original = range.file
        // Everything outside the formula becomes spaces (line breaks kept), so offsets,
        // lines and columns stay those of the original file.
        var bytes = original.utf8
        for i in bytes.indices where (i < range.start || i >= range.end) && bytes[i] != UInt8(ascii: "\n") {
            bytes[i] = UInt8(ascii: " ")
        }
        let isolated = SourceFile(path: original.path, text: String(decoding: bytes, as: UTF8.self))
        func back(_ r: SourceRange?) -> SourceRange? { r.map { SourceRange(file: original, start: $0.start, end: $0.end) } }
        var sink = DiagnosticSink()
        let parsed = Parser.parseLoneExpression(isolated, into: &sink)
        guard let parsed, !sink.hasErrors else {
            var diagnostics = sink.diagnostics.map { d in
                var d = d
                d.range = back(d.range)
                return d
            }
            if diagnostics.isEmpty { diagnostics = [.error("expected an expression", at: range)] }
            throw DiagnosticsError(diagnostics)
        }
        func relocate(_ e: Expression) -> Expression {
            switch e {
            case .number, .time: e
            case .symbol(let name, let r): .symbol(name, back(r))
            case .unary(let op, let a): .unary(op, relocate(a))
            case .binary(let op, let a, let b): .binary(op, relocate(a), relocate(b))
            case .call(let f, let args, let r): .call(f, args.map(relocate), back(r))
            }
        }
        return relocate(parsed)
    }
}
