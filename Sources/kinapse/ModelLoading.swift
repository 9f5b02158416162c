import ArgumentParser
import Foundation
import SourceDiagnostics
import PathwayModel
import AntimonyFrontEnd
import SBMLImport
import Reporting
import SynapseModel

/// Standard error, with colour only when it is a terminal.
enum Console {
    static var isTerminal: Bool { isatty(2) != 0 }
    /// A failed write to standard error has nowhere left to be reported, so it is dropped.
    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }
    static func report(_ diagnostics: [Diagnostic]) {
        error(DiagnosticRenderer(colored: isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil).render(diagnostics))
    }
    /// What an error says: its own diagnostics, or its description for a type that has none.
    static func diagnostics(of error: any Error) -> [Diagnostic] {
        (error as? any UserFacingError)?.diagnostics ?? [.error(String(describing: error))]
    }
}

/// Outputs under the one `OutputPolicy`: never a file the run reads (every file read so
/// far, from `FilesRead`, plus the inputs named), never each other, never a read-only
/// file without `--force`. Refusals are usage errors (exit status 2).
enum OutputCheck {
    static func policy(inputs: [String] = [], force: Bool) -> OutputPolicy {
        OutputPolicy(inputs: FilesRead.all + inputs, force: force)
    }

    /// In `validate()`: before anything is read, against the inputs named on the command line.
    static func refuseConflicts(_ outputs: [(option: String, path: String?)], inputs: [String], force: Bool) throws {
        do { try policy(inputs: inputs, force: force).check(named(outputs)) } catch {
            throw ValidationError(error.description)
        }
        // An existing file may be an input read later (an import): check(_:) says so first.
        for (option, path) in outputs where option == "--plot" && !FileManager.default.fileExists(atPath: path ?? "") {
            try PlotOutput.requireSVG(path, option: option)
        }
    }

    /// In `run()`: after the inputs are read and before anything is computed or written.
    static func check(_ outputs: [(option: String, path: String?)], inputs: [String] = [], force: Bool) throws {
        try policy(inputs: inputs, force: force).check(named(outputs))
        for (option, path) in outputs where option == "--plot" { try PlotOutput.requireSVG(path, option: option) }
    }

    /// Writes one output atomically, after checking it against everything read by now.
    static func write(_ text: String, to path: String, option: String, force: Bool) throws {
        try policy(force: force).write(text, to: path, option: option)
    }

    /// The same, formatted into the file as it goes (a long time course).
    static func write(to path: String, option: String, force: Bool, _ produce: (inout OutputSink) -> Void) throws {
        try policy(force: force).write(to: path, option: option, produce)
    }

    private static func named(_ outputs: [(option: String, path: String?)]) -> [(option: String, path: String)] {
        outputs.compactMap { o in o.path.map { (option: o.option, path: $0) } }
    }
}

/// Reads a model file in whichever format its content says (SBML starts with '<', whatever
/// the file is called), and compiles it.
enum ModelLoading {
    static func loadPathway(_ path: String) throws(DiagnosticsError) -> Pathway {
        switch FileKind.of(path: path) {
        case .sbml: return try SBMLLoader.load(path: path)
        case .pathway, .none: return try AntimonyLoader.load(path: path)
        case .some(let kind): throw DiagnosticsError(.error("'\(path)' is \(kind.rawValue), not a pathway", hint: kind.usage))
        }
    }
}

/// Input files named on the command line: a path as given, else a shipped file by name
/// (`kinapse simulate golgi_granule`, `kinapse stdp entorhinal_stellate_rig`) from the library
/// (`LibraryPath`), so that every name the listings print works from any directory.
enum LibraryLookup {
    /// `validate()` of a command whose argument names a synapse: it exists and is one.
    static func requireSynapse(_ name: String) throws {
        guard let path = resolve(name) else { throw notFound(name) }
        if let kind = FileKind.of(path: path), kind != .synapse {
            throw ValidationError("'\(path)' is \(kind.rawValue), not a synapse definition; \(kind.usage)")
        }
    }

    /// Where a bare name is looked for, relative to each library directory.
    static let places: [(directory: String, ending: String)] = [("synapses", "toml"), ("", "ant"), ("", "xml")]

    static func relativePaths(_ name: String) -> [String] {
        let ending = (name as NSString).pathExtension
        return places.filter { ending.isEmpty || $0.ending == ending }.map { place in
            (place.directory as NSString).appendingPathComponent(ending.isEmpty ? "\(name).\(place.ending)" : name)
        }
    }

    /// The file to read: `name` itself when it exists or names a path (a missing path is
    /// reported by its reader), else the first match in the library, else nil.
    static func resolve(_ name: String) -> String? {
        if FileManager.default.fileExists(atPath: name) || name.contains("/") { return name }
        for relative in relativePaths(name) {
            if let path = LibraryPath.find(relative).path { return path }
        }
        return nil
    }

    /// "Not found", with every place tried and the nearest shipped name.
    static func notFound(_ name: String) -> ValidationError {
        let tried = [name] + relativePaths(name).flatMap { LibraryPath.find($0).tried }
        let shipped = LibraryPath.directories().flatMap { library in
            places.flatMap { place in
                let directory = (library as NSString).appendingPathComponent(place.directory)
                return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                    .filter { $0.hasSuffix("." + place.ending) }.map { ($0 as NSString).deletingPathExtension }
            }
        }
        let suggestion = Suggestions.didYouMean(name, among: shipped).map { "\nhint: \($0)" } ?? ""
        return ValidationError("cannot find '\(name)'; looked for:\n  " + tried.joined(separator: "\n  ") + suggestion
                               + "\nhint: KINAPSE_PATH=DIR:… adds library directories (see 'kinapse synapses', 'kinapse pathways')")
    }
}
