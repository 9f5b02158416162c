import Foundation

/// A physical unit as a product of SI base units with a multiplier: a quantity of
/// `1 unit` is `multiplier` in the SI base units `m^a·kg^b·s^c·mol^d·A^e·K^f·cd^g·item^h`.
///
/// `item` is its own dimension (SBML distinguishes counted items from moles);
/// radians and steradians are dimensionless, as in SI.
struct PhysicalUnit: Sendable, CustomStringConvertible {
    static let baseSymbols = ["m", "kg", "s", "mol", "A", "K", "cd", "item"]
    var exponents: [Double]
    var multiplier: Double

    init(_ exponents: [Double] = [0, 0, 0, 0, 0, 0, 0, 0], multiplier: Double = 1) {
        self.exponents = exponents
        self.multiplier = multiplier
    }

    static let dimensionless = PhysicalUnit()

    /// `m, kg, s, mol, A, K, cd, item` exponents, in that order.
    static func si(m: Double = 0, kg: Double = 0, s: Double = 0, mol: Double = 0, A: Double = 0, K: Double = 0,
                   cd: Double = 0, item: Double = 0, multiplier: Double = 1) -> PhysicalUnit {
        PhysicalUnit([m, kg, s, mol, A, K, cd, item], multiplier: multiplier)
    }

    /// The SBML base units (Level 3's list, plus Level 2's spellings `meter` and `liter`).
    static let base: [String: PhysicalUnit] = [
        "ampere": .si(A: 1), "avogadro": .si(multiplier: 6.02214179e23), "becquerel": .si(s: -1),
        "candela": .si(cd: 1), "coulomb": .si(s: 1, A: 1), "dimensionless": .dimensionless,
        "farad": .si(m: -2, kg: -1, s: 4, A: 2), "gram": .si(kg: 1, multiplier: 1e-3), "gray": .si(m: 2, s: -2),
        "henry": .si(m: 2, kg: 1, s: -2, A: -2), "hertz": .si(s: -1), "item": .si(item: 1),
        "joule": .si(m: 2, kg: 1, s: -2), "katal": .si(s: -1, mol: 1), "kelvin": .si(K: 1),
        "kilogram": .si(kg: 1), "litre": .si(m: 3, multiplier: 1e-3), "liter": .si(m: 3, multiplier: 1e-3),
        "lumen": .si(cd: 1), "lux": .si(m: -2, cd: 1), "metre": .si(m: 1), "meter": .si(m: 1),
        "mole": .si(mol: 1), "newton": .si(m: 1, kg: 1, s: -2), "ohm": .si(m: 2, kg: 1, s: -3, A: -2),
        "pascal": .si(m: -1, kg: 1, s: -2), "radian": .dimensionless, "second": .si(s: 1),
        "siemens": .si(m: -2, kg: -1, s: 3, A: 2), "sievert": .si(m: 2, s: -2), "steradian": .dimensionless,
        "tesla": .si(kg: 1, s: -2, A: -1), "volt": .si(m: 2, kg: 1, s: -3, A: -1), "watt": .si(m: 2, kg: 1, s: -3),
        "weber": .si(m: 2, kg: 1, s: -2, A: -1),
    ]

    static func * (a: PhysicalUnit, b: PhysicalUnit) -> PhysicalUnit {
        PhysicalUnit(zip(a.exponents, b.exponents).map { $0 + $1 }, multiplier: a.multiplier * b.multiplier)
    }

    static func / (a: PhysicalUnit, b: PhysicalUnit) -> PhysicalUnit {
        PhysicalUnit(zip(a.exponents, b.exponents).map { $0 - $1 }, multiplier: a.multiplier / b.multiplier)
    }

    func power(_ n: Double) -> PhysicalUnit {
        PhysicalUnit(exponents.map { $0 * n }, multiplier: Foundation.pow(multiplier, n))
    }

    var isDimensionless: Bool { exponents.allSatisfy { abs($0) < 1e-9 } }

    func sameDimension(_ other: PhysicalUnit) -> Bool {
        zip(exponents, other.exponents).allSatisfy { abs($0 - $1) < 1e-9 }
    }

    /// Same dimension and the same size: multipliers agree to 1e-9 relative, far below any
    /// prefix slip (the smallest, deca, is a factor 10) and above the rounding of the
    /// products and powers that built them.
    func matches(_ other: PhysicalUnit) -> Bool {
        sameDimension(other) && abs(multiplier - other.multiplier) <= 1e-9 * max(abs(multiplier), abs(other.multiplier))
    }

    /// Readable: `mol/(L·s)`, `1/ms`, `nmol/L`; cubic metres are shown as litres and a power
    /// of 1000 as a prefix on the first unit when one fits, else as a leading factor.
    var description: String {
        var e = exponents
        var m = multiplier
        var symbols = Self.baseSymbols
        // m^(3k) → L^k (1 L = 1e-3 m^3), the way concentrations are written.
        if abs(e[0]).truncatingRemainder(dividingBy: 3) < 1e-9, abs(e[0]) > 1e-9 {
            let k = e[0] / 3
            symbols[0] = "L"
            e[0] = k
            m /= Foundation.pow(1e-3, k)
        }
        var numerator: [(String, Double)] = []
        var denominator: [(String, Double)] = []
        for (i, x) in e.enumerated() where abs(x) > 1e-9 {
            if x > 0 { numerator.append((symbols[i], x)) } else { denominator.append((symbols[i], -x)) }
        }
        // kg carries a prefix already; prefixes go on the other units.
        let prefixes: [Int: String] = [-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 3: "k", 6: "M", 9: "G"]
        let decade = log10(abs(m)).rounded()
        var factor = ""
        if abs(m - 1) > 1e-9 {
            let exact = abs(m - Foundation.pow(10, decade)) <= 1e-9 * abs(m)
            if exact, let p = prefixes[Int(decade)], let first = numerator.first, first.1 == 1, first.0 != "kg" {
                numerator[0].0 = p + first.0
            } else if exact, let p = prefixes[-Int(decade)], numerator.isEmpty, denominator.count == 1,
                      denominator[0].1 == 1, denominator[0].0 != "kg" {
                denominator[0].0 = p + denominator[0].0
            } else {
                factor = "\(m) "
            }
        }
        func product(_ parts: [(String, Double)]) -> String {
            parts.map { $0.1 == 1 ? $0.0 : "\($0.0)^\(Self.number($0.1))" }.joined(separator: "·")
        }
        if numerator.isEmpty && denominator.isEmpty { return factor.isEmpty ? "dimensionless" : "\(m) (dimensionless)" }
        let top = numerator.isEmpty ? "1" : product(numerator)
        guard !denominator.isEmpty else { return factor + top }
        let bottom = denominator.count == 1 ? product(denominator) : "(\(product(denominator)))"
        return "\(factor)\(top)/\(bottom)"
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(x)
    }
}
