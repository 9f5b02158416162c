import Foundation
public import SourceDiagnostics

/// Opens a recording in whichever format its first bytes announce: `ABF ` (ABF1),
/// `ABF2`, or the HDF5 signature (NWB).
public enum RecordingReader {
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func read(path: String) throws(DiagnosticsError) -> Recording {
        let data = try contents(of: path)
        let head = [UInt8](data.prefix(8))
        if head.starts(with: Array("ABF".utf8)) { return try ABFReader.read(data, path: path) }
        if head == hdf5Signature { return try NWBReader.read(path: path) }
        let shown = head.prefix(4).map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
        throw RecordingError.error(path, "not a recording: the file starts with '\(shown)', which is neither ABF ('ABF ', 'ABF2') nor NWB (HDF5)",
                                   hint: "kinapse readouts reads Axon ABF files (pClamp) and NWB 2 files with intracellular recordings")
    }

    /// The file's bytes, mapped rather than copied, so a long recording costs no more
    /// memory than the pages analysis touches.
    static func contents(of path: String) throws(DiagnosticsError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DiagnosticsError(.error("cannot find '\(path)'", at: nil, hint: Suggestions.didYouMean(file: path)))
        }
        guard !isDirectory.boolValue else { throw DiagnosticsError(.error("'\(path)' is a directory, not a recording", at: nil)) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DiagnosticsError(.error("cannot read '\(path)': \(error.localizedDescription)", at: nil))
        }
    }
}
