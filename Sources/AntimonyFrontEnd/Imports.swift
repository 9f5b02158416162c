import Foundation
import SourceDiagnostics

/// Everything the main file and its imports define, in Antimony's order: an `import` acts
/// as if the imported file were pasted at that point, so its models come before the
/// models that follow the import.
struct Program {
    struct Model {
        var definition: ModelDefinition
        /// Position in definition order; a model may only use models defined before it.
        var sequence: Int
    }

    struct MainStatement {
        var statement: Statement
        var range: SourceRange
        var sequence: Int
    }

    var models: [Model] = []
    var modelIndex: [String: Int] = [:]
    var functions: [FunctionDeclaration] = []
    var functionIndex: [String: Int] = [:]
    /// Statements outside any model in the main file (Antimony's `__main`).
    var mainStatements: [MainStatement] = []
    /// Canonical paths of the files read, the main file first.
    var files: [String] = []
}

/// Reads the main file and, depth first, every file it imports. Relative import paths are
/// resolved against the importing file's directory. A file is read once: a later import of
/// a file already read adds nothing, since its models are already defined (so two cell files
/// can both import the shared components, and a synapse can import both). Cycles and
/// missing files are errors at the `import` that causes them.
struct ProgramLoader {
    private(set) var program = Program()
    private var sink: DiagnosticSink
    private var sequence = 0
    /// Canonical paths of the files being read, outermost first (for cycle messages).
    private var activeFiles: [(path: String, shownAs: String)] = []
    /// Canonical path of every file read so far.
    private var loadedFiles: Set<String> = []

    private init(sink: DiagnosticSink) { self.sink = sink }

    static func load(main file: SourceFile, into sink: inout DiagnosticSink) -> Program {
        var loader = ProgramLoader(sink: sink)
        loader.read(file, isMainFile: true)
        sink = loader.sink
        return loader.program
    }

    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    private mutating func read(_ file: SourceFile, isMainFile: Bool) {
        let canonical = Self.canonicalPath(file.path)
        loadedFiles.insert(canonical)
        program.files.append(canonical)
        activeFiles.append((canonical, file.path))
        defer { activeFiles.removeLast() }

        let parsed = Parser.parse(file, into: &sink)
        var reportedTopLevelStatement = false
        for item in parsed.items {
            sequence += 1
            switch item {
            case .import(let directive):
                readImport(directive, from: file)
            case .model(let model):
                register(model)
            case .function(let function):
                register(function)
            case .statement(let statement, let range):
                if isMainFile {
                    program.mainStatements.append(.init(statement: statement, range: range, sequence: sequence))
                } else if !reportedTopLevelStatement {
                    // Antimony would merge these into the importing file's top-level model.
                    sink.error("unsupported: statements outside a model in an imported file; put them inside 'model … end'",
                               at: range)
                    reportedTopLevelStatement = true
                }
            }
        }
    }

    private mutating func readImport(_ directive: ImportDirective, from importer: SourceFile) {
        let directory = PathName.directory(of: importer.path)
        let path = directive.path.hasPrefix("/") || directory.isEmpty
            ? directive.path
            : (directory as NSString).appendingPathComponent(directive.path)
        let canonical = Self.canonicalPath(path)
        if let cycleStart = activeFiles.firstIndex(where: { $0.path == canonical }) {
            let chain = (activeFiles[cycleStart...].map(\.shownAs) + [path]).map { "'\($0)'" }.joined(separator: " → ")
            sink.error("import cycle: \(chain)", at: directive.range)
            return
        }
        if loadedFiles.contains(canonical) { return }
        if let problem = SourceFile.sizeProblem(path: path) {
            sink.error("cannot import '\(directive.path)': \(problem)", at: directive.range)
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let file = SourceFile.readIfPresent(path: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read" : "cannot find"
            // The hint spells the file the way the import does, relative to the importer.
            let hint = reason == "cannot find"
                ? Suggestions.closestFile(to: path).map { "did you mean '\(Suggestions.sibling($0, of: directive.path))'?" } : nil
            sink.error("\(reason) imported file '\(directive.path)' (looked for '\(path)')", at: directive.range, hint: hint)
            return
        }
        read(file, isMainFile: false)
    }

    private mutating func register(_ model: ModelDefinition) {
        if let earlier = program.modelIndex[model.name] {
            let first = program.models[earlier].definition.nameRange
            sink.error("model '\(model.name)' is already defined", at: model.nameRange)
            sink.note("'\(model.name)' was first defined here", at: first)
            return
        }
        if let function = program.functionIndex[model.name] {
            sink.error("'\(model.name)' is already the name of a function", at: model.nameRange)
            sink.note("function '\(model.name)' is defined here", at: program.functions[function].nameRange)
            return
        }
        program.modelIndex[model.name] = program.models.count
        program.models.append(.init(definition: model, sequence: sequence))
    }

    private mutating func register(_ function: FunctionDeclaration) {
        if let earlier = program.functionIndex[function.name] {
            sink.error("function '\(function.name)' is already defined", at: function.nameRange)
            sink.note("'\(function.name)' was first defined here", at: program.functions[earlier].nameRange)
            return
        }
        if let model = program.modelIndex[function.name] {
            sink.error("'\(function.name)' is already the name of a model", at: function.nameRange)
            sink.note("model '\(function.name)' is defined here", at: program.models[model].definition.nameRange)
            return
        }
        var seen: [String: SourceRange] = [:]
        for parameter in function.parameters {
            if let first = seen[parameter.name] {
                sink.error("parameter '\(parameter.name)' appears twice in function '\(function.name)'", at: parameter.range)
                sink.note("first '\(parameter.name)' is here", at: first)
            }
            seen[parameter.name] = parameter.range
        }
        program.functionIndex[function.name] = program.functions.count
        program.functions.append(function)
    }
}
