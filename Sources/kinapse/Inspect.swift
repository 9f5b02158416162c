import ArgumentParser
import Foundation
import ModelCompiler
import PathwayModel

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a pathway and summarise it.",
        discussion: "Example:\n  kinapse check Pathways/no_cgmp_pkg.ant"
    )

    @Argument(help: "Pathway file (.ant).")
    var model: String

    func run() throws {
        let compiled = try ModelLoading.compile(try ModelLoading.loadPathway(model))
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
    }
}

struct ODEs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "odes",
        abstract: "Print the generated ODE right-hand sides in readable maths.",
        discussion: "Example:\n  kinapse odes Pathways/no_cgmp_pkg.ant"
    )

    @Argument(help: "Pathway file (.ant).")
    var model: String

    @Flag(help: "Also print the analytic Jacobian's non-zero entries.")
    var jacobian = false

    func run() throws {
        let compiled = try ModelLoading.compile(try ModelLoading.loadPathway(model))
        print(ODEListing(model: compiled).text(includeJacobian: jacobian), terminator: "")
    }
}
