public import SourceDiagnostics

extension SteadyStateError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(message, hint: hint)] }
    /// No steady state is the solver failing on a valid model; a bad name is bad input.
    public var exitStatus: ExitStatus { isBadRequest ? .badInput : .simulationFailed }
}
