import SourceDiagnostics

/// A missing or failing C compiler is the environment's problem, reported as bad input.
extension NativeCodeError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
}
