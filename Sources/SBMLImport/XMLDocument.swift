public import SourceDiagnostics

/// One element of a parsed XML document: its name, resolved namespace, attributes,
/// children and the character data between them.
///
/// Only what SBML needs is kept: no comments, no processing instructions, no DTD.
public final class XMLElement: Sendable {
    /// The local name (`species`, `apply`), without any prefix.
    public let name: String
    /// The namespace URI the element's prefix (or the default namespace) resolves to.
    public let namespace: String?
    /// Attributes as written; `prefix` is empty for unprefixed attributes.
    public let attributes: [Attribute]
    public let children: [XMLElement]
    /// Character data: `textParts[i]` is the text before child `i`; the last part
    /// follows the last child. Always `children.count + 1` parts.
    public let textParts: [String]
    /// Where the start tag begins.
    public let range: SourceRange
    /// Where a childless element's character data is written, without the white space
    /// around it (the identifier of a MathML `<ci>`); nil when it has children or no text.
    public let textRange: SourceRange?

    public struct Attribute: Sendable {
        public let prefix: String
        public let name: String
        public let namespace: String?
        public let value: String
    }

    init(name: String, namespace: String?, attributes: [Attribute], children: [XMLElement],
         textParts: [String], range: SourceRange, textRange: SourceRange? = nil) {
        self.name = name; self.namespace = namespace; self.attributes = attributes
        self.children = children; self.textParts = textParts; self.range = range
        self.textRange = textRange
    }

    /// All character data directly inside the element.
    public var text: String { textParts.joined() }

    /// The value of the unprefixed attribute `name`, or of a prefixed one in `namespace`.
    public func attribute(_ name: String, namespace: String? = nil) -> String? {
        if let namespace {
            return attributes.first { $0.name == name && $0.namespace == namespace }?.value
        }
        return attributes.first { $0.name == name && $0.prefix.isEmpty }?.value
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// The children of the first child called `list` (for `listOfSpecies` and the like).
    public func list(_ list: String) -> [XMLElement] { child(list)?.children ?? [] }
}

/// A small, defensive XML parser for SBML files.
///
/// Safe with hostile input: it never resolves external entities or fetches anything,
/// skips a DOCTYPE without interpreting it (so entity declarations have no effect and
/// only the five predefined entities and character references are expanded), and
/// enforces limits on input size, nesting depth, element count and attribute count.
/// Every error carries the line and column where it was found.
///
/// Implementation notes: the parser runs over UTF-8 bytes with an explicit stack of
/// open elements, so deep nesting cannot overflow the call stack.
public struct XMLParser {
    public struct Limits: Sendable {
        public var maximumBytes = 512 * 1024 * 1024
        public var maximumDepth = 1_000
        public var maximumElements = 20_000_000
        public var maximumAttributes = 1_000
        public init() {}
    }

    let file: SourceFile
    let bytes: [UInt8]
    let limits: Limits
    var position = 0
    var elementCount = 0

    public init(file: SourceFile, limits: Limits = Limits()) {
        self.file = file
        self.bytes = file.utf8
        self.limits = limits
    }

    /// Parses the whole document and returns its root element.
    public static func parse(_ file: SourceFile, limits: Limits = Limits()) throws(DiagnosticsError) -> XMLElement {
        var parser = XMLParser(file: file, limits: limits)
        return try parser.parseDocument()
    }

    func error(_ message: String, at offset: Int, length: Int = 1, hint: String? = nil) -> DiagnosticsError {
        DiagnosticsError(.error("XML: " + message, at: SourceRange(file: file, start: offset, end: offset + length), hint: hint))
    }

    /// An element being read: everything but its children's final form.
    struct Open {
        let qualifiedName: String
        let rawAttributes: [(name: String, value: String)]
        let namespaces: [String: String]
        let start: Int
        var children: [XMLElement] = []
        var textParts: [String] = []
        var currentText: [UInt8] = []
        /// The source span from the first to the last non-space byte of character data.
        var textStart: Int?
        var textEnd = 0
    }

