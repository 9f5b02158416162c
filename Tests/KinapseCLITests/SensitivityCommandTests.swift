import Testing
import Foundation

/// `kinapse sensitivity`: what it refuses, before any run (the ranking itself is checked
/// against finite differences in SynapseTests/AmplitudeChangeSensitivityTests).
@Suite struct SensitivityCommandTests {
    @Test func biophysicalSynapseIsRefusedWithTheReason() throws {
        let r = try CLI.run(["sensitivity", "entorhinal_stellate_rig", "--protocol", "pairing"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is biophysical: its IPSC is read from the simulated recording, which has no forward sensitivities"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownParameterIsNamedWithANeighbour() throws {
        let r = try CLI.run(["sensitivity", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation", "--parameters", "Ca_depoll"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot differentiate with respect to 'Ca_depoll'") && r.stderr.contains("did you mean 'Ca_depol'?"), "\(r.stderr)")
    }

    /// Agonist L and antagonist A compete for R (kon/koff as written): at rest RL = (L/K_L)/D,
    /// D = 1 + L/K_L + A/K_A. With L = 3, K_L = 1, A = 0.1, K_A = 0.05, D = 6, so
    /// ∂ln RL/∂ln kon_L = 1 − (L/K_L)/D = 1/2 (−1/2 for koff_L) and ∂ln RL/∂ln kon_A = −(A/K_A)/D
    /// = −1/3 (+1/3 for koff_A); at t = 50 s every transient (rates ≥ 10/s) has died away.
    static let receptor = """
        model receptor()
          J1: R -> RL; kon_L*L*R - koff_L*RL
          J2: R -> RA; kon_A*A*R - koff_A*RA
          R = 1; RL = 0; RA = 0
          L = 3; A = 0.1
          kon_L = 10; koff_L = 10; kon_A = 20; koff_A = 1
        end
        """

    static func writeReceptor() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-sens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try receptor.write(to: dir.appendingPathComponent("receptor.ant"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func pathwayElasticitiesMatchTheClosedForm() throws {
        let dir = try Self.writeReceptor()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["sensitivity", "receptor.ant", "--t-end", "50", "--readout", "RL", "--rtol", "1e-10", "--atol", "1e-14",
                             "--parameters", "kon_L,koff_L,kon_A,koff_A", "--out", "s.csv", "--plot", "s.svg"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let expected = ["kon_L": 0.5, "koff_L": -0.5, "kon_A": -1.0 / 3, "koff_A": 1.0 / 3]
        #expect(rows.count == 4)
        for row in rows {
            let f = row.split(separator: ",").map(String.init)
            // Sensitivities at rtol 1e-10 against an exact steady state: 1e-7 is generous.
            #expect(abs(Double(f[4])! - expected[f[1]]!) < 1e-7, "\(row)")
        }
        #expect(rows.first.map { $0.contains("kon_L") || $0.contains("koff_L") } == true, "largest elasticity first")
        #expect(try String(contentsOf: dir.appendingPathComponent("s.svg"), encoding: .utf8).contains("class=\"bars\""))
    }

    /// `init(R)` is the receptor total (RL and RA start at 0), and RL at rest is proportional to
    /// it: elasticity 1, whatever the total. The value column is the total the run used (the
    /// `--set` override), not NaN.
    @Test func initialValueElasticityIsOneAndItsValueIsTheOverride() throws {
        let dir = try Self.writeReceptor()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["sensitivity", "receptor.ant", "--t-end", "50", "--readout", "RL", "--rtol", "1e-10", "--atol", "1e-14",
                             "--parameters", "init(R),kon_L", "--set", "R=2", "--out", "s.csv"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map(String.init) }
        let initial = try #require(rows.first { $0[1] == "init(R)" })
        #expect(initial[2] == "2", "\(initial)")
        // Same tolerance argument as the closed-form test above.
        #expect(abs(Double(initial[4])! - 1) < 1e-7, "\(initial)")
    }

    /// Morris over ×/÷2 ranges ranks the agonist's rates (elasticity ½) above the antagonist's (⅓)
    /// and gives every factor its trajectories' effects.
    @Test func morrisScreeningRanksThePathwaysParameters() throws {
        let dir = try Self.writeReceptor()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["sensitivity", "receptor.ant", "--method", "morris", "--readout", "RL", "--trajectories", "12",
                             "--parameters", "kon_L,koff_L,kon_A,koff_A", "--jobs", "2", "--out", "m.csv"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOf: dir.appendingPathComponent("m.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map(String.init) }
        #expect(rows.map { $0[8] } == ["12", "12", "12", "12"])
        #expect(Set(rows.prefix(2).map { $0[1] }) == ["kon_L", "koff_L"], "\(rows)")
        #expect(rows.allSatisfy { Double($0[5])! > 0 })
    }

    @Test(arguments: [
        (["receptor.ant"], "need --t-end"),
        (["receptor.ant", "--t-end", "5", "--range", "kon_L=1:2"], "add --method morris"),
        (["receptor.ant", "--method", "morris", "--range", "kon_L=2:1"], "LOW < HIGH"),
        (["receptor.ant", "--method", "morris", "--levels", "3"], "must be even"),
    ])
    func badRequestsAreRefused(arguments: [String], message: String) throws {
        let dir = try Self.writeReceptor()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["sensitivity"] + arguments, in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}
