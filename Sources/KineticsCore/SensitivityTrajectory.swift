/// Sensitivities of a simulation's outputs: ∂(column c at row r)/∂(parameter k) for every
/// output row, column and parameter. Rows and columns are those of the run's `Trajectory`.
///
/// Stored row-major like `Trajectory`, with the parameter innermost:
/// `values[(row · columns.count + column) · parameters.count + parameter]`.
public struct SensitivityTrajectory: Sendable {
    public let parameters: [String]
    public let columns: [String]
    public private(set) var times: [Double] = []
    public private(set) var values: [Double] = []

    public init(parameters: [String], columns: [String]) {
        self.parameters = parameters
        self.columns = columns
    }

    public var rowCount: Int { times.count }

    /// Appends one row: `row[column · parameters.count + parameter]`.
    public mutating func append(time: Double, row: some Collection<Double>) {
        precondition(row.count == columns.count * parameters.count, "row width \(row.count) ≠ \(columns.count)×\(parameters.count)")
        times.append(time)
        values.append(contentsOf: row)
    }

    public func value(row: Int, column: Int, parameter: Int) -> Double {
        values[(row * columns.count + column) * parameters.count + parameter]
    }

    /// ∂(column)/∂(parameter) over time, or `nil` if either name is unknown.
    public func series(column: String, parameter: String) -> [Double]? {
        guard let c = columns.firstIndex(of: column), let k = parameters.firstIndex(of: parameter) else { return nil }
        return (0..<rowCount).map { value(row: $0, column: c, parameter: k) }
    }

    /// The gradient of one column at one row: ∂/∂p_k for every parameter k.
    public func gradient(row: Int, column: Int) -> ArraySlice<Double> {
        let start = (row * columns.count + column) * parameters.count
        return values[start..<(start + parameters.count)]
    }
}