    mutating func parseDocument() throws(DiagnosticsError) -> XMLElement {
        guard bytes.count <= limits.maximumBytes else {
            throw error("file is larger than the limit of \(limits.maximumBytes) bytes", at: 0)
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        var stack: [Open] = []
        var root: XMLElement?
        while position < bytes.count {
            let b = bytes[position]
            if b != UInt8(ascii: "<") {
                let start = position
                let text = try readText()
                if stack.isEmpty {
                    guard text.allSatisfy(Self.isSpace) else {
                        throw error(root == nil ? "text before the root element" : "text after the root element", at: start)
                    }
                } else {
                    stack[stack.count - 1].currentText.append(contentsOf: text)
                    if let first = bytes[start..<position].firstIndex(where: { !Self.isSpace($0) }),
                       let last = bytes[start..<position].lastIndex(where: { !Self.isSpace($0) }) {
                        if stack[stack.count - 1].textStart == nil { stack[stack.count - 1].textStart = first }
                        stack[stack.count - 1].textEnd = last + 1
                    }
                }
                continue
            }
            if matches("<?") {
                try skip(past: "?>", what: "processing instruction")
            } else if matches("<!--") {
                try skip(past: "-->", what: "comment")
            } else if matches("<![CDATA[") {
                let start = position
                position += 9
                guard let end = find("]]>") else { throw error("unterminated CDATA section", at: start) }
                guard !stack.isEmpty else { throw error("CDATA outside the root element", at: start) }
                stack[stack.count - 1].currentText.append(contentsOf: bytes[position..<end])
                position = end + 3
            } else if matches("<!DOCTYPE") {
                try skipDoctype()
            } else if matches("</") {
                let start = position
                position += 2
                let name = try readName()
                skipSpaces()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw error("expected '>' to close '</\(name)'", at: position) }
                position += 1
                guard var open = stack.popLast() else { throw error("closing tag '</\(name)>' without an opening tag", at: start) }
                guard open.qualifiedName == name else {
                    let opened = SourceRange(file: file, start: open.start, end: open.start + 1).startLocation
                    throw error("closing tag '</\(name)>' does not match '<\(open.qualifiedName)>'", at: start, length: position - start,
                                hint: "'<\(open.qualifiedName)>' was opened at line \(opened.line); close it with '</\(open.qualifiedName)>'")
                }
                open.textParts.append(String(decoding: open.currentText, as: UTF8.self))
                let element = try finish(open)
                if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
            } else {
                let start = position
                if root != nil && stack.isEmpty { throw error("a second root element", at: start) }
                position += 1
                let name = try readName()
                var attributes: [(name: String, value: String)] = []
                var selfClosing = false
                while true {
                    let hadSpace = skipSpaces()
                    guard position < bytes.count else { throw error("unterminated start tag '<\(name)'", at: start) }
                    if bytes[position] == UInt8(ascii: ">") { position += 1; break }
                    if matches("/>") { position += 2; selfClosing = true; break }
                    guard hadSpace else { throw error("expected a space before the next attribute", at: position) }
                    let attributeStart = position
                    let attributeName = try readName()
                    skipSpaces()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                        throw error("attribute '\(attributeName)' has no value", at: attributeStart)
                    }
                    position += 1
                    skipSpaces()
                    let value = try readQuoted()
                    if attributes.contains(where: { $0.name == attributeName }) {
                        throw error("attribute '\(attributeName)' appears twice", at: attributeStart)
                    }
                    attributes.append((attributeName, value))
                    guard attributes.count <= limits.maximumAttributes else {
                        throw error("more than \(limits.maximumAttributes) attributes on one element", at: attributeStart)
                    }
                }
                elementCount += 1
                guard elementCount <= limits.maximumElements else {
                    throw error("more than \(limits.maximumElements) elements", at: start)
                }
                var namespaces = stack.last?.namespaces ?? ["xml": "http://www.w3.org/XML/1998/namespace"]
                for (n, v) in attributes {
                    if n == "xmlns" { namespaces[""] = v } else if n.hasPrefix("xmlns:") { namespaces[String(n.dropFirst(6))] = v }
                }
                if !stack.isEmpty {
                    let parent = stack.count - 1
                    stack[parent].textParts.append(String(decoding: stack[parent].currentText, as: UTF8.self))
                    stack[parent].currentText.removeAll(keepingCapacity: true)
                }
                let open = Open(qualifiedName: name, rawAttributes: attributes, namespaces: namespaces, start: start)
                if selfClosing {
                    var closed = open
                    closed.textParts.append("")
                    let element = try finish(closed)
                    if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
                } else {
                    stack.append(open)
                    guard stack.count <= limits.maximumDepth else {
                        throw error("elements nest deeper than \(limits.maximumDepth) levels", at: start)
                    }
                }
            }
        }
        if let open = stack.last { throw error("element '<\(open.qualifiedName)>' is never closed", at: open.start) }
        guard let root else { throw error("no root element", at: 0) }
        return root
    }

