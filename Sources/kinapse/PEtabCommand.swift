import ArgumentParser
import Foundation
import SourceDiagnostics
import CVODEIntegration
import PEtab

struct PEtabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petab",
        abstract: "PEtab v1 estimation problems: check, evaluate the likelihood, fit.",
        discussion: """
        Reads a PEtab v1 problem (docs/petab.md): the YAML file naming one SBML
        model and its condition, observable, measurement and parameter tables.

        Examples:
          kinapse petab check ../shared/petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml
          kinapse petab llh problem.yaml --simulations simulations.tsv
          kinapse petab fit problem.yaml --starts 20 --max-time 180 --out-dir fit
        """,
        subcommands: [PEtabCheck.self, PEtabLikelihood.self])
}

/// Solver settings of the PEtab subcommands.
struct PEtabSolverOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Relative tolerance (default \(String(format: "%g", PEtabSettings().relativeTolerance))).")
    var rtol: Double?

    @Option(parsing: .unconditional, help: "Absolute tolerance (default \(String(format: "%g", PEtabSettings().absoluteTolerance))).")
    var atol: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Solver steps allowed between two output times (default \(PEtabSettings().maximumSteps)).")
    var maxSteps: Int?

    @Option(name: .customLong("linear-solver"), help: ArgumentHelp("Linear algebra for the Newton iteration (default auto).", valueName: "auto|dense|klu"))
    var linearSolver: LinearSolverChoice?

    func validate() throws {
        if let rtol { guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be between 0 and 1 (got \(rtol))") } }
        if let atol { guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive (got \(atol))") } }
        if let maxSteps { guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive (got \(maxSteps))") } }
    }

    func settings(gradient: Bool) -> PEtabSettings {
        var s = PEtabSettings()
        if let rtol { s.relativeTolerance = rtol }
        if let atol { s.absoluteTolerance = atol }
        if let maxSteps { s.maximumSteps = maxSteps }
        if let linearSolver { s.linearSolver = linearSolver }
        s.gradient = gradient
        return s
    }
}

struct PEtabCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read a PEtab problem, compile its model and summarise it.",
        discussion: """
        Every problem in the files is reported at file:line:column with a hint;
        a problem that passes is summarised (model, tables, simulations) and the
        model is compiled with its forward sensitivities.

        Example:
          kinapse petab check problem.yaml
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    func run() throws {
        let start = ContinuousClock.now
        let p = try PEtabReader.read(path: problem)
        let model = try PEtabModel(p)
        let elapsed = ContinuousClock.now - start
        let preequilibrated = Set(p.measurements.compactMap(\.preequilibration)).count
        let steady = p.measurements.filter { !$0.time.isFinite }.count
        let priors = p.parameters.filter { $0.prior != nil }.count
        var lines = [
            "problem \(p.name): model \(p.pathway.name) (\(p.pathway.species.count) species, \(p.pathway.reactions.count) reactions)",
            "parameters: \(p.parameters.count) (\(p.estimated.count) estimated, \(priors) with priors)",
            "observables: \(p.observables.count); conditions: \(p.conditions.count); measurements: \(p.measurements.count)",
            "simulations per evaluation: \(model.simulationCount) (\(preequilibrated) pre-equilibration conditions, \(steady) steady-state measurements)",
            "gradient: " + (model.gradientUnavailable.map { "unavailable (\($0))" } ?? "forward sensitivities"),
            String(format: "loaded and compiled in %.3f s", elapsed.seconds),
        ]
        lines.append("")
        StandardOutput.write(lines.joined(separator: "\n"))
    }
}

struct PEtabLikelihood: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llh",
        abstract: "Log-likelihood, chi-square and priors at the nominal parameters.",
        discussion: """
        Simulates every condition at the parameter table's nominal values and
        prints PEtab's log-likelihood (llh), chi2, the priors' log density and the
        objective -(llh + log prior). --simulations writes the simulated value of
        every measurement as a PEtab simulation table.

        Example:
          kinapse petab llh problem.yaml --simulations simulations.tsv
        """)

    @Argument(help: "PEtab problem (.yaml).")
    var problem: String

    @Option(help: ArgumentHelp("Write the simulation table (TSV).", valueName: "FILE.tsv"))
    var simulations: String?

    @Flag(help: "Also compute the gradient by forward sensitivities and print its norm.")
    var gradient = false

    @OptionGroup(title: "Solver")
    var solver: PEtabSolverOptions

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        try OutputCheck.refuseConflicts([("--simulations", simulations)], inputs: [problem], force: force)
    }

    func run() throws {
        let p = try PEtabReader.read(path: problem)
        try OutputCheck.check([("--simulations", simulations)], force: force)
        let model = try PEtabModel(p, settings: solver.settings(gradient: gradient))
        let start = ContinuousClock.now
        let e: PEtabEvaluation
        do { e = try model.evaluate(theta: p.nominalTheta, gradient: gradient) } catch {
            throw RunFailure([.error("the problem cannot be simulated at its nominal parameters: \(error.description)")])
        }
        let seconds = (ContinuousClock.now - start).seconds
        var out = String(format: "llh %.6f\nchi2 %.6f\nlog prior %.6f\nobjective %.6f\n", e.logLikelihood, e.chiSquare, e.logPrior, e.objective)
        if let g = e.gradient {
            out += model.gradientUnavailable.map { "gradient: unavailable (\($0))\n" }
                ?? String(format: "gradient norm %.6g\n", g.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        out += String(format: "evaluated in %.4f s\n", seconds)
        if let simulations { try OutputCheck.write(PEtabTables.simulationTable(p, e), to: simulations, option: "--simulations", force: force) }
        StandardOutput.write(out)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
