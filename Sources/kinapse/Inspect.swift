import ArgumentParser
import Foundation
import ModelCompiler
import PathwayModel
import SourceDiagnostics
import ConfigFiles
import InductionProtocols
import SynapseModel
import SynapseSimulation
import Fitting
import Plotting
import SBMLImport
import PEtab

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate any Kinapse input file and summarise it.",
        discussion: """
        The file's kind is read from its content, whatever its extension: a pathway
        (Antimony or SBML) is compiled and summarised; a synapse is read with its
        pathway; a protocol, fit problem (with its model and data), parameter file
        or CSV table is read and checked.

        Examples:
          kinapse check Pathways/no_cgmp_pkg.ant
          kinapse check Pathways/synapses/golgi_granule.toml
          kinapse check Pathways/protocols/tbs.toml
          kinapse check Pathways/no_cgmp_pkg.ant --units

        --units also checks a pathway's units (docs/units.md): every rate law, rule,
        initial and event assignment against the units it must have; inconsistencies
        are warnings at their line:column, and quantities without units are listed
        (the Antimony reader passes over unit declarations, so only an SBML file
        that declares units is checked: none of the shipped pathways is).
        """
    )

    @Argument(help: "Any input file: pathway (.ant or SBML), synapse, protocol, fit problem, parameter file or CSV; a shipped pathway or synapse also by name.")
    var model: String

    @Flag(help: "Also check the pathway's units (dimensional analysis of every rate law, rule and assignment); exit status 2 when they are inconsistent.")
    var units = false

    var path: String { LibraryLookup.resolve(model) ?? model }

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
    }

    func run() throws {
        switch FileKind.of(path: path) {
        case .pathway, .sbml, .none: try checkPathway(path)
        case .synapse:
            let synapse = try SynapseReader.read(path: path)
            // Load and validate before saying OK: a missing pathway or a symbol it lacks fails here.
            try SynapseRunner.validate(synapse, model: try synapse.loadModel())
            print("synapse \(synapse.name): OK (\(synapse.description))")
            print("  blockers:          \(synapse.blockers.keys.sorted().joined(separator: ", "))")
            for name in synapse.blockers.keys.sorted() { print("    " + synapse.blockers[name]!.pharmacologySummary) }
            print("  pathway:           \(synapse.modelPath)")
            try checkPathway(synapse.modelPath)
        case .protocolFile:
            let p = try ProtocolReader.read(path: path)
            print("protocol \(p.name): OK (\(p.description))")
        case .fitProblem:
            let problem = try FitProblemReader.read(path: path)
            print("fit problem \(path): OK")
            print("  parameters:        \(problem.parameters.count)")
            print("  experiments:       \(problem.experiments.count)")
            print("  measurements:      \(problem.experiments.map(\.data.points.count).reduce(0, +))")
        case .petabProblem:
            let problem = try PEtabReader.read(path: path)
            print("PEtab problem \(problem.name): OK (fit it with 'kinapse fit', more with 'kinapse petab check')")
            print("  parameters:        \(problem.parameters.count) (\(problem.estimated.count) estimated)")
            print("  conditions:        \(problem.conditions.count)")
            print("  measurements:      \(problem.measurements.count)")
        case .parameters, .otherTOML:
            let table = try ConfigReader.read(path: path)
            print("\(path): OK (TOML, \(table.entries.count) top-level entries)")
        case .data:
            let file = try SourceFile.read(path: path)
            do {
                let table = try CSVTable(parsing: file.text, path: path)
                print("table \(path): OK (\(table.header.count) columns, \(table.rows.count) rows: \(table.header.joined(separator: ", ")))")
            } catch {
                throw DiagnosticsError(error.diagnostic(in: file))
            }
        }
    }

    func checkPathway(_ path: String) throws {
        let pathway = try ModelLoading.loadPathway(path)
        let compiled = try ModelCompiler.compile(pathway)
        let s = compiled.summary
        print("""
        model \(compiled.name): OK
          species:           \(s.species) (\(s.floatingSpecies) floating, \(s.boundarySpecies) boundary or constant)
          compartments:      \(s.compartments)
          parameters:        \(s.parameters)
          reactions:         \(s.reactions)
          assignment rules:  \(s.assignmentRules)
          rate rules:        \(s.rateRules)
          events:            \(s.events)
          functions:         \(s.functions)
          state size:        \(s.stateSize)
          Jacobian:          \(s.jacobianNonZeros) structural non-zeros of \(s.stateSize * s.stateSize)
          switches:          \(s.timedSwitches) timed, \(s.rootFunctions) root functions
        """)
        if s.stateSize == 0 {
            Console.error("warning: '\(path)' has no state variables (no floating species, no rate rules): a simulation would write only the time column")
        }
        if units { try checkUnits(path, pathway) }
    }

    /// SBML is checked as written; an Antimony pathway through its SBML export, which
    /// carries no units because the Antimony reader passes over unit declarations.
    func checkUnits(_ path: String, _ pathway: Pathway) throws {
        let report = FileKind.of(path: path) == .sbml
            ? try SBMLUnitsChecker.check(path: path)
            : try SBMLUnitsChecker.check(source: SourceFile(path: path + " (exported to SBML)", text: SBMLWriter.write(pathway)))
        if !report.undeclared.isEmpty {
            let shown = report.undeclared.prefix(12).joined(separator: ", ")
            let more = report.undeclared.count > 12 ? ", and \(report.undeclared.count - 12) more" : ""
            print("  units not declared: \(shown)\(more) (expressions using them were not checked)")
        }
        guard report.diagnostics.isEmpty else { throw DiagnosticsError(report.diagnostics) }
        print("  units:             consistent where declared")
    }
}

struct ODEs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "odes",
        abstract: "Print the generated ODE right-hand sides in readable maths.",
        discussion: "Example:\n  kinapse odes Pathways/no_cgmp_pkg.ant"
    )

    @Argument(help: "Pathway file (.ant, or SBML); a shipped one also by name.")
    var model: String

    @Flag(help: "Also print the analytic Jacobian's non-zero entries.")
    var jacobian = false

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
    }

    func run() throws {
        let compiled = try ModelCompiler.compile(try ModelLoading.loadPathway(LibraryLookup.resolve(model) ?? model))
        print(ODEListing(model: compiled).text(includeJacobian: jacobian), terminator: "")
    }
}

extension SynapseDefinition.Blocker {
    /// One line of `kinapse check`: the drug, its target and potency, and how much of the
    /// full block the synapse's concentration gives.
    var pharmacologySummary: String {
        let drug = drugs.isEmpty ? "the synapse's own" : drugs.joined(separator: " + ")
        let at = target.map { " at \($0)" } ?? ""
        let dose = concentration.map { "\(NumberText.plain($0)) µM" } ?? "no concentration"
        guard let ic50 else { return "\(name): \(drug)\(at), all or none; \(dose) (\(route.rawValue))" }
        return "\(name): \(drug)\(at), IC50 \(NumberText.plain(ic50)) µM, Hill \(NumberText.plain(hill)); \(dose) (\(route.rawValue))"
            + (concentration.map { String(format: ", %.1f %% of the full block", 100 * fraction(at: $0)) } ?? "")
    }
}
