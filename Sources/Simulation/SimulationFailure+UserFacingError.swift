import SourceDiagnostics

extension SimulationFailure: UserFacingError {
    public var diagnostics: [Diagnostic] {
        var message = "simulation failed at t = \(reachedTime): \(reason)"
        if let culprit { message += "\n  offending variable: \(culprit)" }
        return [.error(message, hint: hint)]
    }

    /// The rows computed up to the failure are still written, so the run, not its input, failed.
    public var exitStatus: ExitStatus { .simulationFailed }
}
