public import SourceDiagnostics

/// Which written values of a set of pathway files no model among them uses, because every
/// model that instantiates theirs replaces them.
///
/// A module file gives each of its parameters a value so that it compiles on its own; an
/// importer that sets `cell.soma.gabaa.g_max = 25` replaces that default, and so does one that
/// binds an interface parameter to a name of its own that has a value. Whether a value is
/// replaced is decided by the flattener itself, not by reading the text: each file that no
/// other file of the set imports (a top-level model, such as a synapse) is flattened, and a
/// value is in use when its definition is the one the flattened model keeps for some symbol.
/// A value is `overridden` when its model is instantiated as a submodel in at least one of
/// those flattened models and its definition is kept by none of them.
public struct OverriddenDefaults: Sendable {
    private struct Place: Hashable, Sendable {
        let file: String
        let offset: Int
    }

    private struct ModelKey: Hashable, Sendable {
        let file: String
        let name: String
    }

    /// Definitions some top-level model keeps.
    private var kept: Set<Place> = []
    /// Models some top-level model instantiates as a submodel.
    private var modules: Set<ModelKey> = []

    /// An empty analysis: nothing is overridden.
    public init() {}

    /// Reads `paths` (pathway files) with their imports and flattens the main model of each
    /// one that no other of them imports. Errors are those of loading that file.
    public init(paths: [String]) throws(DiagnosticsError) {
        var programs: [(path: String, program: Program, sink: DiagnosticSink)] = []
        for path in paths {
            var sink = DiagnosticSink()
            let program = ProgramLoader.load(main: try SourceFile.read(path: path), into: &sink)
            try sink.throwIfErrors()
            programs.append((ProgramLoader.canonicalPath(path), program, sink))
        }
        // Canonical paths, so that a file imported as `../cells/x.ant` is the file listed as
        // `Pathways/cells/x.ant`; one per file read, since a model has thousands of values.
        var paths: [ObjectIdentifier: String] = [:]
        func place(_ range: SourceRange) -> Place {
            let key = ObjectIdentifier(range.file)
            if let path = paths[key] { return Place(file: path, offset: range.start) }
            let path = ProgramLoader.canonicalPath(range.file.path)
            paths[key] = path
            return Place(file: path, offset: range.start)
        }
        for (i, entry) in programs.enumerated()
        where !programs.indices.contains(where: { $0 != i && programs[$0].program.files.dropFirst().contains(entry.path) }) {
            var instantiator = ModelInstantiator(program: entry.program, sink: entry.sink)
            _ = instantiator.instantiateMainModel()
            try instantiator.sink.throwIfErrors()
            for record in instantiator.table.records.values {
                if let value = record.value { kept.insert(place(value.range)) }
            }
            for index in instantiator.submodelModels {
                let definition = entry.program.models[index].definition
                modules.insert(ModelKey(file: place(definition.nameRange).file, name: definition.name))
            }
        }
    }

    /// Whether every model instantiating `constant`'s model replaces its value.
    public func isOverridden(_ constant: WrittenConstant) -> Bool {
        guard let model = constant.model else { return false }
        let file = ProgramLoader.canonicalPath(constant.range.file.path)
        return modules.contains(ModelKey(file: file, name: model))
            && !kept.contains(Place(file: file, offset: constant.definitionRange.start))
    }
}
