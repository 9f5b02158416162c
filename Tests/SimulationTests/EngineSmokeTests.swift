import Testing
import PathwayModel
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport
import Foundation

/// Exercises the engine on a pathway built in code, independent of the parser.
@Suite struct EngineSmokeTests {
    @Test func decayBuiltInCode() throws {
        var p = Pathway(name: "decay")
        p.compartments = [Compartment(id: "cell", size: .number(2))]
        p.species = [Species(id: "A", compartment: "cell", initialValue: .number(10))]
        p.parameters = [Parameter(id: "k", value: .number(0.5))]
        p.reactions = [Reaction(id: "J1", reactants: [SpeciesReference(species: "A")], products: [],
                                rate: .binary(.multiply, .binary(.multiply, .symbol("k", nil), .symbol("A", nil)), .symbol("cell", nil)),
                                isReversible: false)]
        let model = try ModelCompiler.compile(p)
        let rtol = 1e-8, atol = 1e-12
        let result = try Simulator(model: model).run(SimulationRequest(
            grid: TimeGrid(end: 10, count: 11), options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol)))
        #expect(result.failure == nil)
        for r in 0..<result.trajectory.rowCount {
            let t = result.trajectory.times[r]
            let exact = 10 * exp(-0.5 * t)
            #expect(toleranceRatio(result.trajectory.value(row: r, column: 0), exact, rtol: rtol, atol: atol) < 100)
        }
    }
}
