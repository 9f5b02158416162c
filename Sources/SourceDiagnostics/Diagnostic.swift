/// One message about the user's input: what is wrong, where, and what to do.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning, note
    }

    public var severity: Severity
    public var message: String
    /// Where the problem is; `nil` for problems that have no place in a file
    /// (a missing file, a command-line value).
    public var range: SourceRange?
    /// Short advice shown after the source excerpt ("did you mean 'CaCaM'?").
    public var hints: [String]

    public init(_ severity: Severity = .error, _ message: String, at range: SourceRange? = nil, hints: [String] = []) {
        self.severity = severity
        self.message = message
        self.range = range
        self.hints = hints
    }

    public static func error(_ message: String, at range: SourceRange?, hint: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: range, hints: hint.map { [$0] } ?? [])
    }

    /// `file:line:column: error: message` (the first line of the rendered form).
    public var description: String {
        if let range {
            return "\(range.file.path):\(range.startLocation): \(severity.rawValue): \(message)"
        }
        return "\(severity.rawValue): \(message)"
    }
}

/// Every diagnostic a stage collected before giving up. Front ends recover and keep
/// going, so a user sees all the problems in a file at once rather than one per run.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ diagnostic: Diagnostic) { self.diagnostics = [diagnostic] }
    public var description: String { DiagnosticRenderer().render(diagnostics) }
}

/// Collects diagnostics while a stage runs.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public mutating func add(_ d: Diagnostic) { diagnostics.append(d) }
    public mutating func error(_ message: String, at range: SourceRange?, hint: String? = nil) {
        add(.error(message, at: range, hint: hint))
    }
    /// Throws everything collected if any of it is an error.
    public func throwIfErrors() throws(DiagnosticsError) {
        if hasErrors { throw DiagnosticsError(diagnostics) }
    }
}
