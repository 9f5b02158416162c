import SourceDiagnostics

extension SensitivityError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
}
