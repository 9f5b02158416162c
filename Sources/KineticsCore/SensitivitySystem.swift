/// The forward-sensitivity equations of an `ODESystem` for `parameterCount` parameters:
/// `ṡ_k = (∂f/∂y)·s_k + ∂f/∂p_k`, with `s_k = ∂y/∂p_k`.
///
/// Like `ODESystem`, called from SUNDIALS' callbacks: implementations must not allocate.
public protocol SensitivitySystem: AnyObject {
    var stateCount: Int { get }
    var parameterCount: Int { get }
    /// Typical magnitude of each parameter (CVODES' `pbar`): sensitivity tolerances are
    /// the state tolerances divided by it, so `p_k·s_k` is controlled like `y`.
    var parameterScales: [Double] { get }
    /// Writes `ṡ_k` into `derivatives[k]` for every k, given `s_k` in `sensitivities[k]`
    /// (each of length `stateCount`).
    func evaluateSensitivityRHS(time: Double, state: UnsafePointer<Double>,
                                sensitivities: UnsafePointer<UnsafeMutablePointer<Double>>,
                                derivatives: UnsafePointer<UnsafeMutablePointer<Double>>)
}
