import ArgumentParser
import Foundation
import SourceDiagnostics
import CVODEIntegration
import Reporting
import InductionProtocols
import SynapseModel
import SynapseSimulation

struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Rank a synapse's parameters by how much they move the plasticity a protocol induces (ΔIPSC).",
        discussion: """
        One run of the protocol with CVODES forward sensitivities (docs/sensitivities.md)
        gives ∂ΔIPSC/∂p for every parameter at once; ΔIPSC is the summary's change in IPSC
        amplitude (% of baseline, over the protocol's analysis window). Parameters are ranked
        by |∂ΔIPSC/∂ln p| = |p·∂ΔIPSC/∂p|: percentage points of ΔIPSC per e-fold change of p
        (multiply by ln 1.1 ≈ 0.095 for a 10 % change), which compares parameters of any unit.

        CSV: rank, parameter, value, d_delta_ipsc_d_ln_p, d_delta_ipsc_dp.

        Example:
          kinapse sensitivity Pathways/synapses/golgi_granule.toml --protocol tbs --out ranking.csv
        """)

    @Argument(help: "Synapse definition (.toml), or a shipped synapse by name (see 'kinapse synapses').")
    var synapse: String

    var synapsePath: String { LibraryLookup.resolve(synapse) ?? synapse }

    @Option(help: ArgumentHelp("Protocol: a shipped name (e.g. tbs; see 'kinapse protocols') or a .toml path.", valueName: "NAME"))
    var `protocol`: String

    @Option(help: ArgumentHelp("Parameters to rank (comma-separated), or 'all': every plain parameter of the model.", valueName: "P,…"))
    var parameters: String = "all"

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Apply a blocker declared by the synapse (repeatable).", valueName: "NAME"))
    var blockers: [String] = []

    @OptionGroup
    var values: ParameterValueOptions

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @Option(help: "Write the ranking as CSV here (atomically) instead of to standard output.")
    var out: String?

    @Flag(help: "Replace a read-only output file.")
    var force = false

    func validate() throws {
        try LibraryLookup.requireSynapse(synapse)
        if parameters.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--parameters expects names separated by commas, or 'all' (got '\(parameters)')")
        }
        try OutputCheck.refuseConflicts([("--out", out)], inputs: [synapsePath] + values.inputs, force: force)
    }

    func run() throws {
        let definition = try SynapseReader.read(path: synapsePath)
        let model = try definition.loadModel()
        let proto = try ProtocolReader.read(path: try ProtocolLocator.resolve(`protocol`, near: synapsePath))
        try OutputCheck.check([("--out", out)], inputs: [definition.modelPath], force: force)
        let names = Set(model.parameters.map(\.id) + model.species.map(\.id) + model.compartments.map(\.id))
        var request = SynapseRunRequest(synapse: definition, model: model, protocolDefinition: proto, blockers: blockers,
                                        overrides: try values.overrides(names: names),
                                        options: solver.applied(to: definition.integratorOptions))
        request.nativeCode = solver.nativeCode
        try AmplitudeChangeSensitivities.requireQuantal(request)
        let plain = try PreparedSynapseRun(request)
        request.sensitivityParameters = parameters == "all" ? plain.model.differentiableParameters
            : parameters.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let prepared = try PreparedSynapseRun(request)
        let result = try prepared.run()
        if let failure = result.failure { throw failure }
        let (change, ranked) = try AmplitudeChangeSensitivities.ranking(request, model: prepared.model, result: result)
        var csv = "rank,parameter,value,d_delta_ipsc_d_ln_p,d_delta_ipsc_dp\n"
        for (i, s) in ranked.enumerated() {
            csv += "\(i + 1),\(s.parameter),\(CSVWriter.format(s.value)),\(CSVWriter.format(s.logDerivative)),\(CSVWriter.format(s.derivative))\n"
        }
        guard let out else { return StandardOutput.write(csv) }
        try OutputCheck.write(csv, to: out, option: "--out", force: force)
        let blocked = blockers.isEmpty ? "" : ", blocked: \(blockers.joined(separator: ", "))"
        var table = String(format: "synapse %@, protocol %@%@: ΔIPSC %+.4g %%\n", definition.name, proto.name, blocked, change)
        table += "parameters by |∂ΔIPSC/∂ln p| (percentage points per e-fold), largest \(min(10, ranked.count)) of \(ranked.count):\n"
        for s in ranked.prefix(10) { table += "  " + s.parameter.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%+.4g\n", s.logDerivative) }
        StandardOutput.write(table)
    }
}
