import Testing
import FluxBalance

@Suite struct LinearProgramTests {
    /// maximise 3x + 2y subject to x + y ≤ 4, x + 3y ≤ 6, 0 ≤ x ≤ 3, y ≥ 0.
    /// The vertices are (0,0), (3,0), (3,1), (0,2); the optimum is (3,1) with 11.
    static let textbook = LinearProgram(
        variables: [.init(lower: 0, upper: 3), .init(lower: 0, upper: .infinity)],
        rows: [.init(coefficients: [(0, 1), (1, 1)], bounds: .init(lower: -.infinity, upper: 4)),
               .init(coefficients: [(0, 1), (1, 3)], bounds: .init(lower: -.infinity, upper: 6))],
        objective: [3, 2], maximize: true)

    @Test func aSmallProgramReachesItsKnownVertex() throws {
        // The simplex method ends on the vertex, found by solving a 2×2 basis: exact up to
        // a few rounding errors, so 1e-9 is loose.
        guard case .optimal(let value, let x) = try Self.textbook.solve() else {
            Issue.record("not optimal")
            return
        }
        #expect(abs(value - 11) < 1e-9)
        #expect(abs(x[0] - 3) < 1e-9 && abs(x[1] - 1) < 1e-9)
    }

    @Test func minimisingTheSameProgramFindsTheOrigin() throws {
        var p = Self.textbook
        p.maximize = false
        guard case .optimal(let value, let x) = try p.solve() else {
            Issue.record("not optimal")
            return
        }
        #expect(abs(value) < 1e-12 && x.allSatisfy { abs($0) < 1e-12 })
    }

    @Test(arguments: [
        // x = 5 with x in [1, 2]: no point satisfies both.
        LinearProgram(variables: [.init(lower: 1, upper: 2)], rows: [.init(coefficients: [(0, 1)], bounds: .fixed(5))],
                      objective: [1], maximize: true),
        // Crossed bounds on a variable.
        LinearProgram(variables: [.init(lower: 2, upper: 1)], rows: [], objective: [1], maximize: true),
    ])
    func programsWithoutAFeasiblePointAreInfeasible(_ p: LinearProgram) throws {
        #expect(try p.solve() == .infeasible)
    }

    @Test func anObjectiveThatGrowsWithoutLimitIsUnbounded() throws {
        // x − y = 0 with x, y ≥ 0: the ray x = y goes on for ever.
        let p = LinearProgram(variables: [.init(lower: 0, upper: .infinity), .init(lower: 0, upper: .infinity)],
                              rows: [.init(coefficients: [(0, 1), (1, -1)], bounds: .fixed(0))],
                              objective: [1, 0], maximize: true)
        #expect(try p.solve() == .unbounded)
    }

    @Test func aNaNBoundIsAnErrorNotAnAnswer() {
        let p = LinearProgram(variables: [.init(lower: .nan, upper: 1)], rows: [], objective: [1], maximize: true)
        #expect(throws: LinearProgram.SolverError.self) { try p.solve() }
    }
}
