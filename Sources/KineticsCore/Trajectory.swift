/// Values of named quantities on a time grid: the result of a simulation.
/// Stored row-major (one row per time point) because that is how CSV is written.
public struct Trajectory: Sendable {
    public let columns: [String]
    public private(set) var times: [Double] = []
    public private(set) var values: [Double] = []

    public init(columns: [String]) { self.columns = columns }

    public var rowCount: Int { times.count }

    /// Makes room for `rows` rows at once, for a run that knows its output grid: a
    /// trajectory grown row by row is copied to a larger buffer time and again.
    public mutating func reserveCapacity(rows: Int) {
        times.reserveCapacity(rows)
        values.reserveCapacity(rows * columns.count)
    }

    public mutating func append(time: Double, row: some Collection<Double>) {
        precondition(row.count == columns.count, "row width \(row.count) ≠ \(columns.count) columns")
        times.append(time)
        values.append(contentsOf: row)
    }

    public func value(row: Int, column: Int) -> Double { values[row * columns.count + column] }

    /// The time course of one column, or `nil` if there is no such column.
    public func series(_ name: String) -> [Double]? {
        guard let c = columns.firstIndex(of: name) else { return nil }
        return (0..<rowCount).map { value(row: $0, column: c) }
    }
}

/// Output times: `count` equally spaced points from `start` to `end` inclusive.
public struct TimeGrid: Sendable, Hashable {
    public let start: Double
    public let end: Double
    public let count: Int
    /// Output times given one by one (data times of a fit), instead of equal spacing.
    public let listedTimes: [Double]?

    public init(start: Double = 0, end: Double, count: Int) {
        precondition(count >= 1 && end >= start)
        self.start = start; self.end = end; self.count = count; self.listedTimes = nil
    }

    /// Exactly these times, which must be ascending.
    public init(times: [Double]) {
        precondition(!times.isEmpty && zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        self.start = times[0]; self.end = times[times.count - 1]; self.count = times.count; self.listedTimes = times
    }

    /// A grid with spacing `step` (the last point is `end` even if `step` does not divide it).
    public init(start: Double = 0, end: Double, step: Double) {
        precondition(step > 0)
        let n = Int(((end - start) / step * (1 + 1e-12)).rounded(.down))
        self.init(start: start, end: end, count: max(1, n) + 1)
    }

    public subscript(i: Int) -> Double {
        if let listedTimes { return listedTimes[i] }
        // Computed from the index, never accumulated, so the last point is exactly `end`.
        if count == 1 { return end }
        if i == count - 1 { return end }
        return start + (end - start) * Double(i) / Double(count - 1)
    }

    public var points: [Double] { (0..<count).map { self[$0] } }
}
