import Testing
import Foundation
import Simulation
import PathwayTestSupport

/// Simulations compared with closed-form solutions. Each test asserts
///     max |y − y*| / (rtol·|y*| + atol) ≤ C
/// with C measured on this engine (BDF, dense Newton, analytic Jacobian) and written
/// beside the test with the value seen. C > 1 is expected: CVODE controls the local
/// error per step, and the global error accumulates over many steps.
@Suite struct AnalyticSolutionTests {
    let rtol = 1e-8
    let atol = 1e-12

    /// Runs `text`, then returns the largest tolerance ratio against `exact(t)` for `column`.
    func worstRatio(_ text: String, tEnd: Double, points: Int = 201, column: String, caller: String = #function,
                    exact: (Double) -> Double) throws -> Double {
        let result = try TestModels.simulate(text, tEnd: tEnd, points: points, rtol: rtol, atol: atol, columns: [column])
        #expect(result.failure == nil)
        #expect(result.trajectory.rowCount == points)
        var worst = 0.0
        for r in 0..<result.trajectory.rowCount {
            let t = result.trajectory.times[r]
            worst = max(worst, toleranceRatio(result.trajectory.value(row: r, column: 0), exact(t), rtol: rtol, atol: atol))
        }
        print("tolerance ratio C = \(worst) for \(column) in \(caller)")
        return worst
    }

    @Test func firstOrderDecay() throws {
        let c = try worstRatio("""
            A = 10; k = 0.7
            J1: A -> ; k*A
            """, tEnd: 20, column: "A") { 10 * exp(-0.7 * $0) }
        // Measured C = 36.1 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 55, "C = \(c)")
    }

    @Test func reversibleIsomerisationReachesEquilibrium() throws {
        let kf = 2.0, kr = 0.5, a0 = 3.0, b0 = 1.0
        let total = a0 + b0, aEq = kr * total / (kf + kr)
        let text = """
            A = \(a0); B = \(b0); kf = \(kf); kr = \(kr)
            J1: A -> B; kf*A - kr*B
            """
        let cA = try worstRatio(text, tEnd: 10, column: "A") { aEq + (a0 - aEq) * exp(-(kf + kr) * $0) }
        let cB = try worstRatio(text, tEnd: 10, column: "B") { total - (aEq + (a0 - aEq) * exp(-(kf + kr) * $0)) }
        // Measured C = 4.1 (A), 5.3 (B) (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(cA <= 10, "C = \(cA)")
        #expect(cB <= 10, "C = \(cB)")
    }

    @Test func secondOrderHeterogeneousReaction() throws {
        // A + B → C with A0 ≠ B0: A(t) = Δ·A0 / (B0·e^{Δkt} − A0), Δ = B0 − A0.
        let a0 = 1.0, b0 = 2.0, k = 0.8, delta = b0 - a0
        let c = try worstRatio("""
            A = \(a0); B = \(b0); C = 0; k = \(k)
            J1: A + B -> C; k*A*B
            """, tEnd: 10, column: "A") { delta * a0 / (b0 * exp(delta * k * $0) - a0) }
        // Measured C = 43.7 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 65, "C = \(c)")
    }

    @Test func dimerisationWithStoichiometryTwo() throws {
        // 2A → B at rate k·A²: dA/dt = −2kA², A(t) = A0 / (1 + 2k·A0·t).
        let c = try worstRatio("""
            A = 5; B = 0; k = 0.3
            J1: 2 A -> B; k*A^2
            """, tEnd: 10, column: "A") { 5 / (1 + 2 * 0.3 * 5 * $0) }
        // Measured C = 15.2 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 25, "C = \(c)")
    }

    @Test func nonUnityCompartmentScalesTheODE() throws {
        // A reaction rate is an amount per time: in a compartment of size V,
        // d[A]/dt = −k·[A]/V, so [A](t) = A0·e^{−kt/V}.
        let v = 2.5, k = 1.5
        let c = try worstRatio("""
            compartment cell = \(v)
            species A in cell
            A = 4; k = \(k)
            J1: A -> ; k*A
            """, tEnd: 10, column: "A") { 4 * exp(-k * $0 / v) }
        // Measured C = 22.0 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 35, "C = \(c)")
    }

    @Test func assignmentRuleTracksItsInputs() throws {
        let text = """
            A = 2; k = 0.4
            J1: A -> ; k*A
            B := 3*A + 1
            """
        let c = try worstRatio(text, tEnd: 10, column: "B") { 3 * 2 * exp(-0.4 * $0) + 1 }
        // Measured C = 5.6 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 10, "C = \(c)")
    }

    @Test func assignmentRuleInsideARateLaw() throws {
        // The effective rate constant comes from a rule: A(t) = A0·e^{−2k·t}.
        let c = try worstRatio("""
            A = 1; k = 0.25
            keff := 2*k
            J1: A -> ; keff*A
            """, tEnd: 10, column: "A") { exp(-0.5 * $0) }
        // Measured C = 16.6 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 25, "C = \(c)")
    }

