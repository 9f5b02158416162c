import Testing
import Foundation
import Simulation
import PathwayTestSupport

/// Engine semantics added for SBML import (each checked against an exact value).
@Suite struct SBMLSemanticsTests {
    func series(_ text: String, tEnd: Double, points: Int, _ column: String) throws -> [Double] {
        let r = try TestModels.simulate(text, tEnd: tEnd, points: points, rtol: 1e-10, atol: 1e-14, columns: [column])
        #expect(r.failure == nil, "\(String(describing: r.failure))")
        return r.trajectory.series(column) ?? []
    }

    /// rateOf(S) of a concentration in a growing compartment: (dA/dt)/V − [S]·V′/V.
    @Test func rateOfIsTheCurrentDerivative() throws {
        let text = """
            compartment c = 1
            var c
            c' = 1
            species S in c
            S = 2
            J: -> S; 3
            r := rateOf(S)
            q := rateOf(c)
            """
        // At t: V = 1 + t, amount = 2 + 3t, [S]′ = 3/V − [S]/V.
        let r = try series(text, tEnd: 1, points: 3, "r")
        for (i, t) in [0.0, 0.5, 1].enumerated() {
            let v = 1 + t, s = (2 + 3 * t) / v
            #expect(abs(r[i] - (3 / v - s / v)) < 1e-9)
        }
        #expect(try series(text, tEnd: 1, points: 3, "q") == [1, 1, 1])
    }

    /// A boundary species keeps its amount when its compartment changes size.
    @Test func boundarySpeciesKeepsItsAmountInAGrowingCompartment() throws {
        let text = """
            compartment c = 1
            var c
            c' = 1
            species $B in c
            B = 2
            """
        let b = try series(text, tEnd: 1, points: 2, "B")
        #expect(b[0] == 2 && abs(b[1] - 1) < 1e-9)
    }

    /// An event that sets a concentration and its compartment's size converts the
    /// concentration with the size from before the event (SBML Test Suite 01779).
    @Test func eventConvertsConcentrationsWithThePreviousSize() throws {
        let text = """
            compartment c = 0.5
            var c
            species S in c
            S = 2
            E: at (time >= 0.5): S = 0.2, c = 0.2
            """
        let s = try series(text, tEnd: 1, points: 3, "S")
        // amount 0.2·0.5 = 0.1 in size 0.2 → 0.5
        #expect(s[0] == 2 && abs(s[2] - 0.5) < 1e-12)
    }
}
