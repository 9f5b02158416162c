import Testing
import Foundation
import PathwayModel
import Simulation
import PathwayTestSupport

/// Physiological behaviour of Pathways/no_cgmp_pkg.ant (Ca²⁺ → CaM → nNOS → NO → sGC →
/// cGMP → PKG), driven by one theta-burst train (40 Ca²⁺ pulses, 1–2.83 s).
@Suite struct NOPathwayTests {
    let file = "no_cgmp_pkg.ant"

    func thetaBurst(rtol: Double = 1e-6, atol: Double = 1e-12) throws -> SimulationResult {
        // The train the file carried before pathway files lost their stimuli: 10 bursts at
        // 5 Hz from t = 1 s, each 4 Ca²⁺ pulses at 100 Hz (40 pulses, 1–2.83 s).
        let times = Stimuli.thetaBurstTimes(start: 1, end: 3)
        let pathway = Library.driven(try Library.load(file), "Ca", by: "dCa", at: times)
        let r = try Library.run(pathway, tEnd: 60, points: 6001, rtol: rtol, atol: atol)
        #expect(r.failure == nil)
        return r
    }

    /// Resting free Ca²⁺ is in the 30–100 nM range and 100 Hz bursts raise it to µM levels
    /// (the pathway library's acceptance figures; the file's Ca_rest and dCa are assumptions that aim at
    /// them). Measured: 50 nM at rest, peak 1.6 µM, back to rest within 1 s of the last pulse.
    @Test func calciumRestsLowAndRisesToMicromolar() throws {
        let r = try thetaBurst()
        let ca = r.column("Ca")
        #expect(ca[0] >= 0.03 && ca[0] <= 0.1)
        #expect(ca.max()! > 1 && ca.max()! < 5)
        #expect(abs(r.value("Ca", at: 4) - 0.05) < 1e-3)
    }

    /// NO peaks in the 10 pM–nM range: [HG09] physiological NO is low-nM and sGC responds to
    /// ~1–10 nM. Measured: 0.7 pM at rest, peak 5.8 nM at t ≈ 3.1 s.
    @Test func nitricOxidePeaksInTheNanomolarRange() throws {
        let r = try thetaBurst()
        let peak = r.column("NO").max()!
        #expect(peak > 1e-5 && peak < 1e-2, "NO peak \(peak) uM")
        #expect(r.value("NO", at: 0) < 1e-5)
        // First-order NO loss [ARS11] k = 0.75 /s (slowed a little by NO handed back from
        // deactivating sGC): NO falls >20-fold within 10 s of its peak. Measured: 5.8-fold at
        // t = 8 s, 10-fold at 10 s, 100-fold at 20 s.
        #expect(r.value("NO", at: 13) < 0.05 * peak)
    }

    /// cGMP rises within seconds of the stimulus and PKG follows ([BG01]: sGC activation and
    /// deactivation take a fraction of a second in cells; [PKGsites] Kd 17 and 120 nM).
    /// Measured: cGMP 1.7 nM at rest, 27-fold higher 2 s after the train starts, peak 83 nM at
    /// t ≈ 6.9 s; PKG_active peaks at t ≈ 8 s, 270-fold above rest.
    @Test func cGMPRisesWithinSeconds() throws {
        let r = try thetaBurst()
        let rest = r.value("cGMP", at: 0)
        #expect(r.value("cGMP", at: 3) > 10 * rest)
        let cgmp = r.column("cGMP")
        let peakTime = r.trajectory.times[cgmp.firstIndex(of: cgmp.max()!)!]
        #expect(peakTime > 2 && peakTime < 15, "cGMP peak at \(peakTime)")
        #expect(r.column("PKG_active").max()! > 50 * r.value("PKG_active", at: 0))
        // Slow negative feedback: PKG-phosphorylated PDE5 [Corbin00] outlasts cGMP.
        #expect(r.value("PDE5_P", at: 40) > 10 * r.value("PDE5_P", at: 0))
    }

    /// Totals of calmodulin, nNOS, sGC, PDE5 and PKG are conserved to solver tolerance:
    /// |Σ − total| ≤ C·(rtol·total + atol·n) with C = 10, at rtol 1e-6 and 1e-8
    /// (measured worst ratio below 1 in both).
    @Test(arguments: [1e-6, 1e-8])
    func conservedTotalsHold(_ rtol: Double) throws {
        let atol = rtol * 1e-6
        let r = try thetaBurst(rtol: rtol, atol: atol)
        let laws: [(String, [(String, Double)], Double)] = [
            ("CaM", [("CaM", 1), ("Ca4CaM", 1), ("nNOS_CaM", 1)], 10),
            ("nNOS", [("nNOS", 1), ("nNOS_CaM", 1)], 0.01),
            ("sGC", [("sGC", 1), ("sGC_NO6", 1), ("sGC_act", 1)], 0.01),
            ("PDE5", [("PDE5", 1), ("PDE5_P", 1)], 0.2),
            ("PKG", [("PKG", 1), ("PKG_cGMP", 1), ("PKG_active", 1)], 0.2),
        ]
        for (name, terms, total) in laws {
            let ratio = Library.conservationRatio(r, terms, total: total, rtol: rtol, atol: atol)
            #expect(ratio <= 10, "\(name) total off by \(ratio) tolerance units at rtol \(rtol)")
        }
    }
}
