import SourceDiagnostics

extension SuiteRunner.Failure: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description)] }
}

extension CaseSettings.FormatError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description)] }
}
