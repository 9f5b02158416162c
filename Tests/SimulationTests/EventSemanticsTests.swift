import Testing
import Foundation
import Simulation
import PathwayTestSupport

/// SBML Level 3 event semantics, case by case.
@Suite struct EventSemanticsTests {
    /// Value of `column` at each time in `times` (which must be on the grid).
    func values(_ text: String, tEnd: Double, points: Int, column: String) throws -> [Double] {
        let r = try TestModels.simulate(text, tEnd: tEnd, points: points, columns: [column])
        #expect(r.failure == nil, "\(String(describing: r.failure))")
        return r.trajectory.series(column) ?? []
    }

    @Test func higherPriorityRunsFirst() throws {
        let x = try values("""
            x = 0
            E1: at (time >= 1), priority = 1: x = 1
            E2: at (time >= 1), priority = 2: x = 2
            """, tEnd: 2, points: 3, column: "x")
        // E2 runs first, E1 last: the last word is E1's.
        #expect(x == [0, 1, 1])
    }

    @Test func equalPrioritiesRunInDocumentOrder() throws {
        let x = try values("""
            x = 0
            E1: at (time >= 1): x = 1
            E2: at (time >= 1): x = 2
            """, tEnd: 2, points: 3, column: "x")
        #expect(x == [0, 2, 2])
    }

    @Test func assignmentsUseValuesFromTriggerTime() throws {
        let text = """
            a = 1; b = 2
            E1: at (time >= 1): a = b, b = a
            """
        #expect(try values(text, tEnd: 2, points: 3, column: "a") == [1, 2, 2])
        #expect(try values(text, tEnd: 2, points: 3, column: "b") == [2, 1, 1])
    }

    @Test func delayedEventRunsLater() throws {
        let x = try values("""
            x = 0
            E1: at 2 after (time >= 1): x = 5
            """, tEnd: 4, points: 9, column: "x")
        // Grid: 0, 0.5, …, 4. Fires at 3 (value shown after the event at t = 3).
        #expect(x == [0, 0, 0, 0, 0, 0, 5, 5, 5])
    }

    @Test func nonPersistentDelayedEventIsCancelled() throws {
        let text = """
            x = 0
            E1: at 2 after (time >= 1 && time < 2), persistent = false: x = 5
            """
        #expect(try values(text, tEnd: 4, points: 5, column: "x") == [0, 0, 0, 0, 0])
        let persistent = text.replacingOccurrences(of: ", persistent = false", with: "")
        #expect(try values(persistent, tEnd: 4, points: 5, column: "x") == [0, 0, 0, 5, 5])
    }

    @Test func initialValueFalseFiresAtStart() throws {
        #expect(try values("x = 0\nE1: at (time >= 0), t0 = false: x = 7", tEnd: 1, points: 2, column: "x") == [7, 7])
        // By default the trigger counts as already true at t0, so nothing fires.
        #expect(try values("x = 0\nE1: at (time >= 0): x = 7", tEnd: 1, points: 2, column: "x") == [0, 0])
    }

    @Test func stateTriggeredEventFiresAtTheCrossing() throws {
        // A = 10·e^{−kt} falls below 5 at t* = ln 2 / k; the event records the time.
        let k = 0.3
        let r = try TestModels.simulate("""
            A = 10; k = \(k); tfire = -1
            J1: A -> ; k*A
            E1: at (A < 5): tfire = time
            """, tEnd: 5, points: 6, rtol: 1e-10, atol: 1e-14, columns: ["tfire"])
        let fired = r.trajectory.series("tfire")!.last!
        #expect(abs(fired - log(2) / k) < 1e-7, "fired at \(fired)")
    }

    @Test func selfReArmingTimerFiresOncePerPeriod() throws {
        let r = try TestModels.simulate("""
            n = 0; tnext = 1
            E1: at (time >= tnext): n = n + 1, tnext = tnext + 1
            """, tEnd: 10.5, points: 22, columns: ["n"])
        #expect(r.trajectory.series("n")!.last == 10)
        #expect(r.eventsExecuted == 10)
    }

    @Test func eventCascadeAtOneInstant() throws {
        let y = try values("""
            flag = 0; y = 0
            E1: at (time >= 1): flag = 1
            E2: at (flag > 0.5): y = 2
            """, tEnd: 2, points: 3, column: "y")
        #expect(y == [0, 2, 2])
    }

    @Test func endlessCascadeIsStoppedWithAClearError() throws {
        let r = try TestModels.simulate("""
            x = 0
            E1: at (x >= 0), t0 = false: x = -1
            E2: at (x < 0): x = 1
            """, tEnd: 1, points: 2)
        #expect(r.failure != nil)
        #expect(r.failure?.reason.contains("events executed at one instant") == true)
    }

    @Test func eventChangingAParameterChangesTheDynamics() throws {
        // Production switches on at t = 2: A(t) = (p/k)(1 − e^{−k(t−2)}) afterwards.
        let r = try TestModels.simulate("""
            A = 0; p = 0; k = 0.5
            J1: -> A; p
            J2: A -> ; k*A
            E1: at (time >= 2): p = 1
            """, tEnd: 6, points: 7, rtol: 1e-9, atol: 1e-13, columns: ["A"])
        let a = r.trajectory.series("A")!
        for (i, v) in a.enumerated() {
            let t = Double(i)
            let exact = t < 2 ? 0 : (1 / 0.5) * (1 - exp(-0.5 * (t - 2)))
            #expect(abs(v - exact) < 1e-6, "t=\(t): \(v) vs \(exact)")
        }
    }
}

/// Regression: a pulse one rounding step before an output time (10.209999999999999 vs
/// 10.21) made CVODE fail with CV_TOO_CLOSE ("tout too close to t0").
@Test func outputARoundingStepAfterAPulse() throws {
    let pulse = (10.21).nextDown
    #expect(pulse < 10.21)
    let r = try TestModels.simulate("A = 0; k = 1\nJ1: A -> ; k*A\nE1: at (time >= \(pulse)): A = A + 1\n",
                                    tEnd: 10.3, points: 1031, columns: ["A"])
    #expect(r.failure == nil, "\(String(describing: r.failure))")
    #expect(r.trajectory.rowCount == 1031)
    let a = r.trajectory.series("A")!
    #expect(abs(a[1021] - 1) < 1e-6, "A at t = 10.21: \(a[1021])")
}
