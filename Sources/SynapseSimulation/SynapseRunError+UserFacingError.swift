import SourceDiagnostics

extension SynapseRunError: UserFacingError {
    public var diagnostics: [Diagnostic] {
        switch self {
        case .diagnostics(let error): error.diagnostics
        case .request(let message, let hint): [.error(message, hint: hint)]
        }
    }
}
