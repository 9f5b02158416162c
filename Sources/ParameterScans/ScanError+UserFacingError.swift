public import SourceDiagnostics

extension ScanError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
}
