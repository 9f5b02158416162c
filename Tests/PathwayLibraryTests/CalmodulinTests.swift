import Testing
import Foundation
import PathwayModel
import Simulation
import PathwayTestSupport

/// Pathways/calmodulin.ant: Ca²⁺ on calmodulin's N and C lobes (Pepke et al. 2010, Table 1) and
/// Ca4/CaM read by calcineurin (Bhalla & Iyengar 1999) and CaMKII (Pepke et al. 2010).
@Suite struct CalmodulinTests {
    let file = "calmodulin.ant"

    /// The scheme's equilibrium at a clamped free Ca²⁺ c, in closed form. Free calmodulin F
    /// distributes over the lobes independently: state NiCj = F·n_i·c_j with n = (1, c/K1N,
    /// c²/(K1N·K2N))/Σ and likewise for the C lobe (K = k_off/k_on per step). Each target binds
    /// Ca4/CaM, x = F·n_2·c_2: bound = total·x/(x + K_d). Calmodulin is conserved,
    /// F + CaN·CaM + K·CaM = CaM_total, which fixes F (one monotone equation, solved by bisection
    /// to machine precision). Without autophosphorylation (k_auto = 0) nothing else is bound.
    struct Equilibrium {
        let freeCaM: Double, n2: Double, c2: Double, canBound: Double, kinaseBound: Double

        init(ca c: Double) {
            let k1N = 2000.0 / 100, k2N = 500.0 / 200, k1C = 50.0 / 5, k2C = 10.0 / 10
            let n2 = c * c / (k1N * k2N + k2N * c + c * c)
            let c2 = c * c / (k1C * k2C + k2C * c + c * c)
            let kdCaN = 1.0 / 600, kdK = 1.5 / 30
            let camTotal = 10.0, canTotal = 1.0, kinaseTotal = 10.0
            func bound(_ f: Double) -> (Double, Double) {
                let x = f * n2 * c2
                return (canTotal * x / (x + kdCaN), kinaseTotal * x / (x + kdK))
            }
            var lo = 0.0, hi = camTotal
            for _ in 0..<200 {
                let mid = 0.5 * (lo + hi)
                let (a, b) = bound(mid)
                if mid + a + b > camTotal { hi = mid } else { lo = mid }
            }
            let (a, b) = bound(lo)
            freeCaM = lo; self.n2 = n2; self.c2 = c2; canBound = a; kinaseBound = b
        }
    }

    /// At steady state with Ca²⁺ clamped, the simulated binding matches the closed form above at
    /// every Ca²⁺ from rest to a channel's domain. Tolerance: the solver runs at rtol 1e-9 and
    /// is at steady state (slowest relaxation: dephosphorylation of the resting trace of
    /// phospho-CaMKII, 0.01 /s, over 5000 s), so 1e-6 relative covers integration error.
    /// And the selectivity the file is for: at 0.5 µM over a third of calcineurin is bound while
    /// CaMKII is under 3 %; CaMKII needs µM Ca²⁺ (half near 1.9 µM), where calcineurin is
    /// saturated. Closed form: at 0.5 µM, 39 % and 2.1 %; at 3 µM, 98.6 % and 70 %.
    @Test func bindingAtSteadyStateMatchesTheClosedForm() throws {
        let pathway = try Library.load(file)
        for ca in [0.05, 0.3, 0.5, 1, 3, 10] {
            let r = try Library.run(pathway, tEnd: 5000, points: 2, rtol: 1e-9, atol: 1e-15,
                                    overrides: [("Ca", ca), ("dec_k_auto", 0)])
            #expect(r.failure == nil)
            let eq = Equilibrium(ca: ca)
            func close(_ name: String, _ expected: Double) {
                let got = r.value(name, at: 5000)
                #expect(abs(got - expected) <= 1e-6 * expected + 1e-13, "\(name) at \(ca) uM: \(got), closed form \(expected)")
            }
            close("dec_CaN_CaM", eq.canBound)
            close("dec_K_CaM", eq.kinaseBound)
            close("dec_N2C2", eq.freeCaM * eq.n2 * eq.c2)
            close("dec_N0C0", eq.freeCaM * (1 - eq.n2 - (ca / 20) / (1 + ca / 20 + ca * ca / 50)) * (1 - eq.c2 - (ca / 10) / (1 + ca / 10 + ca * ca / 10)))
        }
        let half = Equilibrium(ca: 0.5), high = Equilibrium(ca: 3)
        #expect(half.canBound > 0.33 && half.kinaseBound / 10 < 0.03, "at 0.5 uM: CaN \(half.canBound), CaMKII \(half.kinaseBound / 10)")
        #expect(high.canBound > 0.95 && high.kinaseBound / 10 > 0.6, "at 3 uM: CaN \(high.canBound), CaMKII \(high.kinaseBound / 10)")
    }
}
