internal import CGLPK
import Synchronization

/// A linear program: optimise `c·x` subject to `lower ≤ A·x ≤ upper` row by row and
/// `lower ≤ x ≤ upper` variable by variable. Infinite bounds mean unbounded sides.
public struct LinearProgram: Sendable {
    public struct Bounds: Sendable, Hashable {
        public var lower: Double
        public var upper: Double
        public init(lower: Double, upper: Double) { self.lower = lower; self.upper = upper }
        public static let free = Bounds(lower: -.infinity, upper: .infinity)
        public static func fixed(_ v: Double) -> Bounds { Bounds(lower: v, upper: v) }
    }

    /// One constraint row: a sparse linear combination of variables and its bounds.
    public struct Row: Sendable {
        public var coefficients: [(variable: Int, value: Double)]
        public var bounds: Bounds
        public init(coefficients: [(variable: Int, value: Double)], bounds: Bounds) {
            self.coefficients = coefficients; self.bounds = bounds
        }
    }

    public var variables: [Bounds]
    public var rows: [Row]
    /// One coefficient per variable.
    public var objective: [Double]
    public var maximize: Bool

    public init(variables: [Bounds], rows: [Row], objective: [Double], maximize: Bool) {
        self.variables = variables; self.rows = rows; self.objective = objective; self.maximize = maximize
    }

    public enum Outcome: Sendable, Equatable {
        case optimal(objective: Double, x: [Double])
        /// No point satisfies every constraint.
        case infeasible
        /// Feasible, but the objective improves without limit.
        case unbounded
    }

    /// A failure of the solver itself (not of the problem), with GLPK's return code.
    public struct SolverError: Error, CustomStringConvertible {
        public let description: String
    }

    /// GLPK keeps per-thread state that `glp_term_out` changes; one solve at a time keeps
    /// that safe whether or not the library was built with thread-local storage.
    private static let gate = Mutex(())

    /// Solves by GLPK's primal simplex method (no presolver, so that infeasible and
    /// unbounded problems come back as a status rather than a failed presolve).
    public func solve() throws(SolverError) -> Outcome {
        precondition(objective.count == variables.count, "one objective coefficient per variable")
        for b in variables + rows.map(\.bounds) {
            guard !b.lower.isNaN, !b.upper.isNaN else { throw SolverError(description: "a bound is NaN") }
            // GLPK refuses crossed bounds as malformed input; they are simply infeasible.
            if b.lower > b.upper || b.lower == .infinity || b.upper == -.infinity { return .infeasible }
        }
        guard objective.allSatisfy(\.isFinite) else { throw SolverError(description: "an objective coefficient is not finite") }
        for r in rows {
            for c in r.coefficients {
                precondition(variables.indices.contains(c.variable), "row coefficient on variable \(c.variable) of \(variables.count)")
                guard c.value.isFinite else { throw SolverError(description: "a constraint coefficient is not finite") }
            }
        }
        return try Self.gate.withLock { _ throws(SolverError) in try runGLPK() }
    }

    private static func kind(_ b: Bounds) -> (type: Int32, lower: Double, upper: Double) {
        switch (b.lower.isFinite, b.upper.isFinite) {
        case (false, false): (GLP_FR, 0, 0)
        case (true, false): (GLP_LO, b.lower, 0)
        case (false, true): (GLP_UP, 0, b.upper)
        case (true, true): (b.lower == b.upper ? GLP_FX : GLP_DB, b.lower, b.upper)
        }
    }

    private func runGLPK() throws(SolverError) -> Outcome {
        _ = glp_term_out(GLP_OFF)
        let lp = glp_create_prob()!
        defer { glp_delete_prob(lp) }
        glp_set_obj_dir(lp, maximize ? GLP_MAX : GLP_MIN)
        if !rows.isEmpty { glp_add_rows(lp, Int32(rows.count)) }
        if !variables.isEmpty { glp_add_cols(lp, Int32(variables.count)) }
        // GLPK indexes rows, columns and matrix entries from 1; element 0 is unused.
        var ia: [Int32] = [0], ja: [Int32] = [0], ar: [Double] = [0]
        for (i, r) in rows.enumerated() {
            let k = Self.kind(r.bounds)
            glp_set_row_bnds(lp, Int32(i + 1), k.type, k.lower, k.upper)
            for c in r.coefficients where c.value != 0 {
                ia.append(Int32(i + 1)); ja.append(Int32(c.variable + 1)); ar.append(c.value)
            }
        }
        for (j, b) in variables.enumerated() {
            let k = Self.kind(b)
            glp_set_col_bnds(lp, Int32(j + 1), k.type, k.lower, k.upper)
            glp_set_obj_coef(lp, Int32(j + 1), objective[j])
        }
        glp_load_matrix(lp, Int32(ar.count - 1), ia, ja, ar)
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        let code = glp_simplex(lp, &parameters)
        guard code == 0 else { throw SolverError(description: "GLPK's simplex method failed (glp_simplex returned \(code))") }
        switch glp_get_status(lp) {
        case GLP_OPT:
            let x = (0..<variables.count).map { glp_get_col_prim(lp, Int32($0 + 1)) }
            return .optimal(objective: glp_get_obj_val(lp), x: x)
        case GLP_NOFEAS: return .infeasible
        case GLP_UNBND: return .unbounded
        case let status: throw SolverError(description: "GLPK's simplex method ended without a solution (status \(status))")
        }
    }
}
