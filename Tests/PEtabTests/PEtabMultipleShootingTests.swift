import Testing
import Foundation
import PEtab
import Optimization
import SourceDiagnostics

/// Multiple shooting as a rewrite of a PEtab problem (`PEtabMultipleShooting`): at a
/// continuous point the rewritten problem simulates what the original does, its gradient
/// agrees with finite differences, and on an oscillator where single shooting from a start
/// out of phase ends in a spurious optimum, multiple shooting from the same start reaches
/// the true one.
struct PEtabMultipleShootingTests {
    /// A harmonic oscillator dx/dt = −ω·y, dy/dt = ω·x from x = 1, y = 0 (two reactions with
    /// signed rates), x observed without error as cos(ωt) at 41 times on [0, 10] (ω = 2:
    /// 3.2 periods), σ = 0.1, ω estimated on log10 in [0.1, 10].
    /// `drifting`: ω grows with time (ω·(1 + 0.01·t) in dy/dt), a non-autonomous model.
    static func oscillator(omega: Double = 2, drifting: Bool = false) throws -> PEtabProblem {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-shooting-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ rows: [String]) throws {
            try (rows.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        func reaction(_ id: String, product: String, _ math: String) -> [String] {
            ["<reaction id=\"\(id)\" reversible=\"false\"><listOfProducts><speciesReference species=\"\(product)\" stoichiometry=\"1\"/></listOfProducts>",
             "<kineticLaw><math xmlns=\"http://www.w3.org/1998/Math/MathML\">\(math)</math></kineticLaw></reaction>"]
        }
        try write("model.xml", ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                                "<sbml xmlns=\"http://www.sbml.org/sbml/level2/version4\" level=\"2\" version=\"4\"><model id=\"oscillator\">",
                                "<listOfCompartments><compartment id=\"c\" size=\"1\" constant=\"true\"/></listOfCompartments>",
                                "<listOfSpecies><species id=\"x\" compartment=\"c\" initialConcentration=\"1\"/>",
                                "<species id=\"y\" compartment=\"c\" initialConcentration=\"0\"/></listOfSpecies>",
                                "<listOfParameters><parameter id=\"omega\" value=\"1\" constant=\"true\"/></listOfParameters><listOfReactions>"]
                                + reaction("rx", product: "x", "<apply><minus/><apply><times/><ci>omega</ci><ci>y</ci></apply></apply>")
                                + reaction("ry", product: "y", drifting
                                    ? "<apply><times/><ci>omega</ci><ci>x</ci><apply><plus/><cn>1</cn><apply><times/><cn>0.01</cn>"
                                      + "<csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\">t</csymbol></apply></apply></apply>"
                                    : "<apply><times/><ci>omega</ci><ci>x</ci></apply>")
                                + ["</listOfReactions></model></sbml>"])
        try write("problem.yaml", ["format_version: 1", "parameter_file: parameters.tsv", "problems:", "- condition_files:", "  - conditions.tsv",
                                   "  measurement_files:", "  - measurements.tsv", "  observable_files:", "  - observables.tsv", "  sbml_files:", "  - model.xml"])
        try write("conditions.tsv", ["conditionId", "c0"])
        try write("observables.tsv", ["observableId\tobservableFormula\tnoiseFormula", "obs_x\tx\t0.1"])
        try write("measurements.tsv", ["observableId\tsimulationConditionId\ttime\tmeasurement"]
                  + (0...40).map { k in let t = Double(k) / 4; return "obs_x\tc0\t\(t)\t\(cos(omega * t))" })
        try write("parameters.tsv", ["parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate", "omega\tlog10\t0.1\t10\t\(omega)\t1"])
        return try PEtabReader.read(path: dir.appendingPathComponent("problem.yaml").path)
    }

    /// rtol 1e-11, atol 1e-14.
    static let settings = PEtabHierarchyTests.settings

