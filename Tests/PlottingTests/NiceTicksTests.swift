import Testing
@testable import Plotting

@Suite struct NiceTicksTests {
    @Test(arguments: [
        (0.0, 1.0, 5, "0 0.2 0.4 0.6 0.8 1"),
        (0.0, 10.0, 5, "0 2 4 6 8 10"),
        (0.0, 60.0, 5, "0 20 40 60"),
        (0.0, 7.0, 5, "0 2 4 6 8"),
        (-3.2, 4.9, 5, "−4 −2 0 2 4 6"),
        (0.0, 0.3, 3, "0 0.1 0.2 0.3"),
        (95.0, 132.0, 5, "90 100 110 120 130 140"),
        (0.0, 0.0012, 4, "0 5×10⁻⁴ 10⁻³ 1.5×10⁻³"),
        (0.0, 250_000.0, 5, "0 5×10⁴ 10⁵ 1.5×10⁵ 2×10⁵ 2.5×10⁵"),
        (5.0, 5.0, 5, "4.4 4.6 4.8 5 5.2 5.4 5.6"),
        (0.0, 0.0, 5, "0 0.2 0.4 0.6 0.8 1"),
        (1.00002, 1.00009, 4, "1.00002 1.00004 1.00006 1.00008 1.0001"),
        (-20.0, 60.0, 8, "−20 −10 0 10 20 30 40 50 60"),
    ])
    func linear(lower: Double, upper: Double, target: Int, expected: String) {
        let ticks = NiceTicks.linear(lower, upper, target: target)
        #expect(ticks.description == expected)
        #expect(ticks.lower <= lower && ticks.upper >= upper)
        #expect(ticks.values.count - 1 <= max(target, 1) + 2)
    }

    @Test func linearValuesAreExactDecimals() {
        let ticks = NiceTicks.linear(0, 0.7, target: 7)
        #expect(ticks.values == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    }

    @Test(arguments: [
        (0.5, 80.0, "0.1 1 10 100"),
        (2e-7, 3e-2, "10⁻⁷ 10⁻⁶ 10⁻⁵ 10⁻⁴ 10⁻³ 10⁻² 10⁻¹"),
        (1e-12, 1.0, "10⁻¹² 10⁻¹⁰ 10⁻⁸ 10⁻⁶ 10⁻⁴ 10⁻² 10⁰"),
        (2.0, 8.0, "1 2 5 10"),
        (1.0, 1000.0, "1 10 100 1000"),
        (3e5, 4e6, "10⁵ 10⁶ 10⁷"),
    ])
    func logarithmic(lower: Double, upper: Double, expected: String) {
        let ticks = NiceTicks.logarithmic(lower, upper)
        #expect(ticks.description == expected)
        #expect(ticks.lower <= lower && ticks.upper >= upper)
    }

    @Test func logarithmicMinorTicks() {
        let ticks = NiceTicks.logarithmic(1, 100)
        #expect(ticks.minor == [2, 3, 4, 5, 6, 7, 8, 9, 20, 30, 40, 50, 60, 70, 80, 90])
    }
}
