import Testing
import Foundation
import PathwayModel
import Simulation
import PathwayTestSupport

/// Physiological behaviour of Pathways/calcineurin_pka.ant (Ca²⁺/CaM → calcineurin versus
/// AC → cAMP → PKA, meeting at inhibitor-1/PP1).
@Suite struct CalcineurinPKATests {
    let file = "calcineurin_pka.ant"

    /// Steady state with free Ca²⁺ clamped at `ca` µM.
    func clamped(ca: Double) throws -> SimulationResult {
        var pathway = try Library.load(file)
        let i = pathway.species.firstIndex { $0.id == "Ca" }!
        pathway.species[i].isBoundary = true
        let r = try Library.run(pathway, tEnd: 2000, points: 2, overrides: [("Ca", ca)])
        #expect(r.failure == nil)
        return r
    }

    /// Calcineurin is the most Ca²⁺-sensitive calmodulin target: at 150 nM free Ca²⁺ most
    /// calcineurin is active while AC1 is mostly not, and at rest (50 nM) calcineurin is
    /// below 10% active. Source: [Stefan08] calcineurin is activated at lower Ca²⁺ than
    /// other CaM targets because of its higher CaM affinity ([BI99] Kd 1.7 nM against
    /// 20 nM for AC1). Measured: CaN 3.6% at 50 nM; at 150 nM CaN 76%, AC1 20%.
    @Test func calcineurinRespondsToLowerCalciumThanAC1() throws {
        let rest = try clamped(ca: 0.05)
        #expect(rest.value("CaN_active", at: 2000) < 0.1)
        let r = try clamped(ca: 0.15)
        let can = r.value("CaN_active", at: 2000) / 1, ac1 = r.value("AC1_CaM", at: 2000) / 0.02
        #expect(can > 0.6 && ac1 < 0.3, "CaN \(can), AC1 \(ac1)")
    }

    /// A postsynaptic theta burst (µM Ca²⁺) switches calcineurin fully on within the first
    /// burst and off again within tens of seconds of the last one: CaM leaves calcineurin at
    /// 1 /s [BI99], but most of the released Ca4CaM rebinds before losing its Ca²⁺ (600 µM⁻¹s⁻¹
    /// × 1 µM against 100 /s), so activity decays with τ ≈ 7 s. Measured: 0.17 at t = 20 s.
    @Test func thetaBurstSwitchesCalcineurinOnAndOff() throws {
        let pathway = Library.driven(try Library.load(file), "Ca", by: "dCa",
                                     at: Stimuli.thetaBurstTimes(start: 10, end: 12))
        // 0.0125 s output spacing: grid times never coincide with pulse times.
        let r = try Library.run(pathway, tEnd: 30, points: 2401)
        #expect(r.failure == nil)
        #expect(r.column("Ca").max()! > 0.5)                         // µM-range transient
        #expect(r.value("CaN_active", at: 10.05) > 0.9)
        #expect(r.value("CaN_active", at: 11.9) > 0.9)
        #expect(r.value("CaN_active", at: 20) < 0.3)
        #expect(r.value("CaN_active", at: 30) < 0.1)
    }

    /// A Gs-coupled receptor input raises cAMP into the µM range within seconds and releases
    /// most of PKA's catalytic subunit: [BI99] cAMP sites have Kd 0.43–1.5 µM, and free C is
    /// released at 60 /s. Measured: cAMP peaks at 1.05 µM near t = 35 s; PKA_active 0.03 µM at
    /// rest, 0.29 µM 5 s after the input and 0.62 µM at the peak (of 1 µM catalytic subunit).
    @Test func gsDriveActivatesPKAWithinSeconds() throws {
        let pathway = Library.driven(try Library.load(file), "Gs", by: "dGs", at: [10])
        let r = try Library.run(pathway, tEnd: 120, points: 1201)
        #expect(r.failure == nil)
        let rest = r.value("PKA_active", at: 9)
        #expect(r.value("PKA_active", at: 15) > 5 * rest)
        #expect(r.column("cAMP").max()! > 0.3 && r.column("cAMP").max()! < 3)
        #expect(r.column("PKA_active").max()! > 0.4)
        // PKA, through phospho-inhibitor-1, shuts PP1 down: below half its resting activity
        // within 20 s ([BI99], [GB07]: I1P binds PP1 at 500 /(µM·s)). Measured 0.18 of 1.32 µM.
        #expect(r.value("PP1_active", at: 30) < 0.5 * r.value("PP1_active", at: 9))
    }

