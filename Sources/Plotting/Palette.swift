/// An sRGB colour written as `#rrggbb`.
public struct Colour: Sendable, Hashable, CustomStringConvertible {
    public let red: UInt8, green: UInt8, blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red; self.green = green; self.blue = blue
    }

    /// `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    public var description: String {
        let digits: [Character] = Array("0123456789abcdef")
        var out = "#"
        for byte in [red, green, blue] {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }

    public static let black = Colour(hex: 0x000000)
    public static let white = Colour(hex: 0xFFFFFF)
}

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
/// distinguishable under the common forms of colour blindness. Ordered for lines on
/// white: the low-contrast yellow comes last.
public enum Palette {
    public static let blue = Colour(hex: 0x0072B2)
    public static let vermillion = Colour(hex: 0xD55E00)
    public static let bluishGreen = Colour(hex: 0x009E73)
    public static let reddishPurple = Colour(hex: 0xCC79A7)
    public static let orange = Colour(hex: 0xE69F00)
    public static let skyBlue = Colour(hex: 0x56B4E9)
    public static let black = Colour(hex: 0x000000)
    public static let yellow = Colour(hex: 0xF0E442)

    public static let okabeIto: [Colour] = [blue, vermillion, bluishGreen, reddishPurple, orange, skyBlue, black, yellow]

    /// Colours for lines: all but yellow, which is too faint on white.
    static let lineColours = Array(okabeIto.dropLast())

    /// The colour of the `index`th series of a panel. Beyond seven series the colours
    /// repeat and `dashPattern(for:)` tells the repeats apart.
    public static func colour(for index: Int) -> Colour { lineColours[index % lineColours.count] }

    /// `nil` (solid) for the first round of colours, then dashed, then dotted.
    public static func dashPattern(for index: Int) -> String? {
        switch (index / lineColours.count) % 3 {
        case 0: nil
        case 1: "6 3"
        default: "1.5 2.5"
        }
    }

    // Chart furniture.
    static let axis = Colour(hex: 0x333333)
    static let grid = Colour(hex: 0xE6E6E6)
    static let text = Colour(hex: 0x1A1A1A)
    static let secondaryText = Colour(hex: 0x555555)
    static let band = Colour(hex: 0xE69F00)  // Okabe–Ito orange, drawn at low opacity
    static let reference = Colour(hex: 0x555555)
}
