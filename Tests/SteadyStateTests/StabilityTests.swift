import Testing
import Foundation
import ModelCompiler
import AntimonyFrontEnd
import Simulation
import KineticsCore
import CVODEIntegration
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

/// Steady-state sensitivities from the reduced system's linearisation, against a closed form
/// and against forward sensitivities integrated until the state has settled.
@Suite struct SteadyStateSensitivityTests {
    /// A ⇌ B with A + B = T (from A₀ = 1, B₀ = 0.5): A* = kr·T/(kf + kr), so ∂A*/∂kf = −kr·T/(kf + kr)²,
    /// ∂A*/∂kr = kf·T/(kf + kr)², and ∂A*/∂A₀ = kr/(kf + kr) through the total (the law's row).
    @Test func anIsomerisationMatchesItsClosedForm() throws {
        let model = try TestModels.compile("""
            model iso()
              J: A -> B; kf*A - kr*B
              A = 1; B = 0.5; kf = 3; kr = 2
            end
            """)
        let steady = try SteadyStateSolver.solve(model)
        let s = try SteadyStateSolver.sensitivities(of: steady, in: model, parameters: ["kf", "kr", "init(A)"], columns: ["A"])
        let (kf, kr, t) = (3.0, 2.0, 1.5)
        let expected = [-kr * t / ((kf + kr) * (kf + kr)), kf * t / ((kf + kr) * (kf + kr)), kr / (kf + kr)]
        for (d, e) in zip(s.derivatives[0], expected) { #expect(abs(d - e) <= 1e-12, "\(d) for \(e)") }
        #expect(abs(s.values[0] - kr * t / (kf + kr)) <= 1e-12)
    }

    /// On the shipped NO–cGMP–PKG pathway (three conservation laws, slowest relaxation ~95 s),
    /// the forward sensitivities of a run to t = 10⁴ s (over 100 relaxation times) at rtol 1e-10
    /// have settled to the steady state's: both must agree to 1e-6 relative.
    @Test func aShippedPathwayAgreesWithSettledForwardSensitivities() throws {
        let model = try ModelCompiler.compile(AntimonyLoader.load(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/no_cgmp_pkg.ant").path))
        let parameters = ["Ca_rest", "kon_CaM", "kcat_PDE5", "k_NO_loss"]
        let steady = try SteadyStateSolver.solve(model)
        let columns = ["Ca4CaM", "nNOS_CaM", "cGMP"]
        let s = try SteadyStateSolver.sensitivities(of: steady, in: model, parameters: parameters, columns: columns)
        var request = SimulationRequest(grid: TimeGrid(end: 1e4, count: 2), columns: columns,
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-16, maximumSteps: 1_000_000))
        request.sensitivityParameters = parameters
        let run = try Simulator(model: model.differentiated(with: parameters)).run(request)
        let forward = try #require(run.sensitivities)
        for (c, column) in columns.enumerated() {
            for k in parameters.indices {
                let f = forward.value(row: 1, column: c, parameter: k), d = s.derivatives[c][k]
                #expect(abs(d - f) <= 1e-6 * max(abs(f), 1e-12), "∂\(column)/∂\(parameters[k]): \(d) against \(f)")
            }
        }
    }
}
