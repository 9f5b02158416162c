import ArgumentParser
import Foundation
import CVODEIntegration
import Fitting

/// The solver settings of every command that integrates (`simulate`, `stdp`, `fit`),
/// declared once. Each value is optional: one left out keeps the run's own setting
/// (`IntegratorOptions()`, a fit problem's `[options]`, an SBML case's tolerances), so a
/// default is written in one place, the library, and the help quotes it from there.
struct SolverOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Relative tolerance (default \(Self.defaults.rtol); a synapse's [solver] rtol; for fit, the problem's [options] rtol, else \(Self.defaults.fitRtol)).")
    var rtol: Double?

    @Option(parsing: .unconditional, help: "Absolute tolerance (default \(Self.defaults.atol); a synapse's [solver] atol; for fit, the problem's [options] atol, else \(Self.defaults.fitAtol)).")
    var atol: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Solver steps allowed between two output times (default \(IntegratorOptions().maximumSteps)).")
    var maxSteps: Int?

    @Option(name: .customLong("linear-solver"), help: ArgumentHelp("Linear algebra for the Newton iteration: klu is sparse LU; auto, the default, takes dense below \(LinearSolverChoice.sparseThreshold) states or when the LU factors fill in, klu otherwise.", valueName: "auto|dense|klu"))
    var linearSolver: LinearSolverChoice?

    @Flag(name: .customLong("native-code"), help: "Compile the model's equations to machine code with the system C compiler (clang, cc or gcc; KINAPSE_CC overrides) instead of interpreting them: same results, faster runs. Compiled models are cached (KINAPSE_CACHE, default ~/.cache/kinapse/native).")
    var nativeCode = false

    /// The library's defaults as the help prints them.
    private static let defaults = (rtol: format(IntegratorOptions().relativeTolerance), atol: format(IntegratorOptions().absoluteTolerance),
                                   fitRtol: format(FitOptions().relativeTolerance), fitAtol: format(FitOptions().absoluteTolerance))

    private static func format(_ x: Double) -> String { String(format: "%g", x) }

    func validate() throws {
        if let rtol { guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be between 0 and 1 (got \(rtol))") } }
        if let atol { guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive (got \(atol))") } }
        if let maxSteps { guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive (got \(maxSteps))") } }
    }

    /// `base` with every value given on the command line in place of its own.
    func applied(to base: IntegratorOptions) -> IntegratorOptions {
        var options = base
        if let rtol { options.relativeTolerance = rtol }
        if let atol { options.absoluteTolerance = atol }
        if let maxSteps { options.maximumSteps = maxSteps }
        if let linearSolver { options.linearSolver = linearSolver }
        return options
    }

    /// A fit problem's options with the command line's solver settings in place of its own.
    func applied(to base: FitOptions) -> FitOptions {
        var options = base
        let integrator = applied(to: base.integratorOptions)
        options.relativeTolerance = integrator.relativeTolerance
        options.absoluteTolerance = integrator.absoluteTolerance
        options.maximumSteps = integrator.maximumSteps
        options.linearSolver = integrator.linearSolver
        if nativeCode { options.nativeCode = true }
        return options
    }
}

/// The command line owns this conformance: the solver library does not depend on
/// ArgumentParser. `CaseIterable` makes the help list the values.
extension LinearSolverChoice: ExpressibleByArgument {}
