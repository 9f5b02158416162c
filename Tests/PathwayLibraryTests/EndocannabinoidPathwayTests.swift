import Testing
import Foundation
import PathwayModel
import Simulation
import PathwayTestSupport

/// Physiological behaviour of Pathways/ecb_mglur_cb1.ant (mGluR → 2-AG → CB1 → Gi/o).
@Suite struct EndocannabinoidPathwayTests {
    let file = "ecb_mglur_cb1.ant"

    /// A DSI-like stimulus: a 5 s postsynaptic depolarisation, as postsynaptic spikes at
    /// 50 Hz (Ca += dCa every 20 ms) from t = 10 s to t = 15 s. No glutamate.
    func depolarisation() throws -> SimulationResult {
        let pathway = Library.driven(try Library.load(file), "Ca", by: "dCa",
                                     at: Stimuli.trainTimes(start: 10, hz: 50, count: 250))
        let result = try Library.run(pathway, tEnd: 130, points: 1301)
        #expect(result.failure == nil)
        return result
    }

    /// The depolarisation raises Ca²⁺ into the µM range (mean ≈ dCa·50 Hz / k_Ca_ext ≈ 1.25 µM)
    /// and back to rest (50 nM) after it ends.
    /// Source: resting Ca²⁺ 30–100 nM and µM-range transients (the pathway library's acceptance figures).
    @Test func depolarisationGivesMicromolarCalcium() throws {
        let r = try depolarisation()
        let during = r.column("Ca")[120...150]
        #expect(during.min()! > 0.5 && during.max()! < 3, "Ca during depolarisation: \(during.min()!)…\(during.max()!)")
        #expect(abs(r.value("Ca", at: 20) - 0.05) < 1e-3)
    }

    /// DSI lasts about a minute: CB1 signalling peaks within seconds of the depolarisation,
    /// is still above 40% of its peak 20 s after it, and is below 10% of its peak one minute
    /// after it. Sources: [Straiker09] DSE lasts tens of seconds, its duration set by MGL;
    /// [Pan09] MAGL hydrolysis of 2-AG is rate-limiting for the DSE/DSI time course.
    /// Measured: peak at t ≈ 20 s, 45% at 35 s, 8% at 75 s.
    @Test func dsiLikeCB1ActivationLastsAboutAMinute() throws {
        let r = try depolarisation()
        let cb1 = r.column("CB1_active")
        let peak = cb1.max()!
        let peakTime = r.trajectory.times[cb1.firstIndex(of: peak)!]
        #expect(peakTime > 15 && peakTime < 25, "peak at \(peakTime)")
        #expect(r.value("CB1_active", at: 35) > 0.4 * peak)
        #expect(r.value("CB1_active", at: 75) < 0.1 * peak)
        // Gi/o in the terminal follows CB1: its peak is no more than ~1 s later.
        let gio = r.column("Gio_active")
        let gioPeakTime = r.trajectory.times[gio.firstIndex(of: gio.max()!)!]
        #expect(abs(gioPeakTime - peakTime) <= 1.5)
    }

    /// 2-AG decays with a time constant of seconds. Newly made postsynaptic 2-AG decays with
    /// τ = 1/(k_2AG_rel + k_2AG_post_deg) = 2 s ([Cui16] kMAGL = 0.5 /s); 2-AG at the terminal,
    /// where MAGL sits, with τ = 1/k_MAGL ≈ 14 s ([Pan09], [Straiker09]). Fitted from two points
    /// once synthesis has stopped (Ca back at rest from t ≈ 15.3 s).
    @Test func twoAGDecaysWithTauOfSeconds() throws {
        let r = try depolarisation()
        let tauPost = 2 / log(r.value("twoAG_post", at: 17) / r.value("twoAG_post", at: 19))
        #expect(tauPost > 1.8 && tauPost < 2.2, "postsynaptic 2-AG tau = \(tauPost) s")
        let tauPre = 30 / log(r.value("twoAG", at: 45) / r.value("twoAG", at: 75))
        #expect(tauPre > 10 && tauPre < 20, "presynaptic 2-AG tau = \(tauPre) s")
    }

    /// mGluR activation and postsynaptic Ca²⁺ cooperate: one theta-burst train of glutamate
    /// alone makes almost no 2-AG (DGLα needs Ca²⁺), Ca²⁺ alone makes some, and both together
    /// make more than five times the sum. Sources: [Hashimotodani05] PLCβ1 detects the
    /// coincidence of Gq-coupled receptor activation and Ca²⁺; [Cui16] DGL activation ∝ Ca⁶.
    /// Measured peaks of twoAG: glutamate 5.1e-8 µM, Ca²⁺ 0.018 µM, both 0.39 µM.
    @Test func glutamateAndCalciumCooperate() throws {
        let base = try Library.load(file)
        let times = Stimuli.thetaBurstTimes(start: 10, end: 12)
        func peak(_ inputs: [(String, String)]) throws -> Double {
            var p = base
            for (input, amount) in inputs { p = Library.driven(p, input, by: amount, at: times) }
            let r = try Library.run(p, tEnd: 60, points: 601, columns: ["twoAG"])
            #expect(r.failure == nil)
            return r.column("twoAG").max()!
        }
        let glu = try peak([("Glu", "dGlu_mGluR")]), ca = try peak([("Ca", "dCa")])
        let both = try peak([("Glu", "dGlu_mGluR"), ("Ca", "dCa")])
        #expect(glu < 1e-6)
        #expect(ca > 1e-3)
        #expect(both > 5 * (glu + ca), "glu \(glu), Ca \(ca), both \(both)")
    }

    /// Receptor, G-protein and enzyme totals are conserved to solver tolerance through a
    /// theta burst of both inputs: |Σ − total| ≤ C·(rtol·total + atol·n) with C = 10
    /// (measured worst ratio below 1; BDF's error on a sum of a few species is small).
    @Test func conservedTotalsHold() throws {
        let times = Stimuli.thetaBurstTimes(start: 5, end: 40)
        var p = Library.driven(try Library.load(file), "Ca", by: "dCa", at: times)
        p = Library.driven(p, "Glu", by: "dGlu_mGluR", at: times)
        let rtol = 1e-6, atol = 1e-12
        let r = try Library.run(p, tEnd: 60, points: 1201, rtol: rtol, atol: atol)
        #expect(r.failure == nil)
        let laws: [(String, [(String, Double)], Double)] = [
            ("mGluR", [("mGluR", 1), ("mGluR_Glu", 1)], 0.5),
            ("Gq", [("Gq", 1), ("Gq_GTP", 1), ("PLCb_Gq", 1)], 1),
            ("PLCbeta", [("PLCb", 1), ("PLCb_Gq", 1)], 0.5),
            ("DGL", [("DGL", 1), ("DGL_act", 1)], 1),
            ("CB1", [("CB1", 1), ("CB1_active", 1), ("CB1_desens", 1)], 0.5),
            ("Gi/o", [("Gio", 1), ("Gio_active", 1)], 1),
        ]
        for (name, terms, total) in laws {
            let ratio = Library.conservationRatio(r, terms, total: total, rtol: rtol, atol: atol)
            #expect(ratio <= 10, "\(name) total off by \(ratio) tolerance units")
        }
    }
}
