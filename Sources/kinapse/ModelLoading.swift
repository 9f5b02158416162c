import ArgumentParser
import Foundation
import SourceDiagnostics
import PathwayModel
import AntimonyFrontEnd
import SBMLImport
import ModelCompiler
import NativeCode
import Reporting

/// Standard error, with colour only when it is a terminal.
enum Console {
    static var isTerminal: Bool { isatty(2) != 0 }
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
    static func report(_ diagnostics: [Diagnostic]) {
        error(DiagnosticRenderer(colored: isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil).render(diagnostics))
    }
}

/// Refuses outputs that would overwrite an input or each other (a usage error).
enum OutputCheck {
    static func refuseConflicts(_ outputs: [(option: String, path: String?)], inputs: [String]) throws {
        let named = outputs.compactMap { o in o.path.map { (option: o.option, path: $0) } }
        if let message = OutputPaths.conflict(outputs: named, inputs: inputs) { throw ValidationError(message) }
    }
}

/// Reads a model file in whichever format its name says, and compiles it.
/// Diagnostics are printed here, once, and turn into exit status 2.
enum ModelLoading {
    static func loadPathway(_ path: String) throws -> Pathway {
        let lower = path.lowercased()
        do {
            if lower.hasSuffix(".xml") || lower.hasSuffix(".sbml") {
                return try SBMLLoader.load(path: path)
            }
            return try AntimonyLoader.load(path: path)
        } catch {
            Console.report(error.diagnostics)
            throw Status.badInput
        }
    }

    static func compile(_ pathway: Pathway) throws -> CompiledModel {
        do {
            return try ModelCompiler.compile(pathway)
        } catch {
            Console.report(error.diagnostics)
            throw Status.badInput
        }
    }

    /// Help for `--native-code` on the commands that defer to `simulate`'s description.
    static let nativeCodeHelp: ArgumentHelp = "Compile the model's equations to machine code with the system C compiler (see 'kinapse simulate --help'): same results, faster."

    /// `--native-code`: the model running its equations as machine code (compiled now or
    /// found in the cache).
    static func nativeCode(for model: CompiledModel) throws -> (model: CompiledModel, outcome: NativeCode.Outcome) {
        do {
            return try NativeCode.compile(model)
        } catch {
            Console.error("error: \(error.message)\nhint: \(error.hint)")
            throw Status.badInput
        }
    }
}
