import Testing
import Foundation
import PathwayTestSupport

/// `kinapse simulate`, `synapses` and `stdp` on a biophysical synapse (one with a [recording]).
@Suite struct BiophysicalSynapseCommandTests {
    /// A short rest protocol (30 s baseline, 30 s follow-up) written beside the outputs.
    static func shortRest(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("short_rest.toml").path
        try """
        description = "30 s of baseline and 30 s of follow-up test stimuli"
        [baseline]
        duration = 30
        test_interval = 10
        [follow_up]
        duration = 30
        analysis_window = [0, 30]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func simulatePrintsTheRecordedReadoutsAndWritesThem() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let proto = try Self.shortRest(in: dir)
        let r = try CLI.run(["simulate", "entorhinal_stellate_rig", "--protocol", proto, "--readouts", "r.csv", "--summary", "s.csv",
                             "--plot", "p.svg", "--out", "tc.csv"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("recording: whole-cell voltage clamp at -47 mV, 2 mM Cl- pipette"), "\(r.stdout)")
        #expect(r.stdout.contains("IPSC amplitude (pA)") && r.stdout.contains("E_GABA (mV)") && r.stdout.contains(" mV\n"), "\(r.stdout)")
        let readouts = try String(contentsOf: dir.appendingPathComponent("r.csv"), encoding: .utf8)
        #expect(readouts.hasPrefix("time,minutes_after_induction,phase,ipsc_pA,second_ipsc_pA,paired_pulse_ratio,holding_current_pA,V_m_mV,E_GABA_mV"))
        #expect(readouts.split(separator: "\n").count == 1 + 7, "header and 3 + 4 tests:\n\(readouts)")
        let summary = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8)
        #expect(summary.hasPrefix("quantity,baseline,after,change,change_unit\n") && summary.contains("E_GABA (mV),"), "\(summary)")
        let svg = try String(contentsOf: dir.appendingPathComponent("p.svg"), encoding: .utf8)
        #expect(svg.contains("Recorded IPSC") && svg.contains("E_GABA"))
        // The figure's CSV reader takes the recorded readouts too.
        let plot = try CLI.run(["plot", "r.csv", "--out", "again.svg"], in: dir)
        #expect(plot.status == 0, "\(plot.stderr)")
        // --out holds the time course every tenth of the test interval, from 0 past the last test
        // (60 s); --test-traces adds each test's samples around its two spikes (at least 100
        // each), the same run's rows. Without it the sweeps record only what the readouts read,
        // which changes neither the time course nor the readouts, byte for byte.
        let traced = try CLI.run(["simulate", "entorhinal_stellate_rig", "--protocol", proto, "--out", "traces.csv", "--test-traces",
                                  "--readouts", "traced_r.csv"], in: dir)
        #expect(traced.status == 0, "\(traced.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("traced_r.csv")) == Data(contentsOf: dir.appendingPathComponent("r.csv")))
        let course = try String(contentsOf: dir.appendingPathComponent("tc.csv"), encoding: .utf8).split(separator: "\n")
        let traces = try String(contentsOf: dir.appendingPathComponent("traces.csv"), encoding: .utf8).split(separator: "\n")
        let times = course.dropFirst().map { Double($0.prefix { $0 != "," }) ?? .nan }
        #expect(times == times.indices.map { Double($0) } && times.count > 60, "\(times)")
        #expect(traces.count >= course.count + 7 * 2 * 100, "\(traces.count) rows with the traces, \(course.count) without")
        #expect(Set(traces).isSuperset(of: course))
    }

    @Test func synapsesListTheRecording() throws {
        let r = try CLI.run(["synapses"])
        let line = r.stdout.split(separator: "\n").first { $0.contains("entorhinal_stellate_rig") }
        #expect(line?.contains("recorded: whole-cell voltage clamp at -47 mV") == true, "\(r.stdout)")
        // Every shipped synapse is recorded on the rig; the lumped models are engine-test fixtures.
        #expect(!r.stdout.contains("quantal readout") && !r.stdout.contains("cortical_camkii"), "\(r.stdout)")
        let lumped = try CLI.run(["synapses", "--library", "Fixtures/lumped"])
        #expect(lumped.stdout.split(separator: "\n").first { $0.hasPrefix("cortical_camkii") }?.contains("quantal readout") == true, "\(lumped.stdout)")
    }

    /// `synapses --with-sensitivities` (what the sensitivity check asks) keeps the quantal
    /// synapses and leaves out every recorded one, such as the rig that refuses them below: none
    /// of the shipped library, both lumped fixtures of Fixtures/lumped.
    @Test func synapsesWithSensitivitiesAreTheQuantalOnes() throws {
        let shipped = try CLI.run(["synapses", "--with-sensitivities"])
        #expect(shipped.status == 0 && shipped.stdout.isEmpty, "\(shipped.stdout)\(shipped.stderr)")
        let all = try CLI.run(["synapses", "--library", "Fixtures/lumped"])
        let listed = try CLI.run(["synapses", "--library", "Fixtures/lumped", "--with-sensitivities"])
        #expect(all.status == 0 && listed.status == 0, "\(all.stderr)\(listed.stderr)")
        let quantal = all.stdout.split(separator: "\n").filter { $0.contains("[quantal readout") }.map { $0.prefix { $0 != " " } }
        let names = listed.stdout.split(separator: "\n").map { $0.prefix { $0 != " " } }
        #expect(names == quantal && names == ["cortical_camkii", "entorhinal_stellate"], "\(listed.stdout)")
    }

    @Test func sensitivitiesAreRefusedWithAReason() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["simulate", "entorhinal_stellate_rig", "--protocol", try Self.shortRest(in: dir), "--sensitivities", "pre_K_D"], in: dir)
        #expect(r.status != 0 && r.stderr.contains("sensitivities are not available for a synapse with a [recording]"), "\(r.stderr)")
    }
}
