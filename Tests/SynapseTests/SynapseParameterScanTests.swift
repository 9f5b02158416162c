import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation

/// `kinapse scan SYNAPSE`: a protocol run at every point of a parameter grid.
@Suite struct SynapseParameterScanTests {
    /// A synapse whose plasticity has a closed form: each `pre` pulse adds `w` to W, nothing
    /// decays, and N = 1 + W while Pr = p0. Three pulses give N = 1 + 3w after induction, so
    /// ΔIPSC = ΔN = 300·w % whatever p0 is, and ΔPr = ΔPPR = 0.
    static func probe(in dir: URL) throws -> SynapseDefinition {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            model *scan_probe()
              W = 0; w = 0.1; p0 = 0.5; k = 0
              J: W -> ; k*W
              Pr := p0; N := 1 + W
            end
            """.write(to: dir.appendingPathComponent("scan_probe.ant"), atomically: true, encoding: .utf8)
        try """
            model = "scan_probe.ant"
            [release]
            sites = 1
            quantal_size = 1
            reference_receptors = 1
            tau_recovery = 0
            [stimuli.pre]
            increments = { W = "w" }
            """.write(to: dir.appendingPathComponent("scan_probe.toml"), atomically: true, encoding: .utf8)
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
}
