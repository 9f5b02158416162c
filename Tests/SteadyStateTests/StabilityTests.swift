import Testing
import Foundation
import ModelCompiler
import PathwayTestSupport
@testable import SteadyState

/// Stability from the Jacobian's eigenvalues, on systems whose spectra are known in closed form.
@Suite struct StabilityTests {
    static func stability(_ text: String) throws -> (SteadyState, Stability) {
        let model = try TestModels.compile(text)
        let steady = try SteadyStateSolver.solve(model)
        return (steady, try SteadyStateSolver.stability(of: steady, in: model))
    }

    /// A ⇌ B conserves A + B: the Jacobian [[−kf, kr], [kf, −kr]] has eigenvalues 0 (the law) and
    /// −(kf + kr), the rate of relaxation to equilibrium.
    @Test func aConservedIsomerisationRelaxesAtTheSumOfItsRates() throws {
        let (steady, s) = try Self.stability("""
            model iso()
              J: A -> B; kf*A - kr*B
              A = 1; B = 0; kf = 3; kr = 2
            end
            """)
        #expect(steady.conservationLaws.count == 1)
        #expect(s.eigenvalues.count == 1)
        #expect(abs(s.eigenvalues[0].real + 5) < 1e-12 && s.eigenvalues[0].imaginary == 0)
        #expect(s.verdict == .stable && abs(s.slowestTimeConstant! - 0.2) < 1e-12)
    }

    /// x' = x − x³ from x = 0 rests at 0, where f'(0) = +1: unstable.
    @Test func anUnstableRestPointIsReported() throws {
        let (_, s) = try Self.stability("""
            model bistable()
              x' = x - x^3
              x = 0
            end
            """)
        #expect(s.verdict == .unstable)
        #expect(abs(s.eigenvalues[0].real - 1) < 1e-12)
    }

    /// A damped rotation x' = −a x − b y, y' = b x − a y has eigenvalues −a ± b i.
    @Test func aDampedOscillationHasAComplexPair() throws {
        let (_, s) = try Self.stability("""
            model spiral()
              x' = -a*x - b*y
              y' = b*x - a*y
              x = 1; y = 0; a = 0.5; b = 4
            end
            """)
        #expect(s.verdict == .stable && s.oscillatory)
        #expect(s.eigenvalues.count == 2)
        for e in s.eigenvalues { #expect(abs(e.real + 0.5) < 1e-12 && abs(abs(e.imaginary) - 4) < 1e-12) }
    }
}
