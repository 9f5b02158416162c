/// Appends SVG elements to a string, one per line, with attributes in the order given,
/// so output is deterministic and diffs of snapshots stay readable.
struct SVGWriter {
    private(set) var text = ""
    private var depth = 0

    init(width: Double, height: Double, title: String?) {
        text += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", NumberFormat.coordinate(width)),
                     ("height", NumberFormat.coordinate(height)),
                     ("viewBox", "0 0 \(NumberFormat.coordinate(width)) \(NumberFormat.coordinate(height))"),
                     ("font-family", "Helvetica, Arial, 'DejaVu Sans', sans-serif"), ("font-size", "13"),
                     ("fill", Palette.text.description)])
        if let title { element("title", [], text: title) }
        element("rect", [("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
    }

    mutating func open(_ name: String, _ attributes: [(String, String)]) {
        line("<\(name)\(Self.attributes(attributes))>")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    mutating func element(_ name: String, _ attributes: [(String, String)], text content: String? = nil) {
        if let content {
            line("<\(name)\(Self.attributes(attributes))>\(XML.escape(content))</\(name)>")
        } else {
            line("<\(name)\(Self.attributes(attributes))/>")
        }
    }

    mutating func comment(_ s: String) {
        line("<!-- \(s.replacingDoubleHyphens()) -->")
    }

    mutating func finish() -> String {
        while depth > 0 { close("svg") }
        return text
    }

    private mutating func line(_ s: String) {
        text += String(repeating: " ", count: depth) + s + "\n"
    }

    private static func attributes(_ list: [(String, String)]) -> String {
        var out = ""
        for (key, value) in list { out += " \(key)=\"\(XML.escape(value))\"" }
        return out
    }
}

public enum XML {
    /// Text safe inside an element or a double- or single-quoted attribute. Characters
    /// XML 1.0 forbids (C0 controls other than tab, newline and carriage return) become
    /// U+FFFD, so no input can make the document ill-formed. SBML export has its own
    /// (`SBMLWriter.escape`): it must round-trip whitespace in attribute values, which a
    /// figure's labels never carry, so it encodes tab, newline and carriage return instead.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    /// `--` may not appear inside an XML comment, nor may one end in `-`.
    fileprivate func replacingDoubleHyphens() -> String {
        var out = ""
        for c in self {
            if c == "-", out.hasSuffix("-") { out += " " }
            out.append(c)
        }
        return out.hasSuffix("-") ? out + " " : out
    }
}
