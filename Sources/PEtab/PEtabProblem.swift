public import SourceDiagnostics
public import PathwayModel
import Foundation

/// A PEtab v1 parameter estimation problem (Schmiester et al., PLoS Comput Biol
/// 17:e1008646, 2021): one SBML model, and the condition, observable, measurement and
/// parameter tables, as read by `PEtabReader` (see docs/petab.md). Names are resolved to
/// indices here; only `PEtabModel` knows the compiled model.
public struct PEtabProblem: Sendable {
    /// The YAML file's name without extension (or the model's name).
    public var name: String
    public var yamlPath: String
    public var modelPath: String
    public var pathway: Pathway
    public var parameters: [Parameter]
    public var observables: [Observable]
    public var conditions: [Condition]
    public var measurements: [Measurement]

    /// The scale the optimiser works on (PEtab's `parameterScale`).
    public enum Scale: String, Sendable, CaseIterable {
        case lin, log, log10

        public func scaled(_ x: Double) -> Double {
            switch self {
            case .lin: x
            case .log: Foundation.log(x)
            case .log10: Foundation.log10(x)
            }
        }

        public func unscaled(_ theta: Double) -> Double {
            switch self {
            case .lin: theta
            case .log: exp(theta)
            case .log10: pow(10, theta)
            }
        }

        /// d(value)/d(scaled coordinate) at value `x`.
        public func chainFactor(_ x: Double) -> Double {
            switch self {
            case .lin: 1
            case .log: x
            case .log10: x * M_LN10
            }
        }
    }

    /// A row of the parameter table; bounds and nominal value in linear units.
    public struct Parameter: Sendable {
        public var id: String
        public var scale: Scale
        public var lower: Double
        public var upper: Double
        public var nominal: Double
        public var estimated: Bool
        public var prior: Prior?
        public var initializationPrior: Prior?
        public var range: SourceRange

        public var scaledBounds: (lower: Double, upper: Double) { (scale.scaled(lower), scale.scaled(upper)) }
    }

    /// A prior (`objectivePriorType`/`objectivePriorParameters`): a density on the parameter
    /// scale (`parameterScale…`) or on the linear scale.
    public struct Prior: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case uniform, normal, laplace, logNormal, logLaplace
            case parameterScaleUniform, parameterScaleNormal, parameterScaleLaplace
        }
        public var kind: Kind
        public var first: Double
        public var second: Double
    }

    /// An observable: `y = formula`, noise `sigma = noiseFormula`, compared with the data
    /// after `transformation`, with normal or Laplace noise.
    public struct Observable: Sendable {
        public enum Transformation: String, Sendable, CaseIterable { case lin, log, log10 }
        public enum Distribution: String, Sendable, CaseIterable { case normal, laplace }
        public var id: String
        public var formula: PathwayModel.Expression
        public var noise: PathwayModel.Expression
        public var transformation: Transformation
        public var distribution: Distribution
        /// How many `observableParameter<k>_<id>` and `noiseParameter<k>_<id>` placeholders
        /// the formulas use (the highest k of each).
        public var observablePlaceholders: Int
        public var noisePlaceholders: Int
        public var range: SourceRange
    }

    /// A number, or a parameter of the parameter table by index.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case parameter(Int)
    }

    /// A row of the condition table: model entities (parameters, species' initial values,
    /// compartment sizes) set to a number or a parameter. `nil` is `NaN` for a species: keep
    /// the model's (or the pre-equilibrated) value.
    public struct Condition: Sendable {
        public var id: String
        public var settings: [(target: String, value: Value?)]
        public var range: SourceRange
    }

    /// A row of the measurement table.
    public struct Measurement: Sendable {
        public var observable: Int
        public var condition: Int
        public var preequilibration: Int?
        /// `.infinity` for a steady-state measurement.
        public var time: Double
        public var value: Double
        public var observableParameters: [Value]
        public var noiseParameters: [Value]
        public var range: SourceRange
    }

    public func parameterIndex(_ id: String) -> Int? { parameters.firstIndex { $0.id == id } }

    /// Indices (into `parameters`) of the estimated parameters: the optimiser's coordinates.
    public var estimated: [Int] { parameters.indices.filter { parameters[$0].estimated } }

    /// Every parameter's linear value: nominal values, with the estimated ones replaced by
    /// the scaled coordinates `theta` (in `estimated` order).
    public func values(theta: [Double]) -> [Double] {
        var x = parameters.map(\.nominal)
        for (k, i) in estimated.enumerated() { x[i] = parameters[i].scale.unscaled(theta[k]) }
        return x
    }

    /// The nominal point in scaled coordinates.
    public var nominalTheta: [Double] { estimated.map { parameters[$0].scale.scaled(parameters[$0].nominal) } }

    /// The parameter table with `theta`'s values as nominal values (fixed ones unchanged),
    /// which `PEtabReader.point(parameterTable:for:)` reads back.
    public func parameterTable(_ theta: [Double]) -> String {
        let x = values(theta: theta)
        let withPriors = parameters.contains { $0.prior != nil }
        var lines = [(["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"]
                      + (withPriors ? ["objectivePriorType", "objectivePriorParameters"] : [])).joined(separator: "\t")]
        for (i, p) in parameters.enumerated() {
            var cells = [p.id, p.scale.rawValue, p.estimated ? "\(p.lower)" : "", p.estimated ? "\(p.upper)" : "", "\(x[i])", p.estimated ? "1" : "0"]
            if withPriors { cells += p.prior.map { [$0.kind.rawValue, "\($0.first);\($0.second)"] } ?? ["", ""] }
            lines.append(cells.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
