import Foundation

/// Tick marks of one axis: where they go, what they say, and the axis range they imply.
public struct AxisTicks: Sendable, Equatable, CustomStringConvertible {
    /// Labelled tick positions, ascending.
    public var values: [Double]
    /// The label of each value.
    public var labels: [String]
    /// Unlabelled minor ticks (log axes: 2…9 × 10ⁿ).
    public var minor: [Double]
    /// The axis range: the data range widened to whole tick steps.
    public var lower: Double
    public var upper: Double

    public var description: String { labels.joined(separator: " ") }
}

/// "Nice" ticks: 1, 2 or 5 × 10ⁿ apart on linear axes, powers of ten on log axes.
///
/// Tick values are computed as integer multiples of the step, `k·m·10ᵉ` with `k·m` an
/// integer, so `0.1 + 0.2` never shows up as `0.30000000000000004`.
public enum NiceTicks {
    /// About `target` intervals (never more) covering `lower…upper`.
    public static func linear(_ lower: Double, _ upper: Double, target: Int = 5) -> AxisTicks {
        precondition(lower.isFinite && upper.isFinite && lower <= upper && target >= 1)
        var (lo, hi) = (lower, upper)
        if lo == hi {
            if lo == 0 { (lo, hi) = (0, 1) } else {
                let pad = abs(lo) * 0.1
                (lo, hi) = (lo - pad, hi + pad)
            }
        }
        let raw = (hi - lo) / Double(target)
        var exponent = Int((log10(raw)).rounded(.down))
        let fraction = raw / power(exponent)
        let mantissa: Int64
        switch fraction {
        case ...(1 * (1 + 1e-9)): mantissa = 1
        case ...(2 * (1 + 1e-9)): mantissa = 2
        case ...(5 * (1 + 1e-9)): mantissa = 5
        default: mantissa = 1; exponent += 1
        }
        let step = Double(mantissa) * power(exponent)
        // Tolerances so that an end point that is already a tick is not pushed a step out.
        let first = Int64((lo / step + 1e-9).rounded(.down))
        let last = Int64((hi / step - 1e-9).rounded(.up))
        let multiples = (first...last).map { $0 * mantissa }
        let values = multiples.map { value(digits: $0, exponent: exponent) }
        let scientific = needsScientific(multiples: multiples, exponent: exponent)
        let labels = multiples.map {
            NumberFormat.withMinusSign(scientific ? NumberFormat.scientific(digits: $0, exponent: exponent)
                                                  : NumberFormat.decimal(digits: $0, exponent: exponent))
        }
        return AxisTicks(values: values, labels: labels, minor: [], lower: values.first!, upper: values.last!)
    }

    /// Ticks for a log axis over `lower…upper` (both positive): every decade (every
    /// second or third one over wide ranges), with 2 and 5 labelled when the range is
    /// about one decade, and unlabelled minor ticks at 2…9 × 10ⁿ.
    public static func logarithmic(_ lower: Double, _ upper: Double) -> AxisTicks {
        precondition(lower > 0 && upper >= lower && upper.isFinite)
        var first = Int((log10(lower) + 1e-9).rounded(.down))
        var last = Int((log10(upper) - 1e-9).rounded(.up))
        if last <= first { last = first + 1 }
        let decades = last - first
        let stride = decades <= 6 ? 1 : (decades + 5) / 6
        // Align to the stride so the labels read 10⁻⁶, 10⁻⁴, … rather than odd exponents.
        first = Int((Double(first) / Double(stride)).rounded(.down)) * stride
        last = Int((Double(last) / Double(stride)).rounded(.up)) * stride
        var values: [Double] = []
        var labels: [String] = []
        var minor: [Double] = []
        // Plain numbers only if every label can be plain; never a mix of 0.001 and 10⁻⁴.
        let plain = first >= -3 && last <= 4
        var e = first
        while e <= last {
            values.append(power(e))
            labels.append(logLabel(digits: 1, exponent: e, plain: plain))
            e += stride
        }
        if stride == 1 {
            for e in first..<last {
                for m in 2...9 {
                    let v = Double(m) * power(e)
                    if decades == 1, m == 2 || m == 5 { continue }
                    minor.append(v)
                }
            }
            if decades == 1 {
                values = [1, 2, 5, 10].map { Double($0) * power(first) }
                labels = [1, 2, 5].map { logLabel(digits: $0, exponent: first, plain: plain) } + [logLabel(digits: 1, exponent: last, plain: plain)]
            }
        }
        return AxisTicks(values: values, labels: labels, minor: minor, lower: power(first), upper: power(last))
    }

    /// Labels on log axes read as plain numbers when the axis stays within 0.001…10000,
    /// as powers of ten otherwise.
    static func logLabel(digits: Int64, exponent: Int, plain: Bool) -> String {
        plain ? NumberFormat.decimal(digits: digits, exponent: exponent)
              : NumberFormat.scientific(digits: digits, exponent: exponent)
    }

    /// Plain decimals unless they would need more than three decimals or reach 10⁵ —
    /// and not when the ticks sit on a large offset (1.00002, 1.00004, …), where
    /// scientific labels would be longer still.
    static func needsScientific(multiples: [Int64], exponent: Int) -> Bool {
        let largest = multiples.map(\.magnitude).max() ?? 0
        let digitsOfLargest = largest == 0 ? 1 : String(largest).count
        let orderOfLargest = exponent + digitsOfLargest - 1
        if orderOfLargest >= 5 || exponent < -3 {
            let significant = String(largest).count - String(largest).reversed().prefix { $0 == "0" }.count
            return significant <= 3
        }
        return false
    }

    static func value(digits: Int64, exponent: Int) -> Double {
        exponent >= 0 ? Double(digits) * power(exponent) : Double(digits) / power(-exponent)
    }

    /// 10ⁿ exactly as the decimal literal would be parsed (correctly rounded).
    static func power(_ n: Int) -> Double { Double("1e\(n)")! }
}
