import SourceDiagnostics

/// Collects the front end's diagnostics, stopping at a fixed number of errors so that
/// a binary or badly broken file yields a readable report instead of thousands of lines.
struct DiagnosticSink {
    static let errorLimit = 50

    private(set) var diagnostics: [Diagnostic] = []
    private(set) var errorCount = 0

    var isFull: Bool { errorCount >= Self.errorLimit }
    var hasErrors: Bool { errorCount > 0 }

    mutating func error(_ message: String, at range: SourceRange?, hint: String? = nil) {
        guard !isFull else { return }
        diagnostics.append(.error(message, at: range, hint: hint))
        errorCount += 1
        if isFull {
            diagnostics.append(Diagnostic(.note, "too many errors (\(Self.errorLimit)); stopping here", at: nil))
        }
    }

    /// Points at an earlier, related place ("first declared here"). Notes never count as errors.
    mutating func note(_ message: String, at range: SourceRange?) {
        guard !isFull else { return }
        diagnostics.append(Diagnostic(.note, message, at: range))
    }

    func throwIfErrors() throws(DiagnosticsError) {
        if hasErrors { throw DiagnosticsError(diagnostics) }
    }
}
