import Testing
import Foundation
import KineticsCore
import CVODEIntegration
import Simulation
import PathwayTestSupport

/// Forward sensitivities compared with closed-form derivatives of closed-form solutions.
///
/// CVODES controls the error of each sensitivity s_k with the state tolerances scaled by
/// the parameter's magnitude (rtol·|s| + atol/|p_k|, `CVodeSensEEtolerances`), so each
/// test asserts max |s − s*| / (rtol·|s*| + atol/|p_k|) ≤ C, with C measured on this
/// engine (as AnalyticSolutionTests does for states). Measured with rtol 1e-8, atol 1e-12:
/// C between 2.9 and 18.6 over every sensitivity below; each bound is 30 (≈ 1.5× the largest).
@Suite struct SensitivityTests {
    let rtol = 1e-8
    let atol = 1e-12

    func run(_ text: String, tEnd: Double, points: Int = 101, columns: [String]? = nil, parameters: [String],
             overrides: [(name: String, value: Double)] = []) throws -> SimulationResult {
        let model = try TestModels.compile(text)
        var request = SimulationRequest(grid: TimeGrid(end: tEnd, count: points), columns: columns, overrides: overrides,
                                        options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol))
        request.sensitivityParameters = parameters
        let result = try Simulator(model: model.differentiated(with: parameters)).run(request)
        #expect(result.failure == nil)
        return result
    }

    /// Largest tolerance ratio of column `column`'s sensitivity to `parameter` against `exact(t)`.
    func worstRatio(_ result: SimulationResult, column: String, parameter: String, scale: Double,
                    exact: (Double) -> Double) throws -> Double {
        let s = try #require(result.sensitivities)
        let series = try #require(s.series(column: column, parameter: parameter))
        #expect(series.count == result.trajectory.rowCount)
        var worst = 0.0
        for (r, value) in series.enumerated() {
            worst = max(worst, toleranceRatio(value, exact(s.times[r]), rtol: rtol, atol: atol / scale))
        }
        print("sensitivity tolerance ratio C = \(worst) for ∂\(column)/∂\(parameter)")
        return worst
    }

    @Test func firstOrderDecay() throws {
        let a0 = 10.0, k = 0.7
        let result = try run("A = \(a0); k = \(k)\nJ1: A -> ; k*A", tEnd: 20, parameters: ["k", "init(A)"])
        let ck = try worstRatio(result, column: "A", parameter: "k", scale: k) { -$0 * a0 * exp(-k * $0) }
        let ca = try worstRatio(result, column: "A", parameter: "init(A)", scale: a0) { exp(-k * $0) }
        #expect(ck <= 30, "C = \(ck)")
        #expect(ca <= 30, "C = \(ca)")
    }

    /// Pulses of size d at t = 1, 2, …, 5 into a decaying pool: A(t) = Σ_{t_i ≤ t} d·e^{−k(t − t_i)}.
    @Test func pulseTrainWithParameterSizedPulses() throws {
        let k = 0.5, d = 2.0
        var text = "A = 0; k = \(k); d = \(d)\nJ1: A -> ; k*A\n"
        for i in 1...5 { text += "P\(i): at (time >= \(i)): A = A + d\n" }
        let result = try run(text, tEnd: 8, points: 161, parameters: ["d", "k"])
        func sum(_ t: Double, _ term: (Double) -> Double) -> Double {
            var total = 0.0
            for i in 1...5 where Double(i) <= t + 1e-12 { total += term(t - Double(i)) }
            return total
        }
        let cd = try worstRatio(result, column: "A", parameter: "d", scale: d) { t in sum(t) { exp(-k * $0) } }
        let ck = try worstRatio(result, column: "A", parameter: "k", scale: k) { t in sum(t) { -d * $0 * exp(-k * $0) } }
        #expect(cd <= 30, "C = \(cd)")
        #expect(ck <= 30, "C = \(ck)")
    }

    /// A ⇌ B with a rule R := kf·A/(1 + B): sensitivities of a state and of a rule.
    @Test func reversibleReactionWithRule() throws {
        let kf = 2.0, kr = 0.5, a0 = 3.0, b0 = 1.0
        let total = a0 + b0, lambda = kf + kr, aEq = kr * total / lambda
        let result = try run("A = \(a0); B = \(b0); kf = \(kf); kr = \(kr)\nJ1: A -> B; kf*A - kr*B\nR := kf*A/(1 + B)",
                             tEnd: 5, columns: ["A", "B", "R"], parameters: ["kf", "kr"])
        func daDkf(_ t: Double) -> Double {
            let dEq = -kr * total / (lambda * lambda)
            return dEq * (1 - exp(-lambda * t)) - (a0 - aEq) * t * exp(-lambda * t)
        }
        func daDkr(_ t: Double) -> Double {
            let dEq = total / lambda - kr * total / (lambda * lambda)
            return dEq * (1 - exp(-lambda * t)) - (a0 - aEq) * t * exp(-lambda * t)
        }
        let cA = try worstRatio(result, column: "A", parameter: "kf", scale: kf, exact: daDkf)
        let cB = try worstRatio(result, column: "B", parameter: "kr", scale: kr) { -daDkr($0) }
        // R = kf·A/(1 + B): dR/dkf = A/(1+B) + kf·A′/(1+B) − kf·A·B′/(1+B)². Its exact value
        // nearly cancels (|dR/dkf| ≪ its terms), so the rule's chain rule is checked against
        // this formula evaluated on the computed A, B, A′, B′: agreement to round-off.
        let s = try #require(result.sensitivities)
        var worstRule = 0.0
        for row in 0..<result.trajectory.rowCount {
            let x = result.trajectory.value(row: row, column: 0), b = result.trajectory.value(row: row, column: 1)
            let dx = s.value(row: row, column: 0, parameter: 0), db = s.value(row: row, column: 1, parameter: 0)
            let expected = x / (1 + b) + kf * dx / (1 + b) - kf * x * db / ((1 + b) * (1 + b))
            worstRule = max(worstRule, abs(s.value(row: row, column: 2, parameter: 0) - expected))
        }
        #expect(worstRule <= 1e-14, "rule sensitivity off by \(worstRule)")
        #expect(cA <= 30, "C = \(cA)")
        #expect(cB <= 30, "C = \(cB)")
    }

    /// A species whose initial value is computed from a parameter, in a compartment of size 2.
    @Test func initialValueFromParameter() throws {
        let a0p = 2.0, k = 0.4
        let result = try run("compartment c = 2\nspecies A in c\nA0p = \(a0p); A = 3*A0p; k = \(k)\nJ1: A -> ; k*A*c",
                             tEnd: 10, parameters: ["A0p"])
        let c = try worstRatio(result, column: "A", parameter: "A0p", scale: a0p) { 3 * exp(-k * $0) }
        #expect(c <= 30, "C = \(c)")
    }

    /// An event that sets a parameter: k switches to k2 at t = 2, so A's later decay
    /// depends on both through σ (the sensitivities of plain values events assign).
    @Test func eventAssigningAParameter() throws {
        let k = 0.5, k2 = 1.5
        let result = try run("A = 1; k = \(k); k2 = \(k2)\nJ1: A -> ; k*A\nE: at (time >= 2): k = k2",
                             tEnd: 6, points: 121, parameters: ["k", "k2"])
        func after(_ t: Double) -> Double { exp(-2 * k - k2 * (t - 2)) }
        let ck = try worstRatio(result, column: "A", parameter: "k", scale: k) { t in
            t < 2 ? -t * exp(-k * t) : -2 * after(t)
        }
        let ck2 = try worstRatio(result, column: "A", parameter: "k2", scale: k2) { t in
            t < 2 ? 0 : -(t - 2) * after(t)
        }
        #expect(ck <= 30, "C = \(ck)")
        #expect(ck2 <= 30, "C = \(ck2)")
    }

    @Test func withoutParametersTheRunIsUnchanged() throws {
        let text = "A = 1; k = 0.5; k2 = 1.5\nJ1: A -> ; k*A\nE: at (time >= 2): k = k2"
        let plain = try TestModels.simulate(text, tEnd: 6, points: 61)
        let model = try TestModels.compile(text)
        let simulator = Simulator(model: try model.differentiated(with: ["k"]))
        var request = SimulationRequest(grid: TimeGrid(end: 6, count: 61))
        request.sensitivityParameters = ["k"]
        _ = try simulator.run(request)  // the model's layout holds the sensitivity slots
        request.sensitivityParameters = []
        let after = try simulator.run(request)
        #expect(after.sensitivities == nil)
        #expect(after.trajectory.values == plain.trajectory.values)
        #expect(after.statistics == plain.statistics)
    }

    @Test func badParametersAreRefused() throws {
        let model = try TestModels.compile("A = 1; k = 0.5\nJ1: A -> ; k*A\nR := 2*k")
        for (name, fragment) in [("kk", "did you mean 'k'"), ("A", "init(A)"), ("R", "computed by a rule"), ("init(k)", "not a state")] {
            var request = SimulationRequest(grid: TimeGrid(end: 1, count: 2))
            request.sensitivityParameters = [name]
            #expect {
                try Simulator(model: model.differentiated(with: [name])).run(request)
            } throws: { "\($0)".contains(fragment) }
        }
    }

    @Test func stateTriggeredEventsAreRefusedByName() throws {
        let model = try TestModels.compile("A = 1; k = 0.5\nJ1: A -> ; k*A\nLow: at (A < 0.5): A = 1")
        var request = SimulationRequest(grid: TimeGrid(end: 1, count: 2))
        request.sensitivityParameters = ["k"]
        #expect {
            try Simulator(model: model.differentiated(with: ["k"])).run(request)
        } throws: { "\($0)".contains("event 'Low'") }
    }
}
