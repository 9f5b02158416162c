import SourceDiagnostics

/// An output refused by the policy, or one that could not be written, is a usage problem
/// (exit status 2) in every command: never the solver-failure status.
extension OutputPolicy.Refusal: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
}

extension AtomicFile.WriteError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description, hint: hint)] }
}
