public import ModelCompiler
public import CVODEIntegration
import KineticsCore
import Simulation
import SteadyState
import KinapseUtilities
import SourceDiagnostics
import Foundation

/// Values a scan gives one parameter: `count` points from `from` to `to`, equally spaced
/// on a linear or a logarithmic axis (dose–response curves are read on a log axis).
public struct ScanRange: Sendable, Equatable {
    public var from: Double
    public var to: Double
    public var count: Int
    public var logarithmic: Bool

    public init(from: Double, to: Double, count: Int, logarithmic: Bool) {
        self.from = from; self.to = to; self.count = count; self.logarithmic = logarithmic
    }

    /// Computed from the index (never accumulated), so the ends are exact; interior values
    /// are rounded to 15 significant digits, so 0.1:0.2:3 gives 0.15 (not 0.15000000000000002),
    /// the value a user would type, in the grid and in the CSV.
    public var values: [Double] {
        guard count > 1 else { return [from] }
        return (0..<count).map { i in
            if i == 0 { return from }
            if i == count - 1 { return to }
            let f = Double(i) / Double(count - 1)
            // Interpolating the exponents gives whole decades exactly (10⁻³, not 0.000999…).
            let v = logarithmic ? Foundation.pow(10, log10(from) + (log10(to) - log10(from)) * f) : from + (to - from) * f
            return Double(String(format: "%.15g", v)) ?? v
        }
    }
}

/// What a scan point measures: the steady state, or the state at the end of a run.
public enum ScanReadout: Sendable, Equatable {
    case steadyState
    case endOfRun(time: Double, options: IntegratorOptions)
}

/// The points of a one- or two-dimensional grid: every combination of the ranges' values,
/// the first range varying slowest (so a CSV of the grid reads as blocks of the first value).
public struct ScanGrid: Sendable, Equatable {
    public var names: [String]
    public var ranges: [ScanRange]

    public init(names: [String], ranges: [ScanRange]) {
        precondition(names.count == ranges.count, "one name per range")
        self.names = names; self.ranges = ranges
    }

    public var count: Int { ranges.reduce(1) { $0 * $1.count } }

    /// Row-major: point i of a 2-D grid is (values₀[i / n₁], values₁[i % n₁]).
    public var points: [[Double]] {
        var out: [[Double]] = [[]]
        for range in ranges {
            let values = range.values
            out = out.flatMap { prefix in values.map { prefix + [$0] } }
        }
        return out
    }
}

public struct ScanPoint: Sendable, Codable, PortableResult {
    /// The grid coordinates: one value per varied name.
    public var values: [Double]
    /// One value per requested column; nil when the point could not be computed.
    public var outputs: [Double]?
    /// Why not, when `outputs` is nil.
    public var failure: String?

    public init(values: [Double], outputs: [Double]?, failure: String? = nil) {
        self.values = values; self.outputs = outputs; self.failure = failure
    }
}

public struct ScanError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?
    public var description: String { hint.map { "\(message)\nhint: \($0)" } ?? message }
}

public enum ParameterScan {
    /// Sets `parameter` to each value (with `overrides` underneath) and reads `columns`
    /// at the readout: a one-dimensional `run(_:grid:…)`.
    public static func run(_ model: CompiledModel, parameter: String, values: [Double], columns: [String],
                           readout: ScanReadout, overrides: [(name: String, value: Double)] = [],
                           jobs: Int = 1) throws(ScanError) -> [ScanPoint] {
        try run(model, names: [parameter], points: values.map { [$0] }, columns: columns, readout: readout, overrides: overrides, jobs: jobs)
    }

    /// Sets `names` to each point's values (with `overrides` underneath) and reads `columns`
    /// at the readout, on up to `jobs` threads (or MPI ranks). Points are independent runs
    /// from the model's initial state, so the result does not depend on `jobs` or their order.
    /// A point where a species is negative (at rest, or going negative in the run) fails, as
    /// `kinapse simulate` stops.
    public static func run(_ model: CompiledModel, names: [String], points: [[Double]], columns: [String],
                           readout: ScanReadout, overrides: [(name: String, value: Double)] = [],
                           jobs: Int = 1) throws(ScanError) -> [ScanPoint] {
        for name in names where model.symbols[name] == nil {
            throw ScanError(message: "cannot scan '\(name)': no such symbol in model '\(model.name)'",
                            hint: Suggestions.didYouMean(name, among: model.symbols.keys))
        }
        for column in columns where model.symbols[column] == nil {
            throw ScanError(message: "unknown output column '\(column)'", hint: Suggestions.didYouMean(column, among: model.symbols.keys))
        }
        // The request is checked once here, so a bad name fails before any point runs.
        let first = zip(names, points.first ?? names.map { _ in 0 }).map { (name: $0.0, value: $0.1) }
        do { _ = try model.overrideSlots(overrides + first, refusingNegativeSpecies: true) } catch {
            throw ScanError(message: error.message, hint: error.hint)
        }
        let simulator = Simulator(model: model)
        let results = ParallelTasks.run(count: points.count, jobs: jobs, makeState: { () in () }) { _, i in
            point(simulator, names: names, values: points[i], columns: columns, readout: readout, overrides: overrides)
        }
        return results
    }

    static func point(_ simulator: Simulator, names: [String], values: [Double], columns: [String], readout: ScanReadout,
                      overrides: [(name: String, value: Double)]) -> ScanPoint {
        let set = overrides + zip(names, values).map { (name: $0.0, value: $0.1) }
        switch readout {
        case .steadyState:
            do {
                var options = SteadyStateOptions()
                options.rejectsNegativeSpecies = true
                let steady = try SteadyStateSolver.solve(simulator.model, overrides: set, options: options)
                return ScanPoint(values: values, outputs: try SteadyStateSolver.values(of: columns, in: simulator.model, at: steady, overrides: set))
            } catch {
                return ScanPoint(values: values, outputs: nil, failure: error.message)
            }
        case .endOfRun(let time, let options):
            do {
                var request = SimulationRequest(grid: TimeGrid(end: time, count: 2), columns: columns, overrides: set, options: options)
                request.stopOnNegativeConcentration = true
                let result = try simulator.run(request)
                if let failure = result.failure { return ScanPoint(values: values, outputs: nil, failure: failure.summary) }
                let last = result.trajectory.rowCount - 1
                return ScanPoint(values: values, outputs: columns.indices.map { result.trajectory.value(row: last, column: $0) })
            } catch {
                return ScanPoint(values: values, outputs: nil, failure: "\(error)")
            }
        }
    }
}
