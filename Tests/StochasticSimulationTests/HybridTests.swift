import Testing
import Foundation
import PathwayTestSupport
import ModelCompiler
import Simulation
import KineticsCore
import KinapseUtilities
@testable import StochasticSimulation

/// A hybrid model of `text` in molecule units, partitioned for outputs every `interval`.
func hybridModel(_ text: String, settings: HybridSettings = .init(), interval: Double) throws -> HybridModel {
    let pathway = try TestModels.pathway(text)
    let compiled = try ModelCompiler.compile(pathway)
    let stochastic = try StochasticModel(pathway: pathway, compiled: compiled, scale: moleculeUnits, continuousChange: true)
    return try HybridModel(pathway: pathway, stochastic: stochastic, settings: settings, outputInterval: interval)
}

/// The two-sample Kolmogorov–Smirnov statistic of integer samples.
func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> Double {
    let a = a.sorted(), b = b.sorted()
    var i = 0, j = 0, d = 0.0
    while i < a.count && j < b.count {
        let x = min(a[i], b[j])
        while i < a.count && a[i] <= x { i += 1 }
        while j < b.count && b[j] <= x { j += 1 }
        d = max(d, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
    }
    return d
}

@Suite struct HybridTests {
    /// What a synapse's `--discrete` does, on a variable whose rate rule is a birth–death
    /// (N′ = kin − kout·N, N = 0): its terms become a birth at kin and a death at kout·N,
    /// so N at t is Poisson(kin/kout·(1 − e^{−kout·t})) exactly. 2,000 trials, KS at α = 0.01.
    @Test func countedRateRuleIsABirthDeath() throws {
        let pathway = try TestModels.pathway("""
            model counted()
              N' = kin - kout*N;
              N = 0; kin = 3; kout = 1;
            end
            """)
        let rule = try #require(pathway.rateRules.first { $0.variable == "N" })
        let channels = JumpSet.channels(splitting: rule, moleculesPerValue: 1)
        #expect(channels.map { $0.changes.map(\.delta) } == [[1], [-1]])
        let jumps = JumpSet(channels: channels)
        let compiled = try ModelCompiler.compile(try jumps.installed(in: pathway, counting: ["N"]))
        let simulator = Simulator(model: compiled)
        let bound = jumps.bound(to: compiled)
        let trials = 2000
        var values: [Double] = []
        for i in 0..<trials {
            var generator = SeededGenerator(seed: StochasticEnsemble.trialSeed(9, trial: i))
            let threshold = JumpSet.Bound.threshold(&generator)
            let action = JumpAction(bound, generator: generator)
            let result = try simulator.run(SimulationRequest(grid: TimeGrid(times: [0, 2]), columns: ["N"], overrides: [threshold]), eventAction: action)
            values.append(result.trajectory.value(row: 1, column: 0))
        }
        #expect(values.allSatisfy { $0 == $0.rounded() && $0 >= 0 })
        let d = kolmogorovSmirnov(values, cdf: poissonCDF(mean: 3 * (1 - exp(-2))))
        #expect(d < ksCritical(trials), "D = \(d), mean \(meanAndVariance(values).mean)")
    }

    /// A slow birth–death of X whose birth rate reads A, while A ⇌ B isomerises fast and
    /// starts away from equilibrium (A = 8000, B = 2000 molecules). Partitioned with outputs
    /// every second, A ⇌ B fires about 2·10⁴ times per interval among thousands of molecules
    /// (continuous); birth and death fire a few times (jumps).
    ///
    /// Deterministically A(t) = 5000 + 3000·e^{−λt}, λ = k1 + k2 = 4/s. Births at kb·A(t) and
    /// deaths at g·X from X = 0 leave X Poisson with mean μ(t) solving μ′ = kb·A(t) − g·μ,
    /// μ(0) = 0 (a linear birth–death with a time-varying birth rate stays Poisson):
    ///   μ(t) = kb·5000·(1 − e^{−gt})/g + kb·3000·(e^{−gt} − e^{−λt})/(λ − g).
    /// At t = 1 the transient adds 10% to μ, so a jump clock that missed A's relaxation
    /// would give a law the KS test rejects (D ≈ 0.04 against the critical 0.016); at
    /// t = 2.5 μ is within 0.7% of the stationary mean kb·5000/g = 1 (5 relaxation times
    /// of X), and the test compares with μ(t) itself, the law being Poisson at every t.
    static let model = """
        model hybrid_bd()
          compartment c = 1;
          species A in c = 8000; species B in c = 2000; species X in c = 0;
          iso: A -> B; k1*A - k2*B;
          birth: -> X; kb*A;
          death: X -> ; g*X;
          k1 = 2; k2 = 2; kb = 0.0004; g = 2;
        end
        """

    @Test func slowBirthDeathBesideFastIsomerisationIsPoisson() throws {
        let hybrid = try hybridModel(Self.model, interval: 1)
        #expect(hybrid.continuousReactions == [0])
        #expect(hybrid.jumpChannels.map { hybrid.stochastic.channels[$0].name } == ["birth", "death"])
        let trials = 10_000
        let result = try StochasticEnsemble(hybrid: hybrid).run(trials: trials, seed: 3, times: [0, 1, 2.5], columns: ["X", "A"], jobs: 2)
        let (kb, g, lambda) = (0.0004, 2.0, 4.0)
        func mu(_ t: Double) -> Double { kb * 5000 * (1 - exp(-g * t)) / g + kb * 3000 * (exp(-g * t) - exp(-lambda * t)) / (lambda - g) }
        for (row, t) in [(1, 1.0), (2, 2.5)] {
            let x = (0..<trials).map { result.value(trial: $0, row: row, column: 0) }
            let d = kolmogorovSmirnov(x, cdf: poissonCDF(mean: mu(t)))
            #expect(d < ksCritical(trials), "t = \(t): D = \(d), mean \(meanAndVariance(x).mean) against μ = \(mu(t))")
            // The continuous species follow the ODE whatever the jumps do (rtol 1e-6 of the solver).
            let a = result.value(trial: 0, row: row, column: 1)
            #expect(abs(a - (5000 + 3000 * exp(-lambda * t))) < 1e-4 * 5000)
        }
        // Without A's transient the law at t = 1 would be Poisson(kb·5000·(1 − e^{−g})/g): the test can tell.
        let x1 = (0..<trials).map { result.value(trial: $0, row: 1, column: 0) }
        #expect(kolmogorovSmirnov(x1, cdf: poissonCDF(mean: kb * 5000 * (1 - exp(-g)) / g)) > ksCritical(trials))
    }

    /// With every reaction a jump the hybrid is an exact SSA whose waiting times CVODES
    /// integrates: on dimerisation 2A ⇌ B (the combinatorial a = kf·A(A−1)) its law of B
    /// matches the direct method's by the two-sample KS test at α = 0.01, critical value
    /// 1.6276·√(2/n) (Smirnov 1948, asymptotic).
    @Test func everyReactionAJumpAgreesWithTheDirectMethod() throws {
        let text = """
            model dimer()
              compartment c = 1; species A in c = 30; species B in c = 0;
              J: 2A -> B; kf*A^2 - kr*B;
              kf = 0.05; kr = 1;
            end
            """
        var settings = HybridSettings()
        settings.firingsPerInterval = .infinity
        let hybrid = try hybridModel(text, settings: settings, interval: 0.5)
        #expect(hybrid.continuousReactions.isEmpty && hybrid.jumpChannels.count == 2)
        let trials = 2000
        let times = [0, 0.5]
        let h = try StochasticEnsemble(hybrid: hybrid).run(trials: trials, seed: 11, times: times, columns: ["B"], jobs: 2)
        let s = try StochasticEnsemble(model: try stochasticModel(text), method: .ssa).run(trials: trials, seed: 12, times: times, columns: ["B"], jobs: 2)
        let hb = (0..<trials).map { h.value(trial: $0, row: 1, column: 0) }
        let sb = (0..<trials).map { s.value(trial: $0, row: 1, column: 0) }
        let omega = moleculeUnits.moleculesPerAmount
        #expect(hb.allSatisfy { abs($0 * omega - ($0 * omega).rounded()) < 1e-9 }, "jumps keep counts whole")
        let d = kolmogorovSmirnov(hb, sb)
        #expect(d < 1.6276 * (2.0 / Double(trials)).squareRoot(), "D = \(d); means \(meanAndVariance(hb).mean), \(meanAndVariance(sb).mean)")
    }
    /// The continuous part stops where an ODE run does: a constant outflux of 1000 molecules/s
    /// takes A (500 molecules, continuous since it fires ~10³ times per interval) below zero
    /// at t = 0.5 s, and the trial must stop there, naming A, rather than go on negative.
    @Test func aSpeciesDrivenNegativeStopsTheTrial() throws {
        let hybrid = try hybridModel("""
            model outflux()
              compartment c = 1; species A in c = 500;
              drain: A -> ; k;
              k = 1000;
            end
            """, interval: 1)
        #expect(hybrid.continuousReactions == [0])
        #expect {
            _ = try StochasticEnsemble(hybrid: hybrid).run(trials: 1, seed: 1, times: [0, 1], columns: ["A"], jobs: 1)
        } throws: { error in
            let text = "\(error)"
            return text.contains("species 'A' became negative") && !text.contains("--allow-negative")
        }
    }
}