    @Test func rateRuleRelaxesToSteadyState() throws {
        // x' = −k·x + s: x(t) = s/k + (x0 − s/k)·e^{−kt}.
        let k = 0.9, s = 2.0, x0 = 0.5
        let c = try worstRatio("""
            x = \(x0); k = \(k); s = \(s)
            x' = -k*x + s
            """, tEnd: 10, column: "x") { s / k + (x0 - s / k) * exp(-k * $0) }
        // Measured C = 5.8 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 10, "C = \(c)")
    }

    @Test func additivePulseTrainIsASumOfExponentials() throws {
        // A decays at rate k; each event adds d. A(t) = A0·e^{−kt} + Σ_{ti ≤ t} d·e^{−k(t − ti)}.
        // Pulse times fall between and on output points (2.0 is on the grid).
        let k = 0.6, d = 1.5, a0 = 1.0
        let pulses = [0.73, 2.0, 3.31, 3.32, 5.5]
        var text = "A = \(a0); k = \(k); d = \(d)\nJ1: A -> ; k*A\n"
        for (i, t) in pulses.enumerated() { text += "E\(i): at (time >= \(t)): A = A + d\n" }
        let c = try worstRatio(text, tEnd: 8, points: 81, column: "A") { t in
            a0 * exp(-k * t) + pulses.filter { $0 <= t }.map { d * exp(-k * (t - $0)) }.reduce(0, +)
        }
        // Measured C = 9.5 (rtol 1e-8, atol 1e-12); bound ≈ 1.5× that.
        #expect(c <= 15, "C = \(c)")
    }

    @Test func pulseTrainCountsEventsAndRestarts() throws {
        var text = "A = 0; k = 1\nJ1: A -> ; k*A\n"
        for i in 0..<10 { text += "at (time >= \(Double(i) + 0.5)): A = A + 1\n" }
        let result = try TestModels.simulate(text, tEnd: 12, points: 13)
        #expect(result.eventsExecuted == 10)
        #expect(result.statistics.reinitialisations == 10)
    }

    /// The solver restarts only at instants whose events change what it integrates: `p` (read
    /// by an output rule alone) at 1, 3 and 5 s, and `thr`, a trigger's threshold, at 2 s do not;
    /// `kk`, which the rate reads through the rule `k := kk`, at 4 s does. A follows the closed
    /// form throughout, and the output rule shows each new `p`.
    @Test func onlyInstantsThatChangeTheProblemRestartTheSolver() throws {
        let text = """
            A = 1; kk = 0.5; p = 0; thr = 10
            k := kk
            shown := A + p
            J1: A -> ; k*A
            at (time >= 1): p = 1
            at (time >= 2): thr = 20
            at (time >= 3): p = 2
            at (time >= 4): kk = 1
            at (time >= 5): p = 3
            at (p > thr): A = 0
            """
        let r = try TestModels.simulate(text, tEnd: 6, points: 61, columns: ["A", "shown"])
        #expect(r.failure == nil)
        #expect(r.eventsExecuted == 5)
        #expect(r.statistics.reinitialisations == 1)
        func exact(_ t: Double) -> Double { t <= 4 ? exp(-0.5 * t) : exp(-2) * exp(-(t - 4)) }
        for row in 0..<r.trajectory.rowCount {
            let t = r.trajectory.times[row], a = r.trajectory.value(row: row, column: 0)
            // rtol 1e-6 a step; the errors of a few hundred steps add up to well under 1e-4.
            #expect(abs(a - exact(t)) <= 1e-4 * exact(t), "A(\(t)) = \(a), exact \(exact(t))")
            let p: Double = t < 1 ? 0 : t < 3 ? 1 : t < 5 ? 2 : 3
            #expect(abs(r.trajectory.value(row: row, column: 1) - (a + p)) <= 1e-12, "shown at \(t)")
        }
    }

    @Test func errorShrinksAsToleranceTightens() throws {
        let text = "A = 10; k = 0.7\nJ1: A -> ; k*A\n"
        var errors: [Double] = []
        for tol in [1e-4, 1e-6, 1e-8, 1e-10] {
            let r = try TestModels.simulate(text, tEnd: 10, points: 11, rtol: tol, atol: tol * 1e-3, columns: ["A"])
            errors.append((0..<r.trajectory.rowCount).map { abs(r.trajectory.value(row: $0, column: 0) - 10 * exp(-0.7 * r.trajectory.times[$0])) }.max()!)
        }
        for (a, b) in zip(errors, errors.dropFirst()) { #expect(b < a, "errors \(errors)") }
    }

    @Test func massIsConservedInAClosedCycle() throws {
        let r = try TestModels.simulate("""
            A = 1; B = 2; C = 3
            J1: A -> B; 1.3*A
            J2: B -> C; 0.7*B
            J3: C -> A; 0.2*C
            """, tEnd: 50, points: 51, rtol: 1e-8, atol: 1e-12)
        for row in 0..<r.trajectory.rowCount {
            let total = (0..<3).map { r.trajectory.value(row: row, column: $0) }.reduce(0, +)
            #expect(abs(total - 6) < 1e-9)
        }
    }
}
