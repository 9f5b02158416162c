import ArgumentParser
import Foundation
import FluxBalance
import SBMLImport
import SourceDiagnostics

/// `kinapse fba MODEL.xml`: flux-balance analysis of an SBML fbc model.
struct FluxBalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fba",
        abstract: "Optimal steady-state fluxes of an SBML fbc model (flux-balance analysis, GLPK).",
        discussion: """
        Reads the model's fbc flux bounds (fbc version 1 <fluxBound> elements or
        version 2 bound parameters, with rules and initial assignments applied at
        the start) and its active objective, then solves the linear program with
        GLPK's simplex method: S·v = 0 for every species that is neither a boundary
        nor constant, every flux within its bounds, the objective maximised or
        minimised. Kinetic laws are not used ('kinapse simulate' integrates them).
        Where several flux distributions reach the optimum, one of them is shown.

        Prints the objective and one line per reaction; --out writes CSV with the
        columns name,value (objectives first). An infeasible or unbounded problem
        is reported with exit status 1, after its values (NaN) are written.

        Examples:
          kinapse fba model.xml
          kinapse fba model.xml --out fluxes.csv
        """
    )

    @Argument(help: "SBML file with fbc constraints and an active objective.")
    var model: String

    @Option(help: "Write CSV (name,value) here (atomically) instead of the table to standard output.")
    var out: String?

    @Flag(help: "Overwrite a read-only output file.")
    var force = false

    func validate() throws {
        try OutputCheck.refuseConflicts([("--out", out)], inputs: [model], force: force)
    }

    func run() throws {
        let path = LibraryLookup.resolve(model) ?? model
        if let kind = FileKind.of(path: path), kind != .sbml {
            throw DiagnosticsError(.error("'\(path)' is \(kind.rawValue), not an SBML model with fbc constraints", hint: kind.usage))
        }
        let result = try FluxBalanceAnalysis.solve(SBMLLoader.loadModel(path: path))
        try OutputCheck.check([("--out", out)], force: force)
        let objectives = result.objectiveValues.keys.sorted { ($0 == result.objective.id ? 0 : 1, $0) < ($1 == result.objective.id ? 0 : 1, $1) }
        let rows = objectives.map { ($0, result.objectiveValues[$0]!) } + zip(result.reactions, result.fluxes).map { ($0, $1) }
        if let out {
            let csv = "name,value\n" + rows.map { "\($0.0),\($0.1)\n" }.joined()
            try OutputCheck.write(csv, to: out, option: "--out", force: force)
        } else {
            let width = rows.map(\.0.count).max() ?? 0
            var text = "# \(result.objective.maximize ? "maximise" : "minimise") '\(result.objective.id)': \(result.status.rawValue)\n"
            for (name, value) in rows {
                text += name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(format: "%.10g", value) + "\n"
            }
            StandardOutput.write(text)
        }
        switch result.status {
        case .optimal: break
        case .infeasible:
            throw RunFailure([.error("no flux distribution satisfies every bound at steady state (the linear program is infeasible)",
                                     hint: "check for a lower bound above an upper bound, or a species that can be made but not used")])
        case .unbounded:
            throw RunFailure([.error("the objective '\(result.objective.id)' grows without limit (the linear program is unbounded)",
                                     hint: "give the reactions in the objective, or the ones feeding them, finite bounds")])
        }
    }
}
