import ArgumentParser
import Foundation
import ModelCompiler
import SteadyState
import Optimization
import SourceDiagnostics

struct SteadyStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steady-state",
        abstract: "Find a pathway's steady state (Newton's method, integration as the fallback).",
        discussion: """
        Solves dx/dt = 0 with every conservation law (total enzyme, total receptor, …)
        held at its initial value: Newton's method with the analytic Jacobian on the
        system reduced by the laws, found from the Jacobian's left null space. When
        Newton does not converge from the initial state, pseudo-transient continuation
        (growing implicit Euler steps) takes over; failing that, the model is integrated
        to t = 1, 10, …, 10⁶ and Newton restarts from each. Events are not applied.

        Stability: the eigenvalues of the Jacobian at the steady state (LAPACK dgeev),
        less one zero per conservation law; stable when every real part is negative,
        with the slowest relaxation time 1/|Re λ|.

        Prints one line per state variable (species as concentrations), the laws and the
        stability; --out writes CSV with the columns name,value (the stability then goes
        to standard error); --eigenvalues FILE writes them as CSV (real,imaginary).

        --sensitivities P,… (or all) differentiates the steady state: (∂G/∂x)·s = −∂G/∂p
        on the reduced system G (the laws' rows carry ∂x₀/∂p, so init(X) moves the
        totals), one factorisation for every parameter. --sensitivities-out writes CSV:
        name, parameter, value, derivative, normalised ((p/y)·∂y/∂p).

        Examples:
          kinapse steady-state Pathways/no_cgmp_pkg.ant
          kinapse steady-state Pathways/no_cgmp_pkg.ant --set Ca_rest=0.2 --out rest.csv
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML); a shipped pathway also by name.")
    var model: String

    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override an initial value or parameter, e.g. --set k1=0.5 (repeatable).", valueName: "ID=VALUE"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Parameter values from a file, e.g. the best_parameters.toml of 'kinapse fit' (--set still overrides them).", valueName: "FILE"))
    var params: String?

    @Option(help: "Write CSV (name,value) here (atomically) instead of the table to standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Differentiate the steady state with respect to these parameters (or init(X), or 'all').", valueName: "P,…"))
    var sensitivities: String?

    @Option(name: .customLong("sensitivities-out"), help: ArgumentHelp("Where --sensitivities writes its CSV (default: standard output after the table).", valueName: "FILE"))
    var sensitivitiesOut: String?

    @Option(help: ArgumentHelp("Write the eigenvalues of the free subspace as CSV (real,imaginary; 1/time unit).", valueName: "FILE"))
    var eigenvalues: String?

    @Flag(help: "Overwrite a read-only output file.")
    var force = false

    @Flag(help: "Print the time the search took (load and compile excluded) to standard error.")
    var stats = false

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
        _ = try Assignments.parse(assignments)
        if sensitivitiesOut != nil, sensitivities == nil { throw ValidationError("--sensitivities-out needs --sensitivities P,… (or all)") }
        try OutputCheck.refuseConflicts([("--out", out), ("--eigenvalues", eigenvalues), ("--sensitivities-out", sensitivitiesOut)], inputs: [model] + (params.map { [$0] } ?? []), force: force)
    }

    func run() throws {
        let path = LibraryLookup.resolve(model) ?? model
        let compiled = try ModelCompiler.compile(ModelLoading.loadPathway(path))
        let overrides = try Assignments.overrides(params: params, assignments: assignments, names: compiled.symbols.keys)
        try OutputCheck.check([("--out", out), ("--eigenvalues", eigenvalues), ("--sensitivities-out", sensitivitiesOut)], force: force)
        let clock = ContinuousClock()
        let loadStart = clock.now
        loadLAPACKBeforeStartingThreads()
        let start = clock.now
        var options = SteadyStateOptions()
        options.rejectsNegativeSpecies = true  // as `simulate` stops when a species goes negative
        let steady = try SteadyStateSolver.solve(compiled, overrides: overrides, options: options)
        let searched = clock.now
        let stability = try SteadyStateSolver.stability(of: steady, in: compiled, overrides: overrides)
        if let eigenvalues {
            var csv = "real,imaginary\n"
            for e in stability.eigenvalues { csv += "\(e.real),\(e.imaginary)\n" }
            try OutputCheck.write(csv, to: eigenvalues, option: "--eigenvalues", force: force)
        }
        var sensitivityCSV: String?
        if let sensitivities {
            let names = sensitivities == "all" ? compiled.differentiableParameters
                : sensitivities.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let d = try SteadyStateSolver.sensitivities(of: steady, in: compiled, parameters: names, overrides: overrides)
            let used = Dictionary(overrides.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            let quantities = names.map(CompiledSensitivities.quantity(named:))
            let values = compiled.initialValues(of: quantities)
            var csv = "name,parameter,value,derivative,normalised\n"
            for (c, column) in d.columns.enumerated() {
                for (k, p) in names.enumerated() {
                    let pv = used[quantities[k]] ?? values[k], y = d.values[c], dydp = d.derivatives[c][k]
                    csv += "\(column),\(p),\(y),\(dydp),\(y == 0 ? Double.nan : pv / y * dydp)\n"
                }
            }
            if let sensitivitiesOut { try OutputCheck.write(csv, to: sensitivitiesOut, option: "--sensitivities-out", force: force) } else { sensitivityCSV = csv }
        }
        if stats {
            func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15 }
            Console.error(String(format: "steady state: %.3f ms, %d Newton iterations, %d conservation laws, %d states (loading LAPACK, once per process: %.1f ms)",
                                 ms(searched - start), steady.newtonIterations, steady.conservationLaws.count, steady.names.count,
                                 ms(start - loadStart)))
        }

        if let out {
            var csv = "name,value\n"
            for (name, value) in zip(steady.names, steady.values) { csv += "\(name),\(value)\n" }
            try OutputCheck.write(csv, to: out, option: "--out", force: force)
            Console.error(Self.describe(stability))
            if let sensitivityCSV { StandardOutput.write(sensitivityCSV) }
            return
        }
        let width = steady.names.map(\.count).max() ?? 0
        var text = ""
        for (name, value) in zip(steady.names, steady.values) {
            text += name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(format: "%.10g", value) + "\n"
        }
        let how = switch steady.method {
        case .newton: "Newton's method from the initial state"
        case .pseudoTransient: "pseudo-transient continuation, then Newton's method"
        case .presimulation(let time): "integration to t = \(String(format: "%g", time)), then Newton's method"
        }
        text += "\n# found by \(how) (\(steady.newtonIterations) iterations); largest |dx/dt|/x = \(String(format: "%.2g", steady.residual))\n"
        for law in steady.conservationLaws {
            text += "# conserved: " + Self.describe(law, names: steady.names) + "\n"
        }
        text += Self.describe(stability) + "\n"
        if let sensitivityCSV { text += "\n" + sensitivityCSV }
        StandardOutput.write(text)
    }

    /// One line: the verdict, the leading eigenvalue and what it means for the return to rest.
    static func describe(_ s: Stability) -> String {
        guard let lead = s.eigenvalues.first else { return "# stability: no free direction (every state is fixed by a conservation law)" }
        let λ = String(format: "%.4g", lead.real) + (lead.imaginary == 0 ? "" : String(format: " ± %.4gi", abs(lead.imaginary)))
        let count = "\(s.eigenvalues.count) eigenvalue\(s.eigenvalues.count == 1 ? "" : "s")"
        switch s.verdict {
        case .stable:
            return "# stability: stable (\(count) with negative real part; leading \(λ), slowest relaxation "
                + String(format: "%.4g", s.slowestTimeConstant!) + " time units\(s.oscillatory ? ", damped oscillation" : ""))"
        case .unstable:
            let growing = s.eigenvalues.filter { $0.real > 0 }.count
            return "# stability: UNSTABLE (\(growing) of \(count) with positive real part; leading \(λ)): a perturbation grows away from this state"
        case .marginal:
            return "# stability: marginal (leading eigenvalue \(λ) has zero real part): linearisation cannot decide"
        }
    }

    /// A law as a readable sum, e.g. `A + B` or `E + ES + 0.5*X`.
    static func describe(_ law: [Double], names: [String]) -> String {
        var terms: [String] = []
        for (c, name) in zip(law, names) where c != 0 {
            let magnitude = abs(c)
            let coefficient = abs(magnitude - 1) < 1e-9 ? "" : String(format: "%.4g*", magnitude)
            terms.append((c < 0 ? "- " : (terms.isEmpty ? "" : "+ ")) + coefficient + name)
        }
        return terms.joined(separator: " ")
    }
}
