import Testing
import Foundation
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// The sparse (KLU) and dense linear solvers: which one runs, and that both give the
/// analytic solution.
@Suite struct LinearSolverTests {
    /// A first-order chain A0 → A1 → … → A(n−1) → ∅, all rates k, A0(0) = 1: species i
    /// follows the Poisson term A_i(t) = (kt)^i e^(−kt) / i! (the last one too, since its
    /// outflow has the same rate). Its Jacobian is bidiagonal, 2n − 1 entries of n².
    static func chain(_ n: Int) -> String {
        var lines = ["model chain()", "  compartment cell = 1;", "  k = 0.8;"]
        for i in 0..<n { lines.append("  species A\(i) in cell; A\(i) = \(i == 0 ? 1 : 0);") }
        for i in 0..<n {
            lines.append(i + 1 < n ? "  J\(i): A\(i) -> A\(i + 1); k*A\(i);" : "  J\(i): A\(i) -> ; k*A\(i);")
        }
        lines.append("end")
        return lines.joined(separator: "\n")
    }

    static func run(_ text: String, solver: LinearSolverChoice, rtol: Double, atol: Double) throws -> SimulationResult {
        let model = try TestModels.compile(text)
        var options = IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol)
        options.linearSolver = solver
        return try Simulator(model: model).run(SimulationRequest(grid: TimeGrid(end: 20, count: 41), options: options))
    }

    @Test func automaticChoosesBySize() throws {
        let small = try Self.run(Self.chain(5), solver: .automatic, rtol: 1e-6, atol: 1e-12)
        #expect(small.linearSolver == .dense)
        let large = try Self.run(Self.chain(LinearSolverChoice.sparseThreshold), solver: .automatic, rtol: 1e-6, atol: 1e-12)
        #expect(large.linearSolver == .klu)
        let forcedDense = try Self.run(Self.chain(LinearSolverChoice.sparseThreshold), solver: .dense, rtol: 1e-6, atol: 1e-12)
        #expect(forcedDense.linearSolver == .dense)
        let forcedSparse = try Self.run(Self.chain(5), solver: .klu, rtol: 1e-6, atol: 1e-12)
        #expect(forcedSparse.linearSolver == .klu)
    }

    /// Both solvers reproduce the Poisson solution. Tolerance: the error is measured in
    /// units of rtol·|y| + atol; BDF's global error on this smooth, non-stiff chain stays
    /// within ~10² of the local tolerance (the same bound EngineSmokeTests uses).
    @Test(arguments: [LinearSolverChoice.dense, .klu])
    func chainMatchesPoisson(solver: LinearSolverChoice) throws {
        let n = 30, k = 0.8, rtol = 1e-8, atol = 1e-12
        let result = try Self.run(Self.chain(n), solver: solver, rtol: rtol, atol: atol)
        #expect(result.failure == nil)
        #expect(result.linearSolver == solver)
        var worst = 0.0
        for r in 0..<result.trajectory.rowCount {
            let t = result.trajectory.times[r]
            for i in 0..<n {
                let exact = exp(Double(i) * log(k * t) - k * t - lgamma(Double(i + 1)))
                let v = result.trajectory.value(row: r, column: i)
                worst = max(worst, toleranceRatio(v, t == 0 ? (i == 0 ? 1 : 0) : exact, rtol: rtol, atol: atol))
            }
        }
        #expect(worst < 100)
    }

    /// `stepsPerJacobian` reaches CVODE: at 1 the Jacobian is evaluated at every step's
    /// setup (at least once a step), where CVODE's default keeps one for up to 51 steps; the
    /// Poisson solution holds either way (bound as in `chainMatchesPoisson`).
    @Test(arguments: [LinearSolverChoice.dense, .klu])
    func jacobianRenewedAsOftenAsAsked(solver: LinearSolverChoice) throws {
        let n = 6, k = 0.8, rtol = 1e-8, atol = 1e-12
        let model = try TestModels.compile(Self.chain(n))
        func run(_ steps: Int?) throws -> SimulationResult {
            var options = IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol)
            options.linearSolver = solver
            options.stepsPerJacobian = steps
            return try Simulator(model: model).run(SimulationRequest(grid: TimeGrid(end: 20, count: 41), options: options))
        }
        let every = try run(1), standard = try run(nil)
        #expect(every.failure == nil && standard.failure == nil)
        #expect(every.statistics.jacobianEvaluations >= every.statistics.steps)
        #expect(standard.statistics.jacobianEvaluations * 20 < standard.statistics.steps)
        var worst = 0.0
        for r in 0..<every.trajectory.rowCount {
            let t = every.trajectory.times[r]
            for i in 0..<n {
                let exact = t == 0 ? (i == 0 ? 1 : 0) : exp(Double(i) * log(k * t) - k * t - lgamma(Double(i + 1)))
                worst = max(worst, toleranceRatio(every.trajectory.value(row: r, column: i), exact, rtol: rtol, atol: atol))
            }
        }
        #expect(worst < 100)
    }

    /// The two solvers follow the same steps up to round-off in the linear algebra, so
    /// their trajectories agree far more closely than either agrees with the exact one.
    @Test func solversAgree() throws {
        let dense = try Self.run(Self.chain(30), solver: .dense, rtol: 1e-8, atol: 1e-12)
        let sparse = try Self.run(Self.chain(30), solver: .klu, rtol: 1e-8, atol: 1e-12)
        var worst = 0.0
        for r in 0..<dense.trajectory.rowCount {
            for c in 0..<30 {
                worst = max(worst, toleranceRatio(sparse.trajectory.value(row: r, column: c), dense.trajectory.value(row: r, column: c),
                                                  rtol: 1e-8, atol: 1e-12))
            }
        }
        #expect(worst < 1)
    }

    /// A pulse-driven, nonlinear model (Ca pulses into a cooperative binding step), with
    /// events, so that the run exercises restarts, error-test failures and Jacobian updates.
    static let pulsedBinding = """
        model pulsed()
          compartment cell = 1;
          species Ca in cell, B in cell, CaB in cell;
          Ca = 0.05; B = 10; CaB = 0;
          kon = 100; koff = 100; kext = 20; Ca_rest = 0.05; dCa = 0.5;
          Jext: Ca -> ; kext*(Ca - Ca_rest);
          Jbind: B -> CaB; kon*B*Ca^4 - koff*CaB;
          P1: at (time >= 1): Ca = Ca + dCa;
          P2: at (time >= 1.01): Ca = Ca + dCa;
          P3: at (time >= 1.02): Ca = Ca + dCa;
          P4: at (time >= 1.2): Ca = Ca + dCa;
        end
        """

    /// Kinapse's own vector, matrix and LU kernels (`CompiledKernels`) do the same
    /// floating-point operations in the same order as SUNDIALS' routines they replace, so
    /// with them and without them the solver takes the same steps and every output and
    /// sensitivity is bit-identical (no tolerance: any reordering would show).
    @Test(arguments: [LinearSolverChoice.dense, .klu])
    func compiledKernelsReproduceTheLibraryExactly(solver: LinearSolverChoice) throws {
        let model = try TestModels.compile(Self.pulsedBinding).differentiated(with: ["kon", "dCa"])
        func run(compiled: Bool) throws -> SimulationResult {
            var options = IntegratorOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-12)
            options.linearSolver = solver
            options.compiledKernels = compiled
            var request = SimulationRequest(grid: TimeGrid(end: 3, count: 61), options: options)
            request.sensitivityParameters = ["kon", "dCa"]
            return try Simulator(model: model).run(request)
        }
        let ours = try run(compiled: true), library = try run(compiled: false)
        #expect(ours.failure == nil && library.failure == nil)
        #expect(ours.linearSolver == solver)
        #expect(ours.statistics == library.statistics)
        #expect(ours.statistics.reinitialisations == 4)
        #expect(ours.statistics.errorTestFailures > 0, "the run should exercise step rejections")
        #expect(ours.trajectory.values == library.trajectory.values)
        let s = try #require(ours.sensitivities), t = try #require(library.sensitivities)
        #expect(s.values == t.values)
    }

    /// The sparsity pattern is sorted CSC, holds every structural non-zero and the diagonal.
    @Test func sparsityPattern() throws {
        let model = ModelInstance(try TestModels.compile(Self.chain(4)))
        let pattern = try #require(model.jacobianSparsity)
        #expect(pattern.dimension == 4)
        // Column j holds (j, j) and (j + 1, j): 4 diagonal + 3 sub-diagonal entries.
        #expect(pattern.columnStarts == [0, 2, 4, 6, 7])
        #expect(pattern.rowIndices == [0, 1, 1, 2, 2, 3, 3])
        #expect(pattern.position(row: 2, column: 1) == 3)
        #expect(pattern.position(row: 0, column: 2) == nil)
        // The sparse values equal the dense Jacobian's entries (parameters set first).
        _ = model.initialState()
        let y = [0.5, 0.25, 0.125, 0.0625]
        var dense = [Double](repeating: 0, count: 16)
        var values = [Double](repeating: 0, count: pattern.nonZeroCount)
        model.evaluateJacobian(time: 0, state: y, jacobian: &dense)
        model.evaluateSparseJacobian(time: 0, state: y, values: &values)
        for j in 0..<4 {
            for p in Int(pattern.columnStarts[j])..<Int(pattern.columnStarts[j + 1]) {
                #expect(values[p] == dense[Int(pattern.rowIndices[p]) + 4 * j])
            }
        }
        #expect(values[0] == -0.8 && values[1] == 0.8)
    }

    /// The symbolic fill: a pattern whose factors need no new entries fills exactly its own
    /// entries, a full pattern the whole matrix. The bidiagonal chain splits into n blocks
    /// of one (block triangular form): L and U hold the n diagonal entries, the n − 1
    /// sub-diagonal ones lie between blocks, (2n − 1)/n² in all. A tridiagonal pattern is one
    /// block whose factors are bidiagonal: 2n − 1 in L and in U, diagonal once, (3n − 2)/n².
    @Test func factorFillOfKnownPatterns() {
        let n = 50
        let chain = JacobianSparsity(dimension: n, entries: (1..<n).map { (row: $0, column: $0 - 1) })
        #expect(LinearSolverChoice.factorFill(of: chain) == Double(2 * n - 1) / Double(n * n))
        let tridiagonal = JacobianSparsity(dimension: n, entries: (1..<n).flatMap { [(row: $0, column: $0 - 1), (row: $0 - 1, column: $0)] })
        #expect(LinearSolverChoice.factorFill(of: tridiagonal) == Double(3 * n - 2) / Double(n * n))
        let full = JacobianSparsity(dimension: n, entries: (0..<n).flatMap { i in (0..<n).map { (row: i, column: $0) } })
        #expect(LinearSolverChoice.factorFill(of: full) == 1)
    }

    /// `automatic` keeps KLU where the factors stay sparse and takes dense LU where they fill
    /// in: two 1,000-state banded patterns, both with a Jacobian sparse enough for KLU by
    /// density alone. A band's factors stay in the band, so the fill is about the band's
    /// share of the matrix: 41/1000 (KLU) and 161/1000 (dense; the crossover at 1,000 states
    /// is `factorFillAt1000`, 0.09).
    @Test func automaticChoosesByFill() throws {
        func band(_ halfWidth: Int) -> JacobianSparsity {
            let n = 1000
            return JacobianSparsity(dimension: n, entries: (0..<n).flatMap { j in
                (max(0, j - halfWidth)...min(n - 1, j + halfWidth)).map { (row: $0, column: j) }
            })
        }
        let narrow = band(20), wide = band(80)
        #expect(narrow.density <= LinearSolverChoice.maximumSparseDensity && wide.density <= LinearSolverChoice.maximumSparseDensity)
        #expect(LinearSolverChoice.factorFill(of: narrow) < 0.05 && LinearSolverChoice.factorFill(of: wide) > 0.15)
        #expect(LinearSolverChoice.automatic(states: 1000, sparsity: narrow) == .klu)
        #expect(LinearSolverChoice.automatic(states: 1000, sparsity: wide) == .dense)
        let chain = try Self.run(Self.chain(30), solver: .automatic, rtol: 1e-6, atol: 1e-12)
        #expect(chain.linearSolver == .klu)
    }
}
