import ModelCompiler
import Optimization

/// How a steady state moves with the parameters: ∂x*/∂p without integrating.
///
/// At rest G(x*, p) = 0, where G is f with each conservation law's replaced equation swapped
/// for l·x − l·x₀(p) (the law holds the total the initial state gave). Differentiating,
/// (∂G/∂x)·s = −∂G/∂p: the rows of f give −∂f/∂p, the laws' rows l·∂x₀/∂p (a parameter that
/// changes the initial amounts moves the totals). One QR factorisation of the reduced
/// Jacobian serves every parameter. Any output column's derivative then follows by the chain
/// rule through the model's assignment rules.
public struct SteadyStateSensitivities: Sendable {
    public var parameters: [String]
    /// The quantities differentiated, in the order asked.
    public var columns: [String]
    /// Their values at the steady state.
    public var values: [Double]
    /// `derivatives[c][k]` = ∂ columns[c] / ∂ parameters[k].
    public var derivatives: [[Double]]
}

extension SteadyStateSolver {
    /// The derivatives of `columns` (default: the state variables, as output columns show
    /// them) at `steady` with respect to `parameters` (plain values by name, or `init(X)`),
    /// for `model` with the same `overrides` the steady state was found with.
    public static func sensitivities(of steady: SteadyState, in model: CompiledModel, parameters: [String], columns: [String]? = nil,
                                     overrides named: [(name: String, value: Double)] = []) throws(SteadyStateError) -> SteadyStateSensitivities {
        let differentiated: CompiledModel
        do { differentiated = try model.differentiated(with: parameters) } catch {
            throw SteadyStateError(message: error.message, hint: error.hint, isBadRequest: true)
        }
        let columns = columns ?? steady.names
        let slots = try columnSlots(columns, in: differentiated)
        let overrides = try overrideSlots(named, in: differentiated)
        let instance = ModelInstance(differentiated)
        let x0 = instance.initialState(overrides: overrides)
        let n = x0.count, np = parameters.count
        let s0 = instance.initialSensitivities(overridden: Set(overrides.keys), supplied: [:])
        let x = steady.state

        // ∂f/∂p at rest: the sensitivity right-hand side with zero state sensitivities.
        let zero = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        zero.initialize(repeating: 0, count: max(n, 1))
        let partials = (0..<np).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)) }
        defer { zero.deallocate(); partials.forEach { $0.deallocate() } }
        let zeros = [UnsafeMutablePointer<Double>](repeating: zero, count: np)
        x.withUnsafeBufferPointer { xs in
            zeros.withUnsafeBufferPointer { z in
                partials.withUnsafeBufferPointer { out in
                    instance.evaluateSensitivityRHS(time: 0, state: xs.baseAddress!, sensitivities: z.baseAddress!, derivatives: out.baseAddress!)
                }
            }
        }
        let laws = ConservationLaws(laws: steady.conservationLaws, replacedStates: steady.replacedStates)
        let system = ReducedSystem(instance: instance, laws: laws, initial: x0, options: SteadyStateOptions())
        let qr: QRFactorization
        do { qr = try QRFactorization(of: system.reducedJacobian(x)) } catch {
            throw SteadyStateError(message: "the steady state's Jacobian cannot be factorised: \(error)", hint: nil)
        }
        var s = [Double](repeating: 0, count: n * np)  // parameter-major, as the model's tangents take it
        for k in 0..<np {
            var rhs = (0..<n).map { -partials[k][$0] }
            for (law, row) in laws.replacedStates.enumerated() {
                rhs[row] = (0..<n).reduce(0) { $0 + laws.laws[law][$1] * s0[k * n + $1] }
            }
            let solution: [Double]
            do { solution = try qr.solveLeastSquares(rhs) } catch {
                throw SteadyStateError(message: "the steady state's sensitivities to '\(parameters[k])' cannot be solved: \(error)",
                                       hint: "a singular Jacobian: the state may be on a bifurcation or a continuum of steady states")
            }
            for i in 0..<n { s[k * n + i] = solution[i] }
        }
        x.withUnsafeBufferPointer { instance.update(time: 0, state: $0.baseAddress!) }
        instance.refreshPartials()
        return SteadyStateSensitivities(parameters: parameters, columns: columns, values: slots.map(instance.value(ofSlot:)),
                                        derivatives: slots.map { instance.tangent(ofSlot: $0, stateSensitivities: s) })
    }
}
