import SourceDiagnostics

/// Problems with a recording file. A binary file has no lines, so a diagnostic names the
/// file and, where it helps, the byte offset in the message itself.
enum RecordingError {
    static func error(_ path: String, _ message: String, hint: String? = nil) -> DiagnosticsError {
        DiagnosticsError(.error("\(path): \(message)", at: nil, hint: hint))
    }

    static func truncated(_ path: String, needed: Int, at offset: Int, what: String, size: Int) -> DiagnosticsError {
        error(path, "truncated: \(what) needs \(needed) bytes at byte \(offset), but the file ends at byte \(size)",
              hint: "the file is incomplete (an interrupted copy or acquisition?); copy it again from the acquisition computer")
    }
}
