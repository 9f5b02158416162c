import Testing
import SourceDiagnostics
import PathwayModel
@testable import AntimonyFrontEnd

/// Loads Antimony text, recording the failure (with the rendered diagnostics) if it does not load.
func load(_ text: String, path: String = "test.ant", sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Pathway? {
    do {
        return try AntimonyLoader.load(source: SourceFile(path: path, text: text))
    } catch {
        Issue.record("unexpected diagnostics:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The diagnostics of text that must fail to load.
func diagnostics(_ text: String, path: String = "test.ant", sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Diagnostic] {
    do {
        let pathway = try AntimonyLoader.load(source: SourceFile(path: path, text: text))
        Issue.record("expected an error, but the text loaded as \(pathway.name)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.diagnostics
    }
}

/// The first error, as "line:column: message".
func firstError(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
    guard let error = diagnostics(text, sourceLocation: sourceLocation).first(where: { $0.severity == .error }) else {
        return "(no error)"
    }
    let location = error.range.map { "\($0.startLocation)" } ?? "-"
    return "\(location): \(error.message)"
}

extension Pathway {
    func species(_ id: String) -> Species? { species.first { $0.id == id } }
    func parameter(_ id: String) -> Parameter? { parameters.first { $0.id == id } }
    func compartment(_ id: String) -> Compartment? { compartments.first { $0.id == id } }
    func reaction(_ id: String) -> Reaction? { reactions.first { $0.id == id } }
    func event(_ id: String) -> Event? { events.first { $0.id == id } }
}
