public import SourceDiagnostics

/// A value read from a configuration file (protocols, synapses, fit problems), with the
/// place it was written, so that every later complaint about it can point at it.
public struct ConfigValue: Sendable {
    public enum Kind: Sendable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case array([ConfigValue])
        case table(ConfigTable)
    }
    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    /// What the value is, for messages ("expected a number, found a string").
    public var typeName: String {
        switch kind {
        case .string: "a string"
        case .number: "a number"
        case .bool: "true or false"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A table: keys in the order written, each with the range of the key itself.
public struct ConfigTable: Sendable {
    public struct Entry: Sendable {
        public let key: String
        public let keyRange: SourceRange
        public var value: ConfigValue
    }
    public private(set) var entries: [Entry] = []
    /// Where the table was opened (`[header]`, `{`, or the file's start).
    public let range: SourceRange

    public init(range: SourceRange) { self.range = range }

    public subscript(key: String) -> ConfigValue? {
        entries.first { $0.key == key }?.value
    }

    public func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }

    public var keys: [String] { entries.map(\.key) }

    mutating func insert(_ entry: Entry) { entries.append(entry) }

    mutating func update(_ key: String, _ body: (inout ConfigValue) -> Void) {
        guard let i = entries.firstIndex(where: { $0.key == key }) else { return }
        body(&entries[i].value)
    }
}
