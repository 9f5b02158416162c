import Testing
import Foundation
import SourceDiagnostics
import InductionProtocols
import PathwayTestSupport

/// Every shipped protocol: pulse counts and times exactly as its file says.
@Suite struct ProtocolTests {
    func shipped(_ name: String) throws -> InductionProtocol {
        try ProtocolReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/protocols/\(name).toml").path)
    }

    @Test func highFrequencyStimulation() throws {
        let p = try shipped("hfs")
        let s = p.schedule
        #expect(s.count == 200)
        #expect(s.allSatisfy { $0.stimulus == "excitatory_afferent" && $0.duration == 0 })
        #expect(s.first?.time == 600)
        #expect(s[99].time == 600 + 99.0 / 100)
        #expect(s[100].time == 620)
        #expect(p.inductionEnd == 620 + 0.99)
        #expect(p.testTimes.filter { $0 < 600 }.count == 60)
        #expect(p.testTimes.first { $0 > 600 } == 630)
        #expect(p.endTime == 630 + 2400)
    }

    @Test func thetaBurst() throws {
        let s = try shipped("tbs").schedule
        #expect(s.count == 3 * 10 * 4)
        // Pulse p of burst b of train k at 600 + 10k + 0.2b + 0.01p, computed from counts.
        // Pulse q of burst b of train k at 600 + (10k + b/5 + q/100): the offset is computed
        // from counts in one expression, never accumulated pulse by pulse.
        for k in 0..<3 { for b in 0..<10 { for q in 0..<4 {
            let t = 600 + (10 * Double(k) + Double(b) / 5 + Double(q) / 100)
            #expect(s[k * 40 + b * 4 + q].time == t)
            #expect(abs(t - (600 + 10 * Double(k) + 0.2 * Double(b) + 0.01 * Double(q))) < 1e-12)
        } } }
    }

    @Test func lowFrequency() throws {
        let p = try shipped("lfs")
        #expect(p.schedule.count == 900)
        let last = try #require(p.schedule.last)
        #expect(last.time == 1499, "last pulse at \(last.time)")
        #expect(p.inductionEnd == 1499)
    }

    @Test func pairingPutsPostAfterPre() throws {
        let s = try shipped("pairing").schedule
        #expect(s.count == 120)
        let pre = s.filter { $0.stimulus == "inhibitory_afferent" }.map(\.time)
        let post = s.filter { $0.stimulus == "postsynaptic_spike" }.map(\.time)
        #expect(pre.count == 60 && post.count == 60)
        for (a, b) in zip(pre, post) { #expect(abs((b - a) - 0.010) < 1e-12) }
        #expect(pre[1] - pre[0] == 1)
    }

    @Test func negativeDelayShiftsThePairingIntoTheInduction() {
        let block = InductionBlock(stimulus: "a", pattern: .pairing(pre: "a", post: "b", deltaT: -0.02, pairs: 2, rate: 1))
        let p = InductionProtocol(name: "x", baselineDuration: 100, testInterval: 10, induction: [block], followUpDuration: 100,
                                  analysisWindow: 0...50)
        let s = p.schedule
        #expect(s.map(\.stimulus) == ["b", "a", "b", "a"])
        #expect(s.first?.time == 100)
        #expect(abs(s[1].time - 100.02) < 1e-12)
    }

    @Test func depolarisationAndBathAreSteps() throws {
        let d = try shipped("depolarisation").schedule
        #expect(d.count == 8)
        #expect(d.allSatisfy { $0.duration == 0.5 })
        #expect(d[7].time == 600 + 14)
        let bath = try shipped("chemical_iltp").schedule
        #expect(bath.count == 1 && bath[0].duration == 120 && bath[0].stimulus == "nmda_bath")
    }

    @Test func testTimesAreMultiplesOfTheInterval() throws {
        for name in ["hfs", "tbs", "lfs", "pairing", "depolarisation", "chemical_iltp"] {
            let p = try shipped(name)
            for t in p.testTimes { #expect((t / p.testInterval).rounded() * p.testInterval == t, "\(name): \(t)") }
            // No test stimulus during induction.
            #expect(!p.testTimes.contains { $0 >= p.inductionStart && $0 <= p.inductionEnd }, "\(name)")
        }
    }

    struct BadProtocol: Sendable, CustomStringConvertible {
        let text: String
        let message: String
        let line: Int
        let column: Int
        var hint: String? = nil
        var description: String { message }
    }

    static let bad: [BadProtocol] = [
        BadProtocol(text: "[baseline]\nduration = 600\n[follow_up]\nduration = 2400\n[[induction]]\npattern = \"trian\"\nstimulus = \"x\"\n",
                    message: "unknown pattern 'trian'", line: 6, column: 11, hint: "did you mean 'train'?"),
        BadProtocol(text: "[baseline]\nduration = 600\ntest_intervall = 10\n[follow_up]\nduration = 2400\n",
                    message: "unknown key 'test_intervall' in [baseline]", line: 3, column: 1, hint: "did you mean 'test_interval'?"),
        BadProtocol(text: "[baseline]\nduration = 600\n[follow_up]\nduration = 2400\n[[induction]]\npattern = \"train\"\nstimulus = \"x\"\nrate = -100\ncount = 10\n",
                    message: "'rate' must be greater than 0 (got -100)", line: 8, column: 8),
        BadProtocol(text: "[baseline]\nduration = 600\n[follow_up]\nduration = 600\n",
                    message: "the analysis window ends at 1800 s after induction, after the follow-up (600 s) is over", line: 4, column: 12),
        BadProtocol(text: "[baseline]\nduration = 600\n[follow_up]\nduration = 2400\n[[induction]]\npattern = \"theta_burst\"\nstimulus = \"x\"\npulses_per_burst = 30\n",
                    message: "a burst of 30 pulses at 100 Hz lasts longer than the interval between bursts (0.2 s)", line: 8, column: 20),
        BadProtocol(text: "[follow_up]\nduration = 2400\n", message: "the protocol needs a [baseline] table", line: 1, column: 1),
        // A change is a percentage of the baseline: a baseline without a test stimulus has none.
        BadProtocol(text: "[baseline]\nduration = 0\n[follow_up]\nduration = 2400\n",
                    message: "'duration' must be greater than 0 (got 0)", line: 2, column: 12),
        // Minutes written as seconds: no test stimulus falls in [20, 30] s when they come every 60 s.
        BadProtocol(text: "[baseline]\nduration = 600\ntest_interval = 60\n[follow_up]\nduration = 2400\nanalysis_window = [20, 30]\n",
                    message: "the analysis window [20, 30] s after induction holds no test stimulus (one every 60 s from 60 s after induction)", line: 6, column: 19),
    ]

    @Test(arguments: bad)
    func badProtocolsAreReportedAtTheirPlace(_ c: BadProtocol) {
        let error = #expect(throws: DiagnosticsError.self) { try ProtocolReader.read(SourceFile(path: "p.toml", text: c.text)) }
        guard let d = error?.diagnostics.first else { return }
        #expect(d.message.contains(c.message), "got \(d.message)")
        #expect(d.range?.startLocation == SourceLocation(line: c.line, column: c.column), "got \(String(describing: d.range?.startLocation))")
        if let hint = c.hint { #expect(d.hints.contains(hint), "hints \(d.hints)") }
    }
}
