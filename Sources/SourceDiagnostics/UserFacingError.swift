/// How `kinapse` ends, as documented in the README ("Exit status") and in
/// docs/robustness.md. A closed set: scripts branch on these numbers.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything asked for was done and written.
    case success = 0
    /// The solver (or a run it drives) failed; what was computed before the failure was
    /// still written, marked by a last line `# partial: …`.
    case simulationFailed = 1
    /// Bad input or usage: a file that does not parse, a name that does not exist, an output
    /// that may not or could not be written. Nothing half written is left behind.
    case badInput = 2
}

/// An error a user can act on: what to show (rendered once, at the command-line edge,
/// by `DiagnosticRenderer`) and the exit status it ends the process with. Libraries
/// throw these and never print; the executable renders them in one place.
public protocol UserFacingError: Error {
    /// At least one `.error`, then any notes; hints ride on the diagnostics.
    var diagnostics: [Diagnostic] { get }
    var exitStatus: ExitStatus { get }
}

extension UserFacingError {
    /// Most errors are about the input; failures of a run say otherwise.
    public var exitStatus: ExitStatus { .badInput }
}

extension Diagnostic {
    /// An error with no place in a file, e.g. from a `message` and optional `hint` pair.
    public static func error(_ message: String, hint: String? = nil) -> Diagnostic {
        .error(message, at: nil, hint: hint)
    }
}

extension DiagnosticsError: UserFacingError {}

/// A failure of the run rather than of its input (exit status 1), raised by the edge after
/// it wrote the partial results, e.g. "3 pairings failed".
public struct RunFailure: UserFacingError, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]
    public var exitStatus: ExitStatus { .simulationFailed }
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { DiagnosticRenderer().render(diagnostics) }
}
