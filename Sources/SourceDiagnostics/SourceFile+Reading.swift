import Foundation

extension SourceFile {
    /// Reads a file from disk. Invalid UTF-8 is decoded as replacement characters, so
    /// that readers report it at its position instead of the whole file failing to load.
    public static func read(path: String) throws(DiagnosticsError) -> SourceFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DiagnosticsError(.error("cannot find '\(path)'", at: nil, hint: Suggestions.didYouMean(file: path)))
        }
        guard !isDirectory.boolValue else {
            throw DiagnosticsError(.error("'\(path)' is a directory, not a file", at: nil))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticsError(.error("cannot read '\(path)': permission denied or not a regular file", at: nil))
        }
        return SourceFile(path: path, text: String(decoding: data, as: UTF8.self))
    }
}
