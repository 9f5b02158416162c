import Testing
import Foundation
import PathwayTestSupport

/// `kinapse scan` on a synapse and over two dimensions, through the command line.
@Suite struct ScanCommandTests {
    /// `ScanProbe`'s synapse (ΔIPSC = 300·w % for three pulses) and its three-pulse protocol.
    static func writeProbe(in dir: URL) throws {
        try ScanProbe.write(in: dir)
        try """
            description = "three pulses"
            [baseline]
            duration = 30
            test_interval = 10
            [[induction]]
            stimulus = "pre"
            pattern = "train"
            rate = 1
            count = 3
            [follow_up]
            duration = 30
            analysis_window = [0, 30]
            """.write(to: dir.appendingPathComponent("three.toml"), atomically: true, encoding: .utf8)
    }

    @Test func aSynapseScanWritesTheSummaryPerGridPointAndAHeatMap() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeProbe(in: dir)
        let r = try CLI.run(["scan", "scan_probe.toml", "--protocol", "three.toml", "--vary", "w=0.1:0.3:3", "--vary", "p0=0.1:1:2:log",
                             "--out", "grid.csv", "--plot", "grid.svg", "--quiet", "--jobs", "2"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOf: dir.appendingPathComponent("grid.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "w,p0,delta_ipsc_percent,delta_ppr_percent,delta_inverse_cv2_percent,delta_receptors_percent,delta_pr_percent")
        #expect(lines.count == 7)
        for line in lines.dropFirst() {
            let v = line.split(separator: ",").compactMap { Double($0) }
            #expect(abs(v[2] - 300 * v[0]) <= 1e-9, "\(line)")
        }
        let svg = try String(contentsOf: dir.appendingPathComponent("grid.svg"), encoding: .utf8)
        #expect(svg.contains("class=\"cells\"") && svg.contains("delta_ipsc_percent"))
    }

    /// A dose–response of the plasticity: ΔIPSC = 30/(1 + (C/IC50)^h) % for the drug's declared
    /// IC50 and Hill coefficient, so the Hill fit of the scan gives both back (the 1 %;
    /// here an exact Hill curve, so 1 % for h too).
    @Test(arguments: [("X", 1.0, 1.0), ("Z", 0.5, 2.0)])
    func aDrugScanGivesItsIC50AndHillCoefficientBack(drug: String, ic50: Double, hill: Double) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeProbe(in: dir)
        let r = try CLI.run(["scan", "scan_probe.toml", "--protocol", "three.toml", "--vary", "drug:\(drug)=0.01:100:17:log",
                             "--hill", "delta_ipsc_percent", "--out", "dose.csv", "--quiet"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        func number(after label: String) -> Double? {
            r.stderr.components(separatedBy: label).dropFirst().first.flatMap { Double($0.prefix { !$0.isWhitespace && $0 != "," }) }
        }
        #expect(number(after: "IC50 = ").map { abs($0 / ic50 - 1) < 0.01 } == true, "\(r.stderr)")
        #expect(number(after: "Hill coefficient ").map { abs($0 / hill - 1) < 0.01 } == true, "\(r.stderr)")
    }

    @Test(arguments: [
        (["--vary", "w=0.1:0.3:3", "--vary", "w=1:2:2"], "--vary names 'w' twice"),
        (["--vary", "w=0.1:0.3:3", "--vary", "p0=1:2:2", "--vary", "k=1:2:2"], "at most two --vary"),
        (["--vary", "w=0.1:0.3:3"], "needs --protocol"),
        (["--vary", "w=0:0.3:3:log", "--protocol", "three.toml"], "positive FROM and TO"),
        (["--vary", "w=0.1:0.3:3", "--vary", "p0=1:2:2", "--protocol", "three.toml", "--hill", "delta_ipsc_percent"], "one-dimensional"),
    ])
    func badGridsAreRefusedBeforeAnyRun(arguments: [String], message: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-scan-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeProbe(in: dir)
        let r = try CLI.run(["scan", "scan_probe.toml"] + arguments, in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}
