import Testing
import Foundation
import PathwayTestSupport
import SourceDiagnostics
@testable import StochasticSimulation

@Suite struct ModelTranslationTests {
    func messages(_ text: String) -> [String] {
        do {
            _ = try stochasticModel(text)
            return []
        } catch let error as DiagnosticsError {
            return error.diagnostics.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }

    /// X decays at 1/s from 0 molecules; at t = 1 an event sets it to `value`.
    static func decayRefilledAtOne(_ value: String) -> String {
        """
        model m()
          compartment c = 1; species X in c = 0;
          J: X -> ; k*X; k = 1;
          E: at time >= 1: X = \(value);
        end
        """
    }

    @Test func rejectsWhatCannotBeCounted() {
        let rateRule = messages("""
            model m()
              compartment c = 1; species S in c = 1; species $X in c = 0;
              X' = 1;
              J: S -> ; k*S; k = 1;
            end
            """)
        #expect(rateRule.contains { $0.contains("rate rule on species 'X'") }, "\(rateRule)")
        let timed = messages("""
            model m()
              compartment c = 1; species S in c = 1;
              J: -> S; k*time; k = 1;
            end
            """)
        #expect(timed.contains { $0.contains("rate law of reaction 'J' depends on time") }, "\(timed)")
        let fraction = messages("""
            model m()
              compartment c = 1; species S in c = 1; species P in c = 0;
              J: 0.5 S -> P; k*S; k = 1;
            end
            """)
        #expect(fraction.contains { $0.contains("non-integer or computed stoichiometry for 'S'") }, "\(fraction)")
    }

    /// The combinatorial form needs the law to be a product of a species-free factor and the
    /// reactants, each to its multiplicity; anything else is evaluated as written.
    @Test func recognisesMassAction() throws {
        let model = try stochasticModel("""
            model m()
              compartment c = 2; species A in c = 10; species B in c = 10; species C in c = 0;
              J1: A + B -> C; k*A*B*c;
              J2: A + B -> C; k*A*B/(K + A);
              J3: C -> ; k*C^2;
              J4: 2A => C; k/2*A^2;
              k = 1; K = 1;
            end
            """)
        #expect(model.channels.map(\.name) == ["J1", "J2", "J3", "J4"])
        #expect(model.channels.map(\.propensity.isMassAction) == [true, false, false, true])
    }

    /// A time trigger lands exactly: an output at the event time shows the assignment, one
    /// just before does not. After it, each of 50 molecules decays independently, so the
    /// mean at t is 50·e^{−k(t−1)} with SE √(50p(1−p)/n).
    @Test func timedEventIsExact() throws {
        let model = try stochasticModel(Self.decayRefilledAtOne("50"))
        let trials = 2000
        let result = try StochasticEnsemble(model: model, method: .ssa)
            .run(trials: trials, seed: 3, times: [0, 0.999, 1, 2], columns: ["X"], jobs: 2)
        for i in 0..<trials {
            #expect(result.value(trial: i, row: 1, column: 0) == 0)
            #expect(abs(result.value(trial: i, row: 2, column: 0) - 50) < 1e-9, "Ω = 1 only to round-off")
        }
        let p = exp(-1.0)
        let mean = (0..<trials).reduce(0) { $0 + result.value(trial: $1, row: 3, column: 0) } / Double(trials)
        #expect(abs(mean - 50 * p) < z99 * (50 * p * (1 - p) / Double(trials)).squareRoot(), "mean \(mean)")
    }

    /// A state trigger is checked after every firing, so the count never rests below it.
    @Test func stateEventFiresAtTheCrossingFiring() throws {
        let model = try stochasticModel("""
            model m()
              compartment c = 1; species X in c = 30;
              J: X -> ; k*X; k = 1;
              E: at X < 10: X = 30;
            end
            """)
        let times = (0...100).map { Double($0) * 0.1 }
        let result = try StochasticEnsemble(model: model, method: .ssa).run(trials: 50, seed: 5, times: times, columns: ["X"], jobs: 2)
        let values = result.values.flatMap { $0 }
        #expect(values.min()! >= 10)
        #expect(values.contains { $0 < 15 }, "the decay does reach the trigger")
    }

    /// The message of the error one SSA trial of `text` to t = 100 stops with.
    func trialError(_ text: String) throws -> String {
        let model = try stochasticModel(text)
        do {
            _ = try StochasticEnsemble(model: model, method: .ssa).run(trials: 1, seed: 1, times: [0, 100], columns: ["X"], jobs: 1)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func failuresWithinATrialNameTheirCause() throws {
        let fraction = try trialError(Self.decayRefilledAtOne("2.5"))
        #expect(fraction.contains("event 'E' sets 'X' to 2.5") && fraction.contains("whole molecules"), "\(fraction)")
        let exhausted = try trialError("""
            model m()
              compartment c = 1; species X in c = 3;
              J: X -> ; k; k = 1;
            end
            """)
        #expect(exhausted.contains("reaction 'J' fired") && exhausted.contains("no 'X' left"), "\(exhausted)")
    }

    /// Trials draw from streams fixed by (seed, trial), so threads change nothing.
    @Test func sameSeedSameTrialsWhateverTheJobs() throws {
        let model = try stochasticModel("""
            model m()
              compartment c = 1; species A in c = 30; species B in c = 0;
              J: A -> B; k1*A - k2*B; k1 = 1; k2 = 0.5;
            end
            """)
        for method in StochasticMethod.allCases {
            let ensemble = StochasticEnsemble(model: model, method: method)
            let one = try ensemble.run(trials: 40, seed: 11, times: [0, 0.5, 1], columns: ["A", "B"], jobs: 1)
            let two = try ensemble.run(trials: 40, seed: 11, times: [0, 0.5, 1], columns: ["A", "B"], jobs: 2)
            let other = try ensemble.run(trials: 40, seed: 12, times: [0, 0.5, 1], columns: ["A", "B"], jobs: 2)
            #expect(one.values == two.values)
            #expect(one.values != other.values)
        }
    }
}
