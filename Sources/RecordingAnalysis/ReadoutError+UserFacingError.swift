public import SourceDiagnostics

extension ReadoutError: UserFacingError {
    public var diagnostics: [Diagnostic] { [diagnostic] }
}
