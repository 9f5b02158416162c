import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// `kinapse scan SYNAPSE`: a protocol run at every point of a parameter grid.
@Suite struct SynapseParameterScanTests {
    /// The closed-form probe synapse of `ScanProbe` (ΔIPSC = 300·w % for three pulses).
    static func probe(in dir: URL) throws -> SynapseDefinition {
        try ScanProbe.write(in: dir)
        return try SynapseReader.read(path: dir.appendingPathComponent("scan_probe.toml").path)
    }

    static let threePulses = InductionProtocol(
        name: "three", baselineDuration: 30, testInterval: 10,
        induction: [InductionBlock(stimulus: "pre", pattern: .train(rate: 1, count: 3, repeats: 1, repeatInterval: 0))],
        followUpDuration: 30, analysisWindow: 0...30)

    static func request(in dir: URL) throws -> SynapseRunRequest {
        let synapse = try probe(in: dir)
        return SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: threePulses)
    }

    @Test func everyGridPointGivesTheClosedForm() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let points: [[Double]] = [[0.05, 0.2], [0.05, 0.6], [0.2, 0.2], [0.2, 0.6]]
        let scan = try SynapseParameterScan.run(try Self.request(in: dir), names: ["w", "p0"], points: points, jobs: 2)
        #expect(scan.map(\.values) == points)
        for p in scan {
            let s = try #require(p.summary, "\(p.values): \(p.failure ?? "")")
            let r = SynapseParameterScan.readouts(s, biophysical: false)
            // Sums of a few exact increments: round-off only.
            #expect(abs(r[0] - 300 * p.values[0]) <= 1e-9, "ΔIPSC at \(p.values): \(r[0])")
            #expect(abs(r[3] - 300 * p.values[0]) <= 1e-9, "ΔN at \(p.values): \(r[3])")
            #expect(abs(r[4]) <= 1e-9 && abs(r[1]) <= 1e-9, "ΔPr and ΔPPR at \(p.values)")
        }
        let one = try SynapseParameterScan.run(try Self.request(in: dir), names: ["w", "p0"], points: points, jobs: 1)
        #expect(one.map { $0.summary?.amplitudeChange } == scan.map { $0.summary?.amplitudeChange })
    }

    @Test func anUnknownNameIsRefusedWithASuggestion() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try SynapseParameterScan.run(try Self.request(in: dir), names: ["p00"], points: [[1]], jobs: 1)
        } throws: { error in
            "\(error)".contains("cannot scan 'p00'") && "\(error)".contains("'p0'")
        }
    }

    /// A drug graded by the Hill equation: at C µM the increment is w·(1 − C/(C + 1)), so
    /// ΔIPSC = 300·0.1/(1 + C) %, a Hill curve in C with IC50 1 µM and h = 1, at every point of
    /// a dose–response scan; --block applies the declared 10 µM (1/11 of the increment left).
    @Test func aDrugsConcentrationGradesItsEffect() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let doses = [0.01, 0.1, 0.5, 1, 2, 10, 100.0]
        let scan = try SynapseParameterScan.run(try Self.request(in: dir), names: ["drug:X"], points: doses.map { [$0] }, jobs: 2)
        for (p, c) in zip(scan, doses) {
            let change = try #require(p.summary?.amplitudeChange)
            #expect(abs(change - 30 / (1 + c)) <= 1e-9, "at \(c) µM: \(change)")
        }
        var request = try Self.request(in: dir)
        request.blockers = ["X"]
        let declared = try #require(try SynapseRunner.run(request).summary?.amplitudeChange)
        #expect(abs(declared - 30 / 11) <= 1e-9)
        request.blockers = ["Y"]
        #expect(abs(try #require(try SynapseRunner.run(request).summary?.amplitudeChange)) <= 1e-12)
        request.blockers = []
        request.drugs = [("Y", 1)]
        #expect { try SynapseRunner.run(request) } throws: { "\($0)".contains("all-or-none block") }
    }
}

/// The `[blockers.*]` keys of a graded drug, read with their errors at their place.
@Suite struct GradedBlockerReaderTests {
    static func read(_ blocker: String) throws -> SynapseDefinition {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-blocker-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "model = \"x.ant\"\n[release]\nsites = 1\nquantal_size = 1\nreference_receptors = 1\ntau_recovery = 0\n[blockers.D]\n\(blocker)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try SynapseReader.read(path: path)
    }

    @Test func icHillAndRouteAreRead() throws {
        let d = try #require(try Self.read("concentration = 5\nic50 = 0.2\nhill = 2\nroute = \"pipette\"\nset = { g = 0 }").blockers["D"])
        #expect(d.ic50 == 0.2 && d.hill == 2 && d.route == .pipette && d.concentration == 5)
        // Occupancy at the IC50 is one half; at 5 µM (25 IC50s, squared) 625/626.
        #expect(abs(d.fraction(at: 0.2) - 0.5) < 1e-15 && abs(d.fraction(at: 5) - 625.0 / 626) < 1e-15)
    }

    @Test(arguments: [("ic50 = 1\nset = { g = 0 }", "has an ic50 but no concentration"),
                      ("concentration = 1\nroute = \"vein\"\nset = { g = 0 }", "route must be \"bath\" or \"pipette\""),
                      ("concentration = 1\nic50 = -1\nset = { g = 0 }", "ic50")])
    func badKeysAreReportedAtTheirPlace(text: String, message: String) {
        #expect { try Self.read(text) } throws: { "\($0)".contains(message) }
    }
}