    func finish(_ open: Open) throws(DiagnosticsError) -> XMLElement {
        func split(_ q: String) -> (prefix: String, local: String) {
            guard let colon = q.firstIndex(of: ":") else { return ("", q) }
            return (String(q[..<colon]), String(q[q.index(after: colon)...]))
        }
        let (prefix, local) = split(open.qualifiedName)
        let namespace = open.namespaces[prefix]
        if !prefix.isEmpty && namespace == nil { throw error("undeclared namespace prefix '\(prefix)'", at: open.start) }
        var attributes: [XMLElement.Attribute] = []
        for (n, v) in open.rawAttributes where n != "xmlns" && !n.hasPrefix("xmlns:") {
            let (p, l) = split(n)
            attributes.append(.init(prefix: p, name: l, namespace: p.isEmpty ? nil : open.namespaces[p], value: v))
        }
        let textRange = open.children.isEmpty ? open.textStart.map { SourceRange(file: file, start: $0, end: open.textEnd) } : nil
        return XMLElement(name: local, namespace: namespace, attributes: attributes,
                          children: open.children, textParts: open.textParts,
                          range: SourceRange(file: file, start: open.start, end: open.start + 1 + open.qualifiedName.utf8.count),
                          textRange: textRange)
    }

    // MARK: - Lexical pieces

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b >= 0x80
    }

    func matches(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let p = s.utf8Start
        for i in 0..<n where bytes[position + i] != p[i] { return false }
        return true
    }

    func find(_ s: StaticString) -> Int? {
        let n = s.utf8CodeUnitCount
        let p = s.utf8Start
        var i = position
        while i + n <= bytes.count {
            if bytes[i] == p[0] {
                var ok = true
                for k in 1..<n where bytes[i + k] != p[k] { ok = false; break }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }

    mutating func skip(past terminator: StaticString, what: String) throws(DiagnosticsError) {
        let start = position
        guard let end = find(terminator) else { throw error("unterminated \(what)", at: start) }
        position = end + terminator.utf8CodeUnitCount
    }

    /// Skips `<!DOCTYPE …>`, including an internal subset in brackets, without
    /// interpreting any of it: entity declarations inside have no effect.
    mutating func skipDoctype() throws(DiagnosticsError) {
        let start = position
        var depth = 0
        var quote: UInt8 = 0
        position += 9
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if quote != 0 { if b == quote { quote = 0 }; continue }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = b
            case UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ">") where depth <= 0: return
            default: break
            }
        }
        throw error("unterminated DOCTYPE", at: start)
    }

    @discardableResult
    mutating func skipSpaces() -> Bool {
        let start = position
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        return position > start
    }

    mutating func readName() throws(DiagnosticsError) -> String {
        let start = position
        while position < bytes.count, Self.isNameByte(bytes[position]) { position += 1 }
        guard position > start else { throw error("expected a name", at: start) }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func readQuoted() throws(DiagnosticsError) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw error("expected a quoted attribute value", at: position)
        }
        let quote = bytes[position]
        let start = position
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw error("unterminated attribute value", at: start) }
            let b = bytes[position]
            if b == quote { position += 1; break }
            if b == UInt8(ascii: "<") { throw error("'<' inside an attribute value", at: position) }
            if b == UInt8(ascii: "&") { try readReference(into: &out); continue }
            // Attribute-value normalisation: white space becomes a space.
            out.append(Self.isSpace(b) ? 0x20 : b)
            position += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Character data up to the next '<', with references expanded.
    mutating func readText() throws(DiagnosticsError) -> [UInt8] {
        var out: [UInt8] = []
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            if bytes[position] == UInt8(ascii: "&") { try readReference(into: &out); continue }
            out.append(bytes[position])
            position += 1
        }
        return out
    }

    /// `&name;` for the five predefined entities, `&#N;` and `&#xN;`. Any other entity
    /// is an error: DTD-declared entities are never expanded.
    mutating func readReference(into out: inout [UInt8]) throws(DiagnosticsError) {
        let start = position
        position += 1
        var end = position
        while end < bytes.count, end - position < 16, bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw error("'&' that does not start a reference (write &amp;)", at: start) }
        let name = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        switch name {
        case "lt": out.append(UInt8(ascii: "<"))
        case "gt": out.append(UInt8(ascii: ">"))
        case "amp": out.append(UInt8(ascii: "&"))
        case "quot": out.append(UInt8(ascii: "\""))
        case "apos": out.append(UInt8(ascii: "'"))
        default:
            var code: UInt32?
            if name.hasPrefix("#x") { code = UInt32(name.dropFirst(2), radix: 16) } else if name.hasPrefix("#") { code = UInt32(name.dropFirst(1)) }
            guard let code else { throw error("unknown entity '&\(name);' (external and DTD entities are not expanded)", at: start) }
            guard let scalar = Unicode.Scalar(code), code != 0 else { throw error("invalid character reference '&\(name);'", at: start) }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
    }
}
