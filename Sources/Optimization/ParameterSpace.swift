#if canImport(Glibc)
import Glibc
#endif

/// How a parameter is represented to the optimiser.
public enum ParameterScale: String, Sendable, Hashable, CaseIterable {
    /// θ = value.
    case linear
    /// θ = log10(value); the value must be positive. The usual choice for rate constants,
    /// which span decades (Hass et al. 2019).
    case log10

    /// Model value → scaled coordinate.
    public func scaled(_ value: Double) -> Double {
        switch self {
        case .linear: return value
        case .log10: return Glibc.log10(value)
        }
    }

    /// Scaled coordinate → model value.
    public func unscaled(_ theta: Double) -> Double {
        switch self {
        case .linear: return theta
        case .log10: return pow(10, theta)
        }
    }

    /// d(value)/d(scaled coordinate) at model value `value`: ln 10 · value on a log scale.
    public func chainFactor(_ value: Double) -> Double {
        switch self {
        case .linear: return 1
        case .log10: return value * 2.302585092994046
        }
    }
}

/// One estimated parameter: its name, bounds in model units and its optimisation scale.
public struct EstimatedParameter: Sendable, Hashable {
    public var name: String
    /// Lower bound in model units.
    public var lower: Double
    /// Upper bound in model units.
    public var upper: Double
    public var scale: ParameterScale

    public init(name: String, lower: Double, upper: Double, scale: ParameterScale) {
        self.name = name
        self.lower = lower
        self.upper = upper
        self.scale = scale
    }

    /// Model value → scaled coordinate.
    public func scaled(_ value: Double) -> Double { scale.scaled(value) }

    /// Scaled coordinate → model value.
    public func unscaled(_ theta: Double) -> Double { scale.unscaled(theta) }
}

/// Why a parameter space is unusable.
public struct ParameterSpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var parameter: String
    public var message: String
    public var description: String { "parameter '\(parameter)': \(message)" }
}

/// The estimated parameters. The optimiser works in *scaled* coordinates θ (one per
/// parameter, `log10` or linear); bounds are given in model units and converted here.
public struct ParameterSpace: Sendable, Hashable {
    public let parameters: [EstimatedParameter]

    /// Checks that every bound is finite, lower < upper, and log-scaled bounds are positive
    /// (the multi-start box must be finite to be sampled).
    public init(_ parameters: [EstimatedParameter]) throws(ParameterSpaceError) {
        var seen = Set<String>()
        for p in parameters {
            guard seen.insert(p.name).inserted else {
                throw ParameterSpaceError(parameter: p.name, message: "listed twice")
            }
            guard p.lower.isFinite, p.upper.isFinite else {
                throw ParameterSpaceError(parameter: p.name, message: "bounds must be finite (got [\(p.lower), \(p.upper)])")
            }
            guard p.lower < p.upper else {
                throw ParameterSpaceError(parameter: p.name, message: "lower bound \(p.lower) is not below upper bound \(p.upper)")
            }
            if p.scale == .log10 && p.lower <= 0 {
                throw ParameterSpaceError(parameter: p.name, message: "a log10-scaled parameter needs a positive lower bound (got \(p.lower))")
            }
        }
        self.parameters = parameters
    }

    public var count: Int { parameters.count }
    public var names: [String] { parameters.map(\.name) }

    /// Lower bounds in scaled coordinates.
    public var scaledLower: [Double] { parameters.map { $0.scaled($0.lower) } }
    /// Upper bounds in scaled coordinates.
    public var scaledUpper: [Double] { parameters.map { $0.scaled($0.upper) } }

    /// Model values → scaled coordinates.
    public func scaled(_ values: [Double]) -> [Double] {
        precondition(values.count == count)
        return zip(parameters, values).map { $0.scaled($1) }
    }

    /// Scaled coordinates → model values.
    public func unscaled(_ theta: [Double]) -> [Double] {
        precondition(theta.count == count)
        return zip(parameters, theta).map { $0.unscaled($1) }
    }

    /// θ moved into the scaled box.
    public func clamped(_ theta: [Double]) -> [Double] {
        let lo = scaledLower, hi = scaledUpper
        return theta.indices.map { min(max(theta[$0], lo[$0]), hi[$0]) }
    }

    /// Whether the model values lie inside the bounds (inclusive).
    public func contains(values: [Double]) -> Bool {
        zip(parameters, values).allSatisfy { $1 >= $0.lower && $1 <= $0.upper }
    }
}
