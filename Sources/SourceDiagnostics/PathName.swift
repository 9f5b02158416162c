/// Path arithmetic on plain strings.
public enum PathName {
    /// The path without its last component, as NSString's `deletingLastPathComponent` gives it
    /// ("a/b/c" → "a/b", "/a" → "/", "a" → "", "a/b/" → "a"), written out because that property
    /// traps on one-character names in swift-corelibs-foundation (`kinapse simulate … --out x`).
    public static func directory(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        var head = p[..<slash]
        while head.count > 1, head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }
}
