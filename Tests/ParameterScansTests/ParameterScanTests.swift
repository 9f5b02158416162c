import Testing
import Foundation
import ModelCompiler
import CVODEIntegration
import PathwayTestSupport
@testable import ParameterScans

@Suite struct ParameterScanTests {
    /// A synthetic receptor: agonist L and competitive antagonist A (both held constant)
    /// bind R. At rest RL = R_T·(L/K_L)/(1 + L/K_L + A/K_A), an exact Hill curve in A with
    /// h = 1, bottom 0 and IC₅₀ = K_A·(1 + L/K_L) (Cheng & Prusoff 1973): here
    /// 0.05·(1 + 3/1) = 0.2 µM, top = 0.75.
    static let receptor = """
        model receptor()
          J1: R -> RL; kon_L*L*R - koff_L*RL
          J2: R -> RA; kon_A*A*R - koff_A*RA
          R = 1; RL = 0; RA = 0
          L = 3; A = 0
          kon_L = 10; koff_L = 10; kon_A = 20; koff_A = 1
        end
        """

    @Test func logarithmicRangeHitsItsEnds() {
        let values = ScanRange(from: 1e-3, to: 1e3, count: 7, logarithmic: true).values
        #expect(values.first == 1e-3 && values.last == 1e3)
        for (v, e) in zip(values, [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]) { #expect(abs(v - e) <= 1e-13 * e) }
        #expect(ScanRange(from: 0, to: 1, count: 5, logarithmic: false).values == [0, 0.25, 0.5, 0.75, 1])
        // Interior values as a user types them, not as binary arithmetic leaves them.
        #expect(ScanRange(from: 0.1, to: 0.2, count: 3, logarithmic: false).values == [0.1, 0.15, 0.2])
        #expect(ScanRange(from: 0.05, to: 0.4, count: 8, logarithmic: false).values == [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4])
    }

    /// The scanned steady states follow the closed form (Newton: 1e-12 relative), and the
    /// Hill fit gives the known IC₅₀ back within the 1 % (here far better: the curve
    /// is exactly a Hill curve, so only the optimiser's tolerance remains).
    @Test func doseResponseGivesTheKnownIC50Back() throws {
        let model = try TestModels.compile(Self.receptor)
        let doses = ScanRange(from: 1e-4, to: 1e2, count: 31, logarithmic: true).values
        let points = try ParameterScan.run(model, parameter: "A", values: doses, columns: ["RL"], readout: .steadyState, jobs: 2)
        for p in points {
            let exact = 3.0 / (1 + 3 + p.values[0] / 0.05)
            let rl = try #require(p.outputs?.first)
            #expect(abs(rl - exact) <= 1e-12 * exact)
        }
        let fit = try HillFit.fit(doses: points.map { $0.values[0] }, responses: points.map { $0.outputs![0] })
        #expect(abs(fit.midpoint - 0.2) <= 0.01 * 0.2)
        #expect(abs(fit.hill - 1) <= 0.01)
        #expect(abs(fit.top - 0.75) <= 1e-3 && abs(fit.bottom) <= 1e-3)
        #expect(abs(fit.midpoint - 0.2) <= 1e-6 * 0.2)
    }

    /// A two-dimensional grid (antagonist × agonist) visits every combination, the first name
    /// slowest, and each point is the closed form RL = (L/K_L)/(1 + L/K_L + A/K_A) there.
    @Test func twoDimensionalGridFollowsTheClosedFormAtEveryPoint() throws {
        let model = try TestModels.compile(Self.receptor)
        let grid = ScanGrid(names: ["A", "L"], ranges: [ScanRange(from: 0.01, to: 1, count: 3, logarithmic: true),
                                                        ScanRange(from: 1, to: 4, count: 4, logarithmic: false)])
        #expect(grid.count == 12)
        #expect(grid.points.prefix(5).map { $0 } == [[0.01, 1], [0.01, 2], [0.01, 3], [0.01, 4], [0.1, 1]])
        let points = try ParameterScan.run(model, names: grid.names, points: grid.points, columns: ["RL"], readout: .steadyState, jobs: 2)
        #expect(points.map(\.values) == grid.points)
        for p in points {
            let (a, l) = (p.values[0], p.values[1])
            let exact = l / (1 + l + a / 0.05)
            let rl = try #require(p.outputs?.first)
            #expect(abs(rl - exact) <= 1e-10 * exact, "A = \(a), L = \(l)")
        }
    }

    /// Every point starts from the model's initial state, so threads change nothing.
    @Test func resultsDoNotDependOnJobs() throws {
        let model = try TestModels.compile(Self.receptor)
        let doses = ScanRange(from: 1e-3, to: 10, count: 9, logarithmic: true).values
        var options = IntegratorOptions()
        options.relativeTolerance = 1e-8
        let one = try ParameterScan.run(model, parameter: "A", values: doses, columns: ["RL", "RA"], readout: .endOfRun(time: 0.1, options: options), jobs: 1)
        let two = try ParameterScan.run(model, parameter: "A", values: doses, columns: ["RL", "RA"], readout: .endOfRun(time: 0.1, options: options), jobs: 2)
        #expect(one.map(\.outputs) == two.map(\.outputs))
    }

    @Test func unknownNamesAreRefusedBeforeAnyPointRuns() throws {
        let model = try TestModels.compile(Self.receptor)
        #expect(throws: ScanError.self) { try ParameterScan.run(model, parameter: "Ax", values: [1], columns: ["RL"], readout: .steadyState) }
        #expect(throws: ScanError.self) { try ParameterScan.run(model, parameter: "A", values: [1], columns: ["RLL"], readout: .steadyState) }
    }

    /// An activation curve (response rising with dose) fits with its EC₅₀: y = x^2/(x^2 + 4)
    /// has EC₅₀ 2, h = 2, top (no drug) 0 and bottom (saturation) 1.
    @Test func activationCurvesFitToo() throws {
        let doses = ScanRange(from: 0.01, to: 100, count: 25, logarithmic: true).values
        let fit = try HillFit.fit(doses: doses, responses: doses.map { $0 * $0 / ($0 * $0 + 4) })
        #expect(abs(fit.midpoint - 2) <= 1e-6 * 2)
        #expect(abs(fit.hill - 2) <= 1e-6 && abs(fit.top) <= 1e-6 && abs(fit.bottom - 1) <= 1e-6)
        #expect(!fit.isInhibition)
    }

    /// A blocker that abolishes a depression (−20 % → 0 %) is an inhibition, whose midpoint
    /// is an IC₅₀, although the response rises with dose.
    @Test func abolishingADepressionIsAnInhibition() throws {
        let doses = ScanRange(from: 0.001, to: 10, count: 17, logarithmic: true).values
        let fit = try HillFit.fit(doses: doses, responses: doses.map { -20 / (1 + $0 / 0.05) })
        #expect(abs(fit.midpoint / 0.05 - 1) <= 1e-6 && abs(fit.hill - 1) <= 1e-6)
        #expect(fit.isInhibition && abs(fit.top + 20) <= 1e-6)
    }
}
