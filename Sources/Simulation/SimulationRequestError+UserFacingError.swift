import SourceDiagnostics

extension SimulationRequestError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
}
