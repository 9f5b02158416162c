import SourceDiagnostics

extension PlotError: UserFacingError {
    public var diagnostics: [Diagnostic] {
        if case .unknownColumn(let name, let available) = self {
            return [.error(description, hint: Suggestions.didYouMean(name, among: available) ?? "columns: \(available.joined(separator: ", "))")]
        }
        return [.error(description)]
    }
}

/// Without the file's text there is no excerpt; `kinapse plot` and `check` locate these
/// in the `SourceFile` they read, with a caret (`Diagnostic(_:in:)`).
extension CSVError: UserFacingError {
    public var diagnostics: [Diagnostic] { [.error("\(path):\(line):\(column): \(message)", hint: hint)] }

    /// The error at its cell in `file`, the text it was parsed from.
    public func diagnostic(in file: SourceFile) -> Diagnostic {
        Diagnostic(.error, message, at: SourceRange(file: file, start: offset, end: offset + length), hints: hint.map { [$0] } ?? [])
    }
}

extension CSVPlotError: UserFacingError {
    public var diagnostics: [Diagnostic] {
        switch self {
        case .csv(let e), .unrecognised(let e): e.diagnostics
        case .plot(let e): e.diagnostics
        }
    }
}