    /// Push-pull on PP1 ([BI99], [GB07]): calcineurin dephosphorylates inhibitor-1 and so
    /// protects PP1 against PKA. With calcineurin's phosphatase activity blocked (as by
    /// FK506 or cyclosporin A: kcat_CaN_I1 = 0) the same theta burst leaves less PP1 active,
    /// and the transient PP1 rise during the burst disappears.
    /// Measured at t = 12 s: 1.313 µM with calcineurin, 1.257 µM without.
    @Test func calcineurinProtectsPP1DuringCalcium() throws {
        let pathway = Library.driven(try Library.load(file), "Ca", by: "dCa",
                                     at: Stimuli.thetaBurstTimes(start: 10, end: 12))
        let normal = try Library.run(pathway, tEnd: 60, points: 601)
        let blocked = try Library.run(pathway, tEnd: 60, points: 601, overrides: [("kcat_CaN_I1", 0)])
        #expect(normal.failure == nil && blocked.failure == nil)
        let rest = normal.value("PP1_active", at: 0)
        #expect(normal.column("PP1_active").max()! > rest + 0.01)
        #expect(normal.value("PP1_active", at: 12) > blocked.value("PP1_active", at: 12) + 0.03)
    }

    /// Totals are conserved to solver tolerance through a theta burst of Ca²⁺ with a Gs input:
    /// |Σ − total| ≤ C·(rtol·total + atol·n) with C = 10 (measured worst ratio below 1).
    @Test func conservedTotalsHold() throws {
        var p = Library.driven(try Library.load(file), "Ca", by: "dCa", at: Stimuli.thetaBurstTimes(start: 5, end: 40))
        p = Library.driven(p, "Gs", by: "dGs", at: [5, 25])
        let rtol = 1e-6, atol = 1e-12
        let r = try Library.run(p, tEnd: 60, points: 1201, rtol: rtol, atol: atol)
        #expect(r.failure == nil)
        let holo = ["R2C2", "R2C2_cAMP1", "R2C2_cAMP2", "R2C2_cAMP3", "R2C2_cAMP4"]
        let laws: [(String, [(String, Double)], Double)] = [
            ("CaM", [("CaM", 1), ("Ca4CaM", 1), ("CaN_active", 1), ("AC1_CaM", 1)], 10),
            ("calcineurin", [("CaN", 1), ("CaN_active", 1)], 1),
            ("AC1", [("AC1", 1), ("AC1_CaM", 1)], 0.02),
            ("AC2", [("AC2", 1), ("AC2_Gs", 1)], 0.015),
            ("PKA R", holo.map { ($0, 1) } + [("R2C_cAMP4", 1), ("R2_cAMP4", 1)], 0.5),
            ("PKA C", holo.map { ($0, 2) } + [("R2C_cAMP4", 1), ("PKA_active", 1), ("PKI_C", 1)], 1),
            ("PKI", [("PKI", 1), ("PKI_C", 1)], 0.25),
            ("inhibitor-1", [("I1", 1), ("I1P", 1), ("PP1_I1P", 1)], 1.8),
            ("PP1", [("PP1_active", 1), ("PP1_I1P", 1)], 1.8),
        ]
        for (name, terms, total) in laws {
            let ratio = Library.conservationRatio(r, terms, total: total, rtol: rtol, atol: atol)
            #expect(ratio <= 10, "\(name) total off by \(ratio) tolerance units")
        }
    }
}
