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
    /// Where `∂f/∂y` can be non-zero, for sparse linear algebra; `nil` (the default) means
    /// the system only offers the dense form.
    var jacobianSparsity: JacobianSparsity? { get }
    /// Writes the entries of `∂f/∂y` listed in `jacobianSparsity`, in its order (compressed
    /// sparse columns). The buffer arrives zeroed. Only called when `jacobianSparsity` is set.
    func evaluateSparseJacobian(time: Double, state: UnsafePointer<Double>, values: UnsafeMutablePointer<Double>)
    /// `evaluateRHS` as a C function the integrator can call without a Swift callback in
    /// between, when the system has one (a model compiled to machine code); `nil` (the
    /// default) otherwise.
    var directRightHandSide: DirectRightHandSide? { get }
}

/// A right-hand side callable from C: `function(t, y, ydot, context)` writes `f(t, y)`
/// into `ydot`, exactly as `evaluateRHS` would.
public struct DirectRightHandSide {
    public typealias Function = @convention(c) (Double, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                                UnsafeMutablePointer<Double>) -> Void
    public let function: Function
    /// Passed as the last argument; owned by the system. The integrator reads it once,
    /// when it is created, so the system must not move it while an integrator holds it.
    public let context: UnsafeMutablePointer<Double>
    public init(function: Function, context: UnsafeMutablePointer<Double>) {
        self.function = function
        self.context = context
    }
}

/// The structure of a sparse `n × n` Jacobian in compressed sparse column (CSC) form:
/// the entries of column `j` are `rowIndices[columnStarts[j] ..< columnStarts[j + 1]]`,
/// rows increasing. Every diagonal entry is present (possibly always zero), because the
/// integrator factors `I − γJ`, whose diagonal is never structurally zero.
public struct JacobianSparsity: Sendable, Hashable {
    public let dimension: Int
    public let columnStarts: [Int32]
    public let rowIndices: [Int32]
    public var nonZeroCount: Int { rowIndices.count }
    /// Fraction of the `n²` entries that are stored.
    public var density: Double { dimension == 0 ? 0 : Double(nonZeroCount) / (Double(dimension) * Double(dimension)) }

    /// The pattern holding `entries` (row, column) and the whole diagonal. Duplicates are merged.
    public init(dimension n: Int, entries: [(row: Int, column: Int)]) {
        var columns = [[Int32]](repeating: [], count: n)
        for j in 0..<n { columns[j].append(Int32(j)) }
        for e in entries where e.row != e.column { columns[e.column].append(Int32(e.row)) }
        var starts: [Int32] = [0]
        starts.reserveCapacity(n + 1)
        var rows: [Int32] = []
        rows.reserveCapacity(entries.count + n)
        for j in 0..<n {
            var previous: Int32 = -1
            for r in columns[j].sorted() where r != previous {
                rows.append(r)
                previous = r
            }
            starts.append(Int32(rows.count))
        }
        dimension = n
        columnStarts = starts
        rowIndices = rows
    }

    /// Position of entry (row, column) in the value array, or nil when it is not stored.
    public func position(row: Int, column: Int) -> Int? {
        let lo = Int(columnStarts[column]), hi = Int(columnStarts[column + 1])
        var a = lo, b = hi
        while a < b {
            let m = (a + b) / 2
            if Int(rowIndices[m]) < row { a = m + 1 } else { b = m }
        }
        return a < hi && Int(rowIndices[a]) == row ? a : nil
    }
}

extension ODESystem {
    public var jacobianSparsity: JacobianSparsity? { nil }
    public var directRightHandSide: DirectRightHandSide? { nil }
    public func evaluateSparseJacobian(time: Double, state: UnsafePointer<Double>, values: UnsafeMutablePointer<Double>) {
        preconditionFailure("evaluateSparseJacobian called on a system without a sparsity pattern")
    }
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
