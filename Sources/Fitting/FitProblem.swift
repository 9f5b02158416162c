public import SourceDiagnostics
public import PathwayModel
public import InductionProtocols
public import SynapseModel
public import Optimization
public import CVODEIntegration

/// A parameter estimation problem, as read from a fit problem file (docs/file-formats.md):
/// a model, experiments with their data, observables linking the model to the data, the
/// noise model, and the parameters to estimate.
public struct FitProblem: Sendable {
    public var name: String
    public var description: String
    public var model: ModelSource
    public var experiments: [Experiment]
    public var observables: [Observable]
    public var parameters: [FitParameter]
    public var options: FitOptions
    /// The model's species (their estimated initial values are `init(X)` to the sensitivities).
    public var species: Set<String> = []
    /// The problem file, for messages.
    public var source: SourceFile?

    /// The model the experiments are run on.
    public enum ModelSource: Sendable {
        /// A pathway (`.ant`), simulated from t = 0 to the last data time.
        case pathway(path: String, pathway: Pathway)
        /// A synapse (`.toml`) and its pathway, run through a protocol per experiment.
        case synapse(SynapseDefinition, model: Pathway)

        public var path: String {
            switch self {
            case .pathway(let path, _): path
            case .synapse(let s, _): s.source?.path ?? s.modelPath
            }
        }
    }

    public func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
}

/// One experiment: how the model is run (protocol, blockers, fixed values) and what was
/// measured.
public struct Experiment: Sendable {
    public var name: String
    /// Synapse experiments only.
    public var protocolDefinition: InductionProtocol?
    public var blockers: [String]
    /// Values fixed in this experiment (applied after the estimated parameters, so they win).
    public var settings: [(name: String, value: Double)]
    public var data: DataTable
    /// How the data file's times map to model seconds.
    public var time: TimeConvention
}

/// What a data column means in model terms: `scale · f(model) + offset`, with Gaussian
/// noise of standard deviation `noise`.
public struct Observable: Sendable {
    public var name: String
    /// The formula (a built-in readout's name is a formula too).
    public var expression: Expression
    public var scale: Term
    public var offset: Term
    public var noise: Noise
    public var range: SourceRange?

    /// A number, or an estimated parameter by index into `FitProblem.parameters`.
    public enum Term: Sendable, Equatable {
        case constant(Double)
        case parameter(Int)
    }

    public enum Noise: Sendable, Equatable {
        /// Each row's `NAME_sd` cell.
        case column
        case term(Term)
    }
}

/// A quantity to estimate: a model parameter or initial value, or an observable's scale,
/// offset or noise level.
public struct FitParameter: Sendable {
    public enum Role: Sendable, Equatable {
        /// Applied to the model as a value override.
        case model
        /// Used only by observables (scale, offset, noise).
        case observation
    }
    public var name: String
    public var lower: Double
    public var upper: Double
    public var scale: ParameterScale
    /// The first start (the others come from the Latin hypercube).
    public var start: Double?
    public var role: Role
    public var range: SourceRange?

    /// The optimiser's coordinate for a value: log10 of it on a log scale.
    public func scaled(_ x: Double) -> Double { scale.scaled(x) }
    public func unscaled(_ s: Double) -> Double { scale.unscaled(s) }
    public var scaledBounds: (lower: Double, upper: Double) { (scaled(lower), scaled(upper)) }
    /// d(value)/d(scaled coordinate) at value `x`.
    public func chainFactor(_ x: Double) -> Double { scale.chainFactor(x) }
}

public struct FitOptions: Sendable {
    public var starts = 20
    public var seed: UInt64 = 1
    public var maximumIterations = 100
    /// Tighter than a plain run's: finite-difference gradients divide the solver's error by the step.
    public var relativeTolerance = 1e-8
    public var absoluteTolerance = 1e-12
    /// CVODE's steps between outputs and its linear algebra (`kinapse fit --max-steps`, `--linear-solver`).
    public var maximumSteps = IntegratorOptions().maximumSteps
    public var linearSolver = LinearSolverChoice.automatic
    public var profiles = true
    /// Run the model as native code (`kinapse fit --native-code`); same results, faster.
    public var nativeCode = false
    public init() {}

    /// The options every simulation of the fit runs with.
    public var integratorOptions: IntegratorOptions {
        var options = IntegratorOptions()
        options.relativeTolerance = relativeTolerance
        options.absoluteTolerance = absoluteTolerance
        options.maximumSteps = maximumSteps
        options.linearSolver = linearSolver
        options.maximumStepSize = 0
        return options
    }
}

#if canImport(Glibc)
import Glibc
#endif
