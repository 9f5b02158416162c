import Testing
import Foundation
import AntimonyFrontEnd
import ModelCompiler
import PathwayModel
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// Properties every shipped pathway file must have.
@Suite struct ShippedPathwayTests {
    @Test func everyShippedPathwayCompiles() throws {
        let files = TestModels.shippedPathways
        #expect(!files.isEmpty)
        for url in files {
            let model = try ModelCompiler.compile(AntimonyLoader.load(path: url.path))
            #expect(model.stateCount > 0, "\(url.lastPathComponent)")
        }
    }

    /// Without a stimulus every library file stays at the resting state its initial values
    /// claim. Initial values are rounded to 4–6 significant digits, so a relative drift of
    /// 1e-3 (plus 1e-9 uM for values that are essentially zero) is allowed.
    @Test(arguments: ["no_cgmp_pkg.ant", "ecb_mglur_cb1.ant", "calcineurin_pka.ant", "calmodulin.ant", "camkii_pp1_switch.ant",
                      "camkii_pp1_bidirectional.ant"])
    func restingStateStaysPut(_ file: String) throws {
        var pathway = try Library.load(file)
        pathway.events.removeAll()                     // no_cgmp_pkg carries its own theta burst
        let result = try Library.run(pathway, tEnd: 600, points: 61)
        #expect(result.failure == nil)
        let trajectory = result.trajectory
        for (c, name) in trajectory.columns.enumerated() {
            let y0 = trajectory.value(row: 0, column: c)
            for row in 0..<trajectory.rowCount {
                let y = trajectory.value(row: row, column: c)
                #expect(abs(y - y0) <= 1e-3 * abs(y0) + 1e-9, "\(file): \(name) drifts from \(y0) to \(y) at t = \(trajectory.times[row])")
            }
        }
    }

    /// 2,400 s of theta-burst-driven input without solver failure at
    /// rtol 1e-6 and 1e-8, the two runs agreeing to 1e-4 relative to each column's maximum.
    /// One theta-burst train (10 bursts of 4 pulses at 100 Hz, bursts at 5 Hz) every 120 s:
    /// iLTD protocols deliver one to a few trains spaced by tens of seconds to minutes, and
    /// every pulse restarts the solver, so 20 trains (800 pulses per input) keep each file
    /// near 20 s in a debug build on a loaded two-core machine (a train every 60 s took ~35 s).
    @Test(arguments: Library.thetaBurstDrives)
    func survivesFortyMinutesOfThetaBurst(_ drive: Library.Drive) throws {
        var pathway = try Library.load(drive.file)
        pathway.events.removeAll()
        let times = Stimuli.thetaBurstTimes(start: 5, end: 2400, trainInterval: 120)
        for (input, amount) in drive.inputs { pathway = Library.driven(pathway, input, by: amount, at: times) }
        let loose = try Library.run(pathway, tEnd: 2400, points: 2401, rtol: 1e-6, atol: 1e-12)
        let tight = try Library.run(pathway, tEnd: 2400, points: 2401, rtol: 1e-8, atol: 1e-14)
        #expect(loose.failure == nil, "\(drive.file): \(String(describing: loose.failure))")
        #expect(tight.failure == nil, "\(drive.file): \(String(describing: tight.failure))")
        let worst = largestRelativeDifference(loose.trajectory, tight.trajectory)
        #expect(worst.value <= 1e-4, "\(drive.file): relative disagreement \(worst.value) in \(worst.column)")
    }
}

/// Loading, running and measuring the files in Pathways/.
enum Library {
    struct Drive: Sendable, CustomStringConvertible {
        let file: String
        /// (input species, parameter holding the increment per pulse)
        let inputs: [(String, String)]
        var description: String { file }
    }

    /// How a theta burst drives each file: every input gets a pulse at every theta-burst time.
    static let thetaBurstDrives: [Drive] = [
        Drive(file: "no_cgmp_pkg.ant", inputs: [("Ca", "dCa")]),
        Drive(file: "ecb_mglur_cb1.ant", inputs: [("Ca", "dCa"), ("Glu", "dGlu_mGluR")]),
        Drive(file: "calcineurin_pka.ant", inputs: [("Ca", "dCa"), ("Gs", "dGs")]),
    ]

    static func load(_ file: String) throws -> Pathway {
        try AntimonyLoader.load(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/\(file)").path)
    }

    static func run(_ pathway: Pathway, tEnd: Double, points: Int, rtol: Double = 1e-6, atol: Double = 1e-12,
                    columns: [String]? = nil, overrides: [(name: String, value: Double)] = []) throws -> SimulationResult {
        let model = try ModelCompiler.compile(pathway)
        let request = SimulationRequest(grid: TimeGrid(end: tEnd, count: points), columns: columns, overrides: overrides,
                                        options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol))
        return try Simulator(model: model).run(request)
    }

    /// `pathway` with `input = input + amount` at each time (event ids prefixed with the
    /// input, so several inputs can be driven at once).
    static func driven(_ pathway: Pathway, _ input: String, by amount: String, at times: [Double]) -> Pathway {
        var out = pathway
        var extra = pathway
        extra.events.removeAll()
        Stimuli.addPulses(to: &extra, input: input, amount: .symbol(amount, nil), at: times)
        out.events += extra.events.map { var e = $0; e.id = "\(input)_\(e.id)"; return e }
        return out
    }

    /// Largest violation of a conservation law in units of the solver tolerance:
    /// max over time of |Σ cᵢ·yᵢ − total| / (rtol·total + atol·n).
    static func conservationRatio(_ result: SimulationResult, _ terms: [(String, Double)], total: Double,
                                  rtol: Double, atol: Double) -> Double {
        let series = terms.map { (result.trajectory.series($0.0)!, $0.1) }
        var worst = 0.0
        for i in 0..<result.trajectory.rowCount {
            let sum = series.reduce(0.0) { $0 + $1.1 * $1.0[i] }
            worst = max(worst, abs(sum - total) / (rtol * total + atol * Double(terms.count)))
        }
        return worst
    }
}

extension SimulationResult {
    /// The time course of a column that must exist.
    func column(_ name: String) -> [Double] { trajectory.series(name)! }

    /// The value of a column at the grid time closest to `t`.
    func value(_ name: String, at t: Double) -> Double {
        let i = trajectory.times.indices.min { abs(trajectory.times[$0] - t) < abs(trajectory.times[$1] - t) }!
        return column(name)[i]
    }
}