    /// At a continuous point (every node on the trajectory of the model parameters) the
    /// rewritten problem's data measurements simulate what the original's do and its
    /// continuity residuals vanish; measurement times map back to the original's. Both sides
    /// integrate at rtol 1e-11 over at most 10 time units of an oscillation of amplitude 1,
    /// where CVODES' global error stays within ~10³·rtol: tolerance 1e-7.
    @Test func continuousPointReproducesTheOriginal() throws {
        let problem = try Self.oscillator()
        let shooting = try PEtabMultipleShooting(problem, intervals: 4)
        #expect(shooting.nodes.count == 3 * 2 && shooting.continuity.count == 3 * 2)
        #expect(shooting.problem.estimated.count == problem.estimated.count + shooting.nodes.count)
        // Each data measurement's interval starts at a node time that puts it back in place.
        let original = try PEtabModel(problem, settings: Self.settings)
        var probeSettings = Self.settings
        probeSettings.gradient = false
        let probe = try PEtabModel(shooting.probe, settings: probeSettings)
        let theta = problem.nominalTheta
        let nodes = try shooting.nodeStart(probe, theta: theta)
        let shot = try PEtabModel(shooting.problem, settings: Self.settings)
        let a = try original.evaluate(theta: theta, gradient: false)
        let b = try shot.evaluate(theta: theta + nodes.values, gradient: false)
        for m in problem.measurements.indices {
            #expect(abs(a.simulated[m] - b.simulated[m]) <= 1e-7, "measurement \(m): \(a.simulated[m]) vs \(b.simulated[m])")
            #expect(shooting.problem.measurements[m].time <= problem.measurements[m].time)
        }
        for (m, _) in shooting.continuity { #expect(abs(b.simulated[m]) <= 1e-7, "continuity \(m): \(b.simulated[m])") }
        // The data part of the objective is the original's: same residuals, same σ.
        let dataChi2 = problem.measurements.indices.reduce(0.0) { $0 + pow((problem.measurements[$1].value - b.simulated[$1]) / b.sigmas[$1], 2) }
        #expect(abs(dataChi2 - a.chiSquare) <= 1e-4 * max(1, a.chiSquare), "\(dataChi2) vs \(a.chiSquare)")
        // Off the trajectory the continuity residuals do not vanish: the test above could fail.
        let moved = try shot.evaluate(theta: theta + nodes.values.map { $0 + 0.1 }, gradient: false)
        #expect(shooting.continuity.allSatisfy { abs(moved.simulated[$0.measurement]) > 1e-3 })
    }

    /// The penalised rewritten problem's Jacobian (sensitivities, through the condition table's
    /// node parameters and the continuity weights) against central differences at a
    /// discontinuous point. Step h = 10⁻⁵: truncation h²/6·|r'''| ≲ 10⁻⁷ over intervals of
    /// 2.5 time units (|r'''| ≲ (ln 10·ω·t/σ)³·… ~ 10⁴ in log10 ω for ω = 2, σ = 0.1), solver
    /// error rtol·|r|/h ≈ 10⁻⁵ at |r| ≲ 10 on rtol 1e-11: tolerance 10⁻⁴·max(1, |J|).
    @Test func penalisedJacobianMatchesFiniteDifferences() throws {
        let problem = try Self.oscillator()
        let shooting = try PEtabMultipleShooting(problem, intervals: 4)
        let shot = try PEtabModel(shooting.problem, settings: Self.settings)
        let penalty = shooting.penalised(try PEtabLeastSquares(shot), sigma: 1.0 / 3, magnitude: [1, 1])
        let theta = [log10(2.3)] + (0..<shooting.nodes.count).map { 0.3 * sin(Double($0 + 1)) }
        let e = try penalty.evaluate(at: theta, jacobian: true)
        let j = try #require(e.jacobian)
        let h = 1e-5
        for c in theta.indices {
            var up = theta, down = theta
            up[c] += h
            down[c] -= h
            let ru = try penalty.evaluate(at: up, jacobian: false).residuals, rd = try penalty.evaluate(at: down, jacobian: false).residuals
            for r in e.residuals.indices {
                let fd = (ru[r] - rd[r]) / (2 * h)
                #expect(abs(fd - j[r, c]) <= 1e-4 * max(1, abs(fd)), "∂r\(r)/∂θ\(c): \(j[r, c]) vs \(fd)")
            }
        }
        // The weight scales the continuity rows and only them (both simulated with sensitivities, so bit for bit).
        let plain = try PEtabLeastSquares(shot).evaluate(at: theta, jacobian: true)
        let row = shooting.continuity[0].measurement
        #expect(abs(e.residuals[row] - 3 * plain.residuals[row]) <= 1e-12 * max(1, abs(e.residuals[row])))
        #expect(e.residuals[0] == plain.residuals[0])
    }

    /// ω = 2 fitted from ω = 3.6 (log10 0.556, 0.255 decades off): by then the model runs 1.8
    /// times as fast and is out of phase with the data after half a period, and single
    /// shooting ends in a spurious optimum (the objective is ½χ² plus constants: any
    /// optimum away from ω = 2 leaves χ² ≥ 1 on noise-free data, at ω = 2 it is ~0).
    /// Multiple shooting with 8 intervals from the same start reaches ω = 2: the data are
    /// exact, so the optimum is ω = 2 itself, to the fit's convergence (objective changes
    /// below 10⁻⁶ in ½χ², with ∂²(½χ²)/∂θ² ~ 10⁵ at the optimum: |Δθ| ≲ 10⁻⁵, 10⁻⁴ allowed).
    @Test func oscillatorOutOfPhaseIsRecoveredByMultipleShooting() throws {
        let problem = try Self.oscillator()
        let model = try PEtabModel(problem)
        let start = [log10(3.6)]
        var options = PEtabFitOptions()
        options.starts = 0
        options.jobs = 1
        options.additionalStarts = [start]
        let singleBest = try #require(try PEtabFitRun.run(model, options: options, cancellation: nil).best)
        let single = try #require(singleBest.evaluation), singleTheta = singleBest.theta
        #expect(abs(singleTheta[0] - log10(2)) > 0.01 && single.chiSquare > 1,
                "single shooting: ω = \(pow(10, singleTheta[0])), χ² = \(single.chiSquare)")
        options.multipleShooting = 8
        let outcome = try PEtabFitRun.run(model, options: options, cancellation: nil)
        let best = try #require(outcome.best)
        #expect(abs(best.theta[0] - log10(2)) <= 1e-4, "multiple shooting: ω = \(pow(10, best.theta[0]))")
        #expect(try #require(best.evaluation).chiSquare <= 1e-3)
        #expect(best.start == start)
        #expect(outcome.summary(wallTime: 1, cpuTime: 1).contains("multiple shooting: 8 intervals per condition, 14 node states"))
    }

