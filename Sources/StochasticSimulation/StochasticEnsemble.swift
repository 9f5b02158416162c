public import KineticsCore
import KinapseUtilities
import Foundation

/// Many independent trials of one stochastic model, spread over threads.
///
/// Trial `i` draws from its own generator, seeded from `(seed, i)` alone, and results are
/// kept by trial index, so the output is the same bit for bit whatever the number of jobs.
public struct StochasticEnsemble: Sendable {
    public let model: StochasticModel
    public let method: StochasticMethod
    /// The partitioned model, for the hybrid method.
    public let hybrid: HybridModel?
    public var settings = TauLeapSettings()
    /// Initial values and parameters to replace, by slot (species as concentrations); the
    /// hybrid method takes its overrides when it is partitioned (`HybridModel`).
    public var overrides: [Int: Double] = [:]

    public init(model: StochasticModel, method: StochasticMethod) {
        self.model = model
        self.method = method
        hybrid = nil
    }

    /// Trials of the hybrid method on `hybrid`.
    public init(hybrid: HybridModel) {
        model = hybrid.stochastic
        method = .ssa
        self.hybrid = hybrid
    }

    /// Every trial's values at `times`: `result.values[trial]` holds rows of `columns`
    /// (names the compiled model knows; species in model units).
    public struct Result: Sendable {
        public let times: [Double]
        public let columns: [String]
        public let values: [[Double]]
        /// Reaction firings summed over trials (leaps count each firing they stand for).
        public let firings: Int

        /// Trial `trial`'s value of column `column` at output row `row`.
        public func value(trial: Int, row: Int, column: Int) -> Double { values[trial][row * columns.count + column] }

        /// Trial `trial` as a trajectory.
        public func trajectory(trial: Int) -> Trajectory {
            var t = Trajectory(columns: columns)
            for r in times.indices { t.append(time: times[r], row: values[trial][r * columns.count ..< (r + 1) * columns.count]) }
            return t
        }

        /// Mean and sample standard deviation over trials, columns `X_mean`, `X_sd`
        /// (two-pass, in trial order, so the sums do not depend on scheduling).
        public func summary() -> Trajectory {
            var t = Trajectory(columns: columns.flatMap { [$0 + "_mean", $0 + "_sd"] })
            let n = Double(values.count)
            for r in times.indices {
                var row: [Double] = []
                for c in columns.indices {
                    let offset = r * columns.count + c
                    let mean = values.reduce(0) { $0 + $1[offset] } / n
                    let squares = values.reduce(0) { $0 + ($1[offset] - mean) * ($1[offset] - mean) }
                    row += [mean, values.count > 1 ? (squares / (n - 1)).squareRoot() : 0]
                }
                t.append(time: times[r], row: row)
            }
            return t
        }
    }

    /// The seed of trial `trial`: SplitMix64 outputs of the run seed and the index mixed,
    /// so neighbouring trials do not share (shifted) streams.
    public static func trialSeed(_ seed: UInt64, trial: Int) -> UInt64 {
        var g = SeededGenerator(seed: seed)
        var h = SeededGenerator(seed: g.next() ^ UInt64(trial))
        return h.next()
    }

    /// Runs `trials` trials on up to `jobs` threads; the first failing trial's error is
    /// thrown (the lowest index, so the same whatever the jobs).
    public func run(trials: Int, seed: UInt64, times: [Double], columns: [String], jobs: Int,
                    isCancelled: (@Sendable () -> Bool)? = nil) throws(StochasticRunError) -> Result {
        let slots = columns.map { model.compiled.symbols[$0]! }
        let outcomes: [Result.Trial?] = ParallelTasks.run(count: trials, jobs: jobs, isCancelled: isCancelled,
                                                          makeState: { () throws(Never) in Worker(model: model, hybrid: hybrid) }) { worker, i in
            var row: [Double] = []
            do throws(StochasticRunError) {
                switch worker {
                case .exact(let trial):
                    try trial.run(method: method, seed: Self.trialSeed(seed, trial: i), times: times, columns: slots,
                                  settings: settings, overrides: overrides, into: &row)
                case .hybrid(let trial):
                    try trial.run(seed: Self.trialSeed(seed, trial: i), times: times, columns: columns, into: &row)
                }
                return Result.Trial(values: row, firings: worker.firings, error: nil)
            } catch {
                return Result.Trial(values: row, firings: worker.firings, error: error)
            }
        }
        var values: [[Double]] = []
        var firings = 0
        for outcome in outcomes {
            guard let outcome else { break }
            if let error = outcome.error { throw error }
            values.append(outcome.values)
            firings += outcome.firings
        }
        return Result(times: times, columns: columns, values: values, firings: firings)
    }
}

extension StochasticEnsemble {
    /// What one thread reuses from trial to trial.
    enum Worker {
        case exact(StochasticTrial)
        case hybrid(HybridTrial)

        init(model: StochasticModel, hybrid: HybridModel?) {
            self = hybrid.map { .hybrid(HybridTrial($0)) } ?? .exact(StochasticTrial(model))
        }

        var firings: Int {
            switch self {
            case .exact(let t): t.firings
            case .hybrid(let t): t.firings
            }
        }
    }
}

extension StochasticEnsemble.Result {
    struct Trial: Sendable {
        var values: [Double]
        var firings: Int
        var error: StochasticRunError?
    }
}
