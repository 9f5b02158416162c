import Testing
@testable import Plotting

@Suite struct NumberFormatTests {
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (-0.004, "0"), (12.0, "12"), (12.5, "12.5"), (12.345, "12.35"), (-3.1, "-3.1"),
        (0.05, "0.05"), (100.999, "101"), (759.999999, "760"),
    ])
    func coordinates(value: Double, expected: String) {
        #expect(NumberFormat.coordinate(value) == expected)
    }

    @Test(arguments: [
        (Int64(25), -3, "0.025"), (3, 2, "300"), (-15, -1, "-1.5"), (10, -1, "1"), (0, -4, "0"), (12345, -2, "123.45"),
    ])
    func decimals(digits: Int64, exponent: Int, expected: String) {
        #expect(NumberFormat.decimal(digits: digits, exponent: exponent) == expected)
    }

    @Test(arguments: [
        (Int64(25), -5, "2.5×10⁻⁴"), (1, -3, "10⁻³"), (10, -4, "10⁻³"), (15, 5, "1.5×10⁶"), (-2, 7, "-2×10⁷"), (0, 3, "0"),
    ])
    func scientific(digits: Int64, exponent: Int, expected: String) {
        #expect(NumberFormat.scientific(digits: digits, exponent: exponent) == expected)
    }

    /// Free-standing numbers: plain from 10⁻³ to 10⁵, scientific outside, four significant digits.
    @Test(arguments: [
        (0.001, "0.001"), (0.0001, "10⁻⁴"), (0.000125, "1.25×10⁻⁴"), (1234.5678, "1235"), (-2.5, "−2.5"),
        (123456.0, "1.235×10⁵"), (0.1 + 0.2, "0.3"), (Double.nan, "NaN"), (-Double.infinity, "−∞"), (99999.5, "10⁵"),
    ])
    func labels(value: Double, expected: String) {
        #expect(NumberFormat.label(value) == expected)
    }
}