    /// Problems the rewrite cannot apply to are refused with the reason.
    @Test func tooManyIntervalsAreRefused() throws {
        let problem = try Self.oscillator()
        let error = try #require(throws: DiagnosticsError.self) { try PEtabMultipleShooting(problem, intervals: 42) }
        #expect(error.diagnostics.contains { $0.message.contains("has 41 distinct measurement times; 42 shooting intervals need at least 42") })
        #expect(throws: DiagnosticsError.self) { try PEtabMultipleShooting(problem, intervals: 1) }
        let drifting = try #require(throws: DiagnosticsError.self) { try PEtabMultipleShooting(try Self.oscillator(drifting: true), intervals: 4) }
        #expect(drifting.diagnostics.contains { $0.message.contains("rates or rules depend on time") }, "\(drifting.diagnostics.map(\.message))")
    }

    /// Pre-equilibrated measurements (test-suite case 0009) are refused: the rewrite would restart them.
    @Test(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
    func preequilibrationIsRefused() throws {
        let problem = try PEtabReader.read(path: PEtabFiles.suite.appendingPathComponent("0009/_0009.yaml").path)
        let error = try #require(throws: DiagnosticsError.self) { try PEtabMultipleShooting(problem, intervals: 2) }
        #expect(error.diagnostics.contains { $0.message.contains("pre-equilibration") })
    }
}
