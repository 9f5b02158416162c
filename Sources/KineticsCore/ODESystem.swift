/// A system of ordinary differential equations `dy/dt = f(t, y)` with an analytic
/// Jacobian and root functions, as the integrator needs it.
///
/// Methods take raw pointers because they are called from SUNDIALS' C callbacks
/// thousands of times per simulation: implementations must not allocate.
public protocol ODESystem: AnyObject {
    /// Number of state variables `n`.
    var stateCount: Int { get }
    /// Writes `f(t, y)` into `ydot` (length `n`).
    func evaluateRHS(time: Double, state: UnsafePointer<Double>, derivative: UnsafeMutablePointer<Double>)
    /// Writes `∂f/∂y` into `jacobian`, column-major `n × n` (entry (i, j) at `i + j·n`).
    /// The buffer arrives zeroed; only structurally non-zero entries need writing.
    func evaluateJacobian(time: Double, state: UnsafePointer<Double>, jacobian: UnsafeMutablePointer<Double>)
    /// Number of root functions the integrator should watch.
    var rootCount: Int { get }
    /// Writes the root functions' values; a sign change marks a discontinuity.
    func evaluateRoots(time: Double, state: UnsafePointer<Double>, roots: UnsafeMutablePointer<Double>)
}

/// Solver work counters, summed over every re-initialisation of one run.
public struct SolverStatistics: Sendable, Hashable {
    public var steps = 0
    public var rhsEvaluations = 0
    public var jacobianEvaluations = 0
    public var errorTestFailures = 0
    public var nonlinearConvergenceFailures = 0
    public var rootEvaluations = 0
    /// Times the integrator was restarted after a discontinuity (event or pulse).
    public var reinitialisations = 0
    public init() {}

    public static func + (a: SolverStatistics, b: SolverStatistics) -> SolverStatistics {
        var s = a
        s.steps += b.steps
        s.rhsEvaluations += b.rhsEvaluations
        s.jacobianEvaluations += b.jacobianEvaluations
        s.errorTestFailures += b.errorTestFailures
        s.nonlinearConvergenceFailures += b.nonlinearConvergenceFailures
        s.rootEvaluations += b.rootEvaluations
        s.reinitialisations += b.reinitialisations
        return s
    }
}
