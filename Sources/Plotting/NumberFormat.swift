/// Number formatting for figures. Everything here is integer arithmetic on decimal
/// digits or on `Double`'s exact decimal description, never locale-dependent `printf`,
/// so the same figure is byte-identical on every machine.
public enum NumberFormat {
    /// A coordinate in the SVG: at most two decimals, trailing zeros dropped, no `-0`.
    /// (Two decimals of a pixel is far below what a screen or printer resolves.)
    public static func coordinate(_ value: Double) -> String {
        precondition(value.isFinite, "non-finite coordinate reached the SVG writer")
        let hundredths = (value * 100).rounded()
        guard abs(hundredths) < 9e15 else { return String(Int64(value.rounded())) }
        let n = Int64(hundredths)
        if n == 0 { return "0" }
        let sign = n < 0 ? "-" : ""
        let magnitude = n.magnitude
        let whole = magnitude / 100, fraction = magnitude % 100
        if fraction == 0 { return "\(sign)\(whole)" }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `10ⁿ` in superscript digits, e.g. `10⁻³`.
    public static func powerOfTen(_ exponent: Int) -> String {
        "10" + superscript(exponent)
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        var out = n < 0 ? "⁻" : ""
        for c in String(n.magnitude) { out.append(digits[Int(c.asciiValue! - 48)]) }
        return out
    }

    /// The typographic minus (U+2212) instead of a hyphen, as in print.
    static func withMinusSign(_ s: String) -> String {
        s.hasPrefix("-") ? "−" + s.dropFirst() : s
    }

    /// A decimal number given exactly as `digits × 10^exponent` (an integer and a power of
    /// ten), written out in plain decimal notation: `(25, -3)` → `0.025`, `(3, 2)` → `300`.
    static func decimal(digits: Int64, exponent: Int) -> String {
        if digits == 0 { return "0" }
        let sign = digits < 0 ? "-" : ""
        let body = String(digits.magnitude)
        if exponent >= 0 { return sign + body + String(repeating: "0", count: exponent) }
        let decimals = -exponent
        let padded = body.count <= decimals ? String(repeating: "0", count: decimals - body.count + 1) + body : body
        let split = padded.index(padded.endIndex, offsetBy: -decimals)
        var fraction = String(padded[split...])
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + padded[..<split] + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// `digits × 10^exponent` in scientific notation with superscripts: `(25, -5)` →
    /// `2.5×10⁻⁴`, `(1, -3)` → `10⁻³`.
    static func scientific(digits: Int64, exponent: Int) -> String {
        if digits == 0 { return "0" }
        let sign = digits < 0 ? "-" : ""
        var body = String(digits.magnitude)
        let power = exponent + body.count - 1
        while body.count > 1, body.hasSuffix("0") { body.removeLast() }
        let mantissa = body.count == 1 ? body : String(body.first!) + "." + body.dropFirst()
        if mantissa == "1" { return sign + powerOfTen(power) }
        return sign + mantissa + "×" + powerOfTen(power)
    }

    /// A free-standing number in a label or message: up to four significant digits,
    /// plain between 10⁻³ and 10⁵, scientific outside (`0.0125`, `1.5×10⁻⁵`).
    public static func label(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if value == 0 { return "0" }
        let (digits, exponent) = significantDigits(value, count: 4)
        let order = exponent + String(digits.magnitude).count - 1  // after rounding: 99999.5 → 10⁵
        let text = (-3...4).contains(order)
            ? decimal(digits: digits, exponent: exponent)
            : scientific(digits: digits, exponent: exponent)
        return withMinusSign(text)
    }

    /// `value ≈ digits × 10^exponent` with `count` significant digits, from the shortest
    /// round-tripping decimal form Swift prints (exact and platform-independent).
    static func significantDigits(_ value: Double, count: Int) -> (Int64, Int) {
        var text = "\(abs(value))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        var digits = ""
        if let dot = text.firstIndex(of: ".") {
            exponent -= text.distance(from: dot, to: text.endIndex) - 1
            digits = text.replacingDot()
        } else {
            digits = text
        }
        // Drop leading zeros, then round to `count` digits, half away from zero.
        digits = String(digits.drop { $0 == "0" })
        if digits.isEmpty { return (0, 0) }
        if digits.count > count {
            let dropped = digits.count - count
            var kept = Int64(digits.prefix(count))!
            if digits[digits.index(digits.startIndex, offsetBy: count)] >= "5" { kept += 1 }
            exponent += dropped
            digits = String(kept)
        }
        var n = Int64(digits)!
        while n != 0, n % 10 == 0 { n /= 10; exponent += 1 }
        return (value < 0 ? -n : n, exponent)
    }
}

extension String {
    fileprivate func replacingDot() -> String { String(filter { $0 != "." }) }
}
