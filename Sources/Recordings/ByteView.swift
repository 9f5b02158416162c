import Foundation
import SourceDiagnostics

/// Little-endian fields of a binary file, each read with a bounds check that turns a short
/// file into a "truncated" diagnostic naming what was being read.
struct ByteView: Sendable {
    let data: Data
    let path: String

    var count: Int { data.count }

    func require(_ offset: Int, _ length: Int, _ what: String) throws(DiagnosticsError) {
        guard offset >= 0, length >= 0, offset <= data.count - length else {
            throw RecordingError.truncated(path, needed: length, at: offset, what: what, size: data.count)
        }
    }

    private func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type, _ what: String) throws(DiagnosticsError) -> T {
        try require(offset, MemoryLayout<T>.size, what)
        return data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    func int16(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Int { Int(try load(offset, as: Int16.self, what)) }
    func int32(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Int { Int(try load(offset, as: Int32.self, what)) }
    func uint32(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Int { Int(try load(offset, as: UInt32.self, what)) }
    func int64(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Int { Int(try load(offset, as: Int64.self, what)) }
    func uint8(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Int { Int(try load(offset, as: UInt8.self, what)) }
    func float32(_ offset: Int, _ what: String) throws(DiagnosticsError) -> Double {
        Double(Float(bitPattern: try load(offset, as: UInt32.self, what)))
    }

    func bytes(_ offset: Int, _ length: Int, _ what: String) throws(DiagnosticsError) -> Data {
        try require(offset, length, what)
        return data.subdata(in: data.startIndex + offset..<data.startIndex + offset + length)
    }

    /// A fixed-width text field: ASCII up to the first NUL, trimmed (µ kept as written).
    func text(_ offset: Int, _ length: Int, _ what: String) throws(DiagnosticsError) -> String {
        let raw = try bytes(offset, length, what)
        let end = raw.firstIndex(of: 0) ?? raw.endIndex
        return Self.decode(raw[raw.startIndex..<end])
    }

    /// Latin-1, the encoding pClamp writes (0xB5 is µ).
    static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })).trimmingCharacters(in: .whitespaces)
    }
}
