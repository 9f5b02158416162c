import SourceDiagnostics

extension ParameterSpaceError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description)] }
}

/// LAPACK missing or failing on a fit's matrices: no partial result is written.
extension LinearAlgebraError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description)] }
}

extension EvaluationError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(description)] }
    public var exitStatus: ExitStatus { .simulationFailed }
}
