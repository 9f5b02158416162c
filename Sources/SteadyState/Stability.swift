import ModelCompiler
import Optimization

/// Linear stability of a steady state: the eigenvalues of the Jacobian on the subspace the
/// conservation laws leave free.
///
/// Each law l has lᵀJ = 0, so the Jacobian maps the subspace {x : Lx = 0} into itself and its
/// spectrum is that subspace's eigenvalues plus one zero per law. The laws' zeros are the m
/// eigenvalues of smallest modulus; what remains decides stability.
public struct Stability: Sendable {
    public enum Verdict: String, Sendable { case stable, unstable, marginal }

    /// The n − m eigenvalues (1/time unit), by decreasing real part.
    public var eigenvalues: [(real: Double, imaginary: Double)]
    public var verdict: Verdict

    /// The largest real part (nil for a system with no free direction).
    public var largestRealPart: Double? { eigenvalues.first?.real }
    /// 1/|Re λ| of the slowest decaying mode of a stable state: how long the return to rest takes.
    public var slowestTimeConstant: Double? { verdict == .stable ? largestRealPart.map { -1 / $0 } : nil }
    /// Whether the slowest mode oscillates (a complex pair leads).
    public var oscillatory: Bool { eigenvalues.first.map { $0.imaginary != 0 } ?? false }
}

extension SteadyStateSolver {
    /// The stability of `steady`, found for `model` with the same `overrides`. A real part within
    /// 1e-9 of the spectrum's largest modulus of zero counts as zero (marginal: a line of steady
    /// states or a centre, which linearisation cannot decide).
    public static func stability(of steady: SteadyState, in model: CompiledModel,
                                 overrides named: [(name: String, value: Double)] = []) throws(SteadyStateError) -> Stability {
        let n = steady.state.count
        guard n > 0 else { return Stability(eigenvalues: [], verdict: .stable) }
        let instance = ModelInstance(model)
        let overrides: [Int: Double]
        do { overrides = try model.overrideSlots(named) } catch { throw SteadyStateError(message: error.message, hint: error.hint, isBadRequest: true) }
        _ = instance.initialState(overrides: overrides)
        var j = [Double](repeating: 0, count: n * n)
        steady.state.withUnsafeBufferPointer { xs in
            j.withUnsafeMutableBufferPointer { instance.evaluateJacobian(time: 0, state: xs.baseAddress!, jacobian: $0.baseAddress!) }
        }
        // The layout (rows or columns first) does not matter: J and Jᵀ have the same eigenvalues.
        let all: [(real: Double, imaginary: Double)]
        do { all = try eigenvalues(of: Matrix(rows: n, columns: n, columnMajor: j)) } catch {
            throw SteadyStateError(message: "cannot compute the Jacobian's eigenvalues: \(error)", hint: nil)
        }
        let modulus = { (e: (real: Double, imaginary: Double)) in (e.real * e.real + e.imaginary * e.imaginary).squareRoot() }
        let free = all.sorted { modulus($0) < modulus($1) }.dropFirst(steady.conservationLaws.count)
            .sorted { $0.real != $1.real ? $0.real > $1.real : $0.imaginary > $1.imaginary }
        let scale = all.map(modulus).max() ?? 0
        let zero = 1e-9 * scale
        let verdict: Stability.Verdict = free.contains { $0.real > zero } ? .unstable : free.contains { abs($0.real) <= zero } ? .marginal : .stable
        return Stability(eigenvalues: Array(free), verdict: verdict)
    }
}
