import SourceDiagnostics

extension FitObjective.EvaluationFailure: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error(reason)] }
    public var exitStatus: ExitStatus { .simulationFailed }
}
