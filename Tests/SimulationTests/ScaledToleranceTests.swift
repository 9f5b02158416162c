import Testing
import Foundation
import KineticsCore
import CVODEIntegration
@testable import Simulation
import PathwayTestSupport

/// Absolute tolerances scaled to each state's size (`SimulationRequest.scalesAbsoluteTolerance`,
/// `IntegratorOptions.absoluteTolerances`) on a harmonic oscillator of amplitude 1e-10, 10⁶
/// times below the size where atol 1e-12 takes over from rtol 1e-8 (1e-4), beside a decaying state of size 1:
/// x(t) = a·cos t, v(t) = −a·sin t, B(t) = e^{−t/10}.
@Suite struct ScaledToleranceTests {
    let rtol = 1e-8
    let atol = 1e-12
    let amplitude = 1e-10
    var model: String {
        """
        x = \(amplitude); v = 0; B = 1; k = 0.1
        x' = v
        v' = -x
        J1: B -> ; k*B
        """
    }

    func request(scaled: Bool, sensitivities: [String] = []) -> SimulationRequest {
        var r = SimulationRequest(grid: TimeGrid(end: 20, count: 201), columns: ["x", "B"],
                                  options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol))
        r.scalesAbsoluteTolerance = scaled
        r.sensitivityParameters = sensitivities
        return r
    }

    /// max |x − a·cos t| over the grid, in units of the amplitude.
    func worstRelativeError(_ result: SimulationResult) -> Double {
        let t = result.trajectory
        return (0..<t.rowCount).map { abs(t.value(row: $0, column: 0) - amplitude * cos(t.times[$0])) / amplitude }.max() ?? .infinity
    }

    @Test func tolerancesScaleOnlyStatesBelowTheCrossover() throws {
        // rtol × peak below atol: that; above, or a state that stayed 0: atol; an underflowing peak: the smallest normal.
        let t = try #require(Simulator.scaledAbsoluteTolerances(peaks: [1, 1e-10, 0, 1e-320], relative: rtol, absolute: atol))
        #expect(t[0] == atol && t[2] == atol)
        #expect(abs(t[1] - 1e-18) <= 1e-30)
        #expect(t[3] == .leastNormalMagnitude)
        // No state below rtol × peak = atol (1e-4 here): nothing to scale.
        #expect(Simulator.scaledAbsoluteTolerances(peaks: [1, 1e-4, 0], relative: rtol, absolute: atol) == nil)
    }

    @Test func aTinyOscillatorIsResolvedOnlyWithScaledTolerances() throws {
        let simulator = Simulator(model: try TestModels.compile(model))
        let plain = try simulator.run(request(scaled: false))
        let scaled = try simulator.run(request(scaled: true))
        #expect(plain.failure == nil && scaled.failure == nil)
        let before = worstRelativeError(plain), after = worstRelativeError(scaled)
        print("oscillator of amplitude 1e-10: worst error / amplitude \(before) at atol 1e-12, \(after) scaled")
        // Scaled: x's tolerance is rtol × 1e-10, so the error is rtol-sized relative to the
        // amplitude, times CVODE's accumulation over three periods. Measured 1.65e-6
        // (165 rtol); bound ≈ 1.5× that.
        #expect(after <= 2.5e-6, "error \(after)")
        // At the scalar atol the same run is off by far more (measured 2.7e-2): this is
        // what the scaling mends, not a property of the oscillator.
        #expect(before >= 100 * after, "plain \(before), scaled \(after)")
        // B (peak 1) keeps atol and stays within its tolerance of e^{−t/10}: measured
        // C = 0.009 (the oscillator's small steps carry it); bound ≈ 1.5× that.
        let c = (0..<scaled.trajectory.rowCount).map { r in
            toleranceRatio(scaled.trajectory.value(row: r, column: 1), exp(-0.1 * scaled.trajectory.times[r]), rtol: rtol, atol: atol)
        }.max() ?? .infinity
        print("B: tolerance ratio C = \(c)")
        #expect(c <= 0.015, "C = \(c)")
    }

    @Test func theScaledRunIsTheRunAtThoseTolerancesAndCountsBothRuns() throws {
        let simulator = Simulator(model: try TestModels.compile(model))
        let pilot = try simulator.run(request(scaled: false))
        let peaks = pilot.statePeaks
        #expect(peaks.count == 3)
        var explicit = request(scaled: false)
        explicit.options.absoluteTolerances = try #require(Simulator.scaledAbsoluteTolerances(peaks: peaks, relative: rtol, absolute: atol))
        let direct = try simulator.run(explicit)
        let scaled = try simulator.run(request(scaled: true))
        #expect(scaled.trajectory.values == direct.trajectory.values)
        #expect(scaled.statistics.steps == pilot.statistics.steps + direct.statistics.steps)
    }

    @Test func withoutATinyStateTheRunIsUnchanged() throws {
        // Amplitude 1: every peak is above the crossover, so the first run is the result.
        let simulator = Simulator(model: try TestModels.compile(model.replacingOccurrences(of: "x = \(amplitude)", with: "x = 1")))
        let plain = try simulator.run(request(scaled: false))
        let scaled = try simulator.run(request(scaled: true))
        #expect(scaled.trajectory.values == plain.trajectory.values)
        #expect(scaled.statistics == plain.statistics)
    }

    @Test func sensitivitiesFollowTheScaledTolerances() throws {
        // ∂x/∂x0 = cos t. CVODES scales the state tolerances by 1/|x0| for it (CVodeSensEEtolerances):
        // atol 1e-12 / 1e-10 = 1e-2 at the scalar tolerance, rtol × 1e-10 / 1e-10 = rtol scaled.
        let base = try TestModels.compile(model)
        let simulator = Simulator(model: try base.differentiated(with: ["init(x)"]))
        func worst(_ scaled: Bool) throws -> Double {
            let result = try simulator.run(request(scaled: scaled, sensitivities: ["init(x)"]))
            #expect(result.failure == nil)
            let s = try #require(result.sensitivities?.series(column: "x", parameter: "init(x)"))
            return zip(s, result.trajectory.times).map { abs($0 - cos($1)) }.max() ?? .infinity
        }
        let before = try worst(false), after = try worst(true)
        print("∂x/∂x0: worst error \(before) at atol 1e-12, \(after) scaled")
        // Measured 1.65e-6 scaled, 2.7e-2 at atol 1e-12 (the state's relative errors: the
        // system is linear in x0); bound ≈ 1.5× that.
        #expect(after <= 2.5e-6, "error \(after)")
        #expect(before >= 100 * after, "plain \(before), scaled \(after)")
    }
}
