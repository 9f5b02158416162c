import ArgumentParser
import Foundation
import SourceDiagnostics
import ModelCompiler
import NativeCode
import CVODEIntegration
import Simulation
import KineticsCore
import ParameterScans
import Plotting
import Reporting
import InductionProtocols
import SynapseModel
import SynapseSimulation

struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Rank parameters by how much they move a synapse's plasticity (ΔIPSC) or a pathway's outputs: local sensitivities or Morris screening.",
        discussion: """
        --method local (the default) differentiates once, by CVODES forward
        sensitivities (docs/sensitivities.md):
        - a synapse with --protocol whose IPSC is its model's quantal readout (the
          engine-test fixtures in Fixtures/lumped; a biophysical synapse, as every
          shipped one is, reads its IPSC from the simulated recording, which has no
          derivatives: rank it by Morris): ∂ΔIPSC/∂p for every parameter, ranked by
          |∂ΔIPSC/∂ln p| = |p·∂ΔIPSC/∂p|: percentage points of ΔIPSC per e-fold change
          of p (× ln 1.1 ≈ 0.095 for a 10 % change). CSV: rank, parameter, value,
          d_delta_ipsc_d_ln_p, d_delta_ipsc_dp.
        - a pathway with --t-end: the normalised sensitivity (p/y)·∂y/∂p of every
          --readout y at that time, ranked by the largest |(p/y)·∂y/∂p| over the
          readouts. CSV: rank, parameter, value, readout, d_ln_y_d_ln_p, dy_dp.

        --method morris screens globally by elementary effects (Morris 1991; μ* of
        Campolongo et al. 2007): --trajectories runs of k + 1 points through the
        factors' ranges (each --parameters value from value/--spread to value·--spread
        on a log axis, or --range NAME=LOW:HIGH[:log]), on every core or MPI rank. It
        needs no derivatives, so it also ranks synapses with a [recording], over any
        readout of the summary (delta_ipsc_percent, delta_ppr_percent, …,
        delta_egaba_mV), and pathways at --t-end or at steady state. CSV: rank,
        parameter, low, high, readout, mu_star, mu, sigma, effects; ranked by μ* of the
        first readout.

        --plot draws the ranking of the first readout as bars (Morris: μ* with σ
        whiskers).

        Examples:
          kinapse sensitivity Fixtures/lumped/synapses/cortical_camkii.toml \\
              --protocol chemical_iltp --out ranking.csv
          kinapse sensitivity Pathways/no_cgmp_pkg.ant --t-end 60 \\
              --readout PKG_active --plot bars.svg
          kinapse sensitivity cortical_pyramidal --protocol woodin_pairing \\
              --method morris --parameters cell_area,cell_soma_gabaa_g_max \\
              --readout delta_egaba_mV --trajectories 8
        """)

    enum Method: String, ExpressibleByArgument, CaseIterable { case local, morris }

    @Argument(help: "Synapse definition (.toml) or pathway (.ant, or SBML); a shipped one also by name.")
    var model: String

    var modelPath: String { LibraryLookup.resolve(model) ?? model }
    var isSynapse: Bool { FileKind.of(path: modelPath) == .synapse || modelPath.lowercased().hasSuffix(".toml") }

    @Option(help: ArgumentHelp("Synapses: the protocol (a shipped name, e.g. tbs; see 'kinapse protocols', or a .toml path).", valueName: "NAME"))
    var `protocol`: String?

    @Option(name: .customLong("t-end"), parsing: .unconditional, help: "Pathways: read the outputs at this time (Morris: at steady state without it).")
    var tEnd: Double?

    @Option(help: ArgumentHelp("Comma-separated readouts: a pathway's outputs (default: its state variables); for Morris on a synapse, summary columns (default: delta_ipsc_percent).", valueName: "ID,…"))
    var readout: String?

    @Option(help: ArgumentHelp("Parameters to rank (comma-separated), or 'all': every plain parameter of the model.", valueName: "P,…"))
    var parameters: String = "all"

    @Option(help: "local: forward sensitivities; morris: elementary-effects screening over ranges.")
    var method: Method = .local

    @Option(parsing: .unconditional, help: "Morris: trajectories (each k + 1 runs for k parameters).")
    var trajectories: Int = 10

    @Option(parsing: .unconditional, help: "Morris: grid levels per factor (even).")
    var levels: Int = 4

    @Option(parsing: .unconditional, help: "Morris: each parameter ranges from value/F to value·F on a log axis unless --range says otherwise.")
    var spread: Double = 2

    @Option(parsing: .singleValue, help: ArgumentHelp("Morris: a factor's range (repeatable; also adds NAME to the factors).", valueName: "NAME=LOW:HIGH[:log]"))
    var range: [String] = []

    @Option(parsing: .unconditional, help: "Morris: seed of the design.")
    var seed: UInt64 = 1

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Synapses: apply a blocker the synapse declares (repeatable).", valueName: "NAME"))
    var blockers: [String] = []

    @OptionGroup
    var values: ParameterValueOptions

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Morris: worker threads (default: every core).")
    var jobs: Int?

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @Option(help: "Write the ranking as CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Also draw the ranking of the first readout as bars (SVG).", valueName: "FIG.svg"))
    var plot: String?

    @Flag(help: "Replace a read-only output file.")
    var force = false

    /// Bars drawn at most: a ranking's tail is read from the CSV.
    static let plottedBars = 25

    var parameterList: [String]? {
        parameters == "all" ? nil : parameters.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
    var readoutList: [String]? { readout.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } }

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
        if parameters.split(separator: ",", omittingEmptySubsequences: false).contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--parameters expects names separated by commas, or 'all' (got '\(parameters)')")
        }
        if isSynapse {
            try LibraryLookup.requireSynapse(model)
            guard `protocol` != nil else { throw ValidationError("a synapse's sensitivity needs --protocol NAME: the induction whose ΔIPSC is ranked") }
            if tEnd != nil { throw ValidationError("--t-end applies to pathways; a synapse runs its protocol") }
            if method == .local, readout != nil { throw ValidationError("--readout on a synapse needs --method morris (local sensitivities rank ΔIPSC)") }
        } else {
            if `protocol` != nil || !blockers.isEmpty { throw ValidationError("--protocol and --block apply to synapse definitions (.toml)") }
            if method == .local, tEnd == nil { throw ValidationError("local sensitivities of a pathway need --t-end T: the time the outputs are read") }
        }
        if let tEnd, !(tEnd > 0 && tEnd.isFinite) { throw ValidationError("--t-end must be positive (got \(tEnd))") }
        if method == .local, !range.isEmpty { throw ValidationError("--range sets Morris factors; add --method morris") }
        guard trajectories >= 1, trajectories <= 10_000 else { throw ValidationError("--trajectories must be between 1 and 10000 (got \(trajectories))") }
        guard levels >= 2, levels % 2 == 0, levels <= 100 else { throw ValidationError("--levels must be even, from 2 to 100 (got \(levels))") }
        guard spread > 1, spread.isFinite else { throw ValidationError("--spread must be above 1 (got \(spread))") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        for r in range { _ = try Self.parseRange(r) }
        try OutputCheck.refuseConflicts(outputs, inputs: [modelPath] + values.inputs, force: force)
    }

    var outputs: [(option: String, path: String?)] { [("--out", out), ("--plot", plot)] }

    static func parseRange(_ text: String) throws -> ScreeningFactor {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        var fields = parts.count == 2 ? parts[1].split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) } : []
        let logarithmic = fields.last?.lowercased() == "log"
        if logarithmic { fields.removeLast() }
        let numbers = fields.compactMap(Double.init)
        guard parts.count == 2, !parts[0].isEmpty, fields.count == 2, numbers.count == 2, numbers[0].isFinite, numbers[1].isFinite, numbers[0] < numbers[1] else {
            throw ValidationError("--range expects NAME=LOW:HIGH or NAME=LOW:HIGH:log with LOW < HIGH (got '\(text)')")
        }
        if logarithmic, numbers[0] <= 0 { throw ValidationError("a logarithmic --range needs LOW > 0 (got '\(text)')") }
        return ScreeningFactor(name: parts[0], low: numbers[0], high: numbers[1], logarithmic: logarithmic)
    }

    func run() throws {
        switch (method, isSynapse) {
        case (.local, true): try localSynapse()
        case (.local, false): try localPathway()
        case (.morris, _): try morris()
        }
    }

    // MARK: Local

    private func synapseRequest() throws -> (SynapseDefinition, InductionProtocol, SynapseRunRequest) {
        let definition = try SynapseReader.read(path: modelPath)
        let model = try definition.loadModel()
        let proto = try ProtocolReader.read(path: try ProtocolLocator.resolve(`protocol`!, near: modelPath))
        try OutputCheck.check(outputs, inputs: [definition.modelPath], force: force)
        let names = Set(model.parameters.map(\.id) + model.species.map(\.id) + model.compartments.map(\.id))
        var request = SynapseRunRequest(synapse: definition, model: model, protocolDefinition: proto, blockers: blockers,
                                        overrides: try values.overrides(names: names),
                                        options: solver.applied(to: definition.integratorOptions))
        request.nativeCode = solver.nativeCode
        return (definition, proto, request)
    }

    private func localSynapse() throws {
        var (definition, proto, request) = try synapseRequest()
        try AmplitudeChangeSensitivities.requireQuantal(request)
        let plain = try PreparedSynapseRun(request)
        request.sensitivityParameters = parameterList ?? plain.sensitivityCandidates
        let prepared = try PreparedSynapseRun(request)
        let result = try prepared.run()
        if let failure = result.failure { throw failure }
        let (change, ranked) = try AmplitudeChangeSensitivities.ranking(request, model: prepared.model, result: result)
        var csv = "rank,parameter,value,d_delta_ipsc_d_ln_p,d_delta_ipsc_dp\n"
        for (i, s) in ranked.enumerated() {
            csv += "\(i + 1),\(s.parameter),\(CSVWriter.format(s.value)),\(CSVWriter.format(s.logDerivative)),\(CSVWriter.format(s.derivative))\n"
        }
        let blocked = blockers.isEmpty ? "" : ", blocked: \(blockers.joined(separator: ", "))"
        let title = "\(definition.name), \(proto.name)\(blocked): ΔIPSC \(String(format: "%+.4g", change)) %"
        try drawBars(title: title, labels: ranked.map(\.parameter), values: ranked.map(\.logDerivative), errors: nil,
                     axis: Axis("∂ΔIPSC/∂ln p", unit: "percentage points"))
        guard let out else { return StandardOutput.write(csv) }
        try OutputCheck.write(csv, to: out, option: "--out", force: force)
        var table = "synapse \(definition.name), protocol \(proto.name)\(blocked): ΔIPSC \(String(format: "%+.4g", change)) %\n"
        table += "parameters by |∂ΔIPSC/∂ln p| (percentage points per e-fold), largest \(min(10, ranked.count)) of \(ranked.count):\n"
        for s in ranked.prefix(10) { table += "  " + s.parameter.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%+.4g\n", s.logDerivative) }
        StandardOutput.write(table)
    }

    private func compiledPathway() throws -> (CompiledModel, [(name: String, value: Double)], [String]) {
        var compiled = try ModelCompiler.compile(ModelLoading.loadPathway(modelPath))
        if solver.nativeCode { compiled = try NativeCode.compile(compiled).model }
        try OutputCheck.check(outputs, force: force)
        let columns = readoutList ?? compiled.states.map(\.name)
        for c in columns where compiled.symbols[c] == nil {
            throw ValidationError("--readout \(c): no such quantity in '\(compiled.name)'" + (Suggestions.didYouMean(c, among: compiled.symbols.keys).map { "; \($0)" } ?? ""))
        }
        return (compiled, try values.overrides(names: compiled.symbols.keys), columns)
    }

    /// (p/y)·∂y/∂p at --t-end from one run with forward sensitivities.
    private func localPathway() throws {
        let (compiled, overrides, columns) = try compiledPathway()
        let names = parameterList ?? compiled.differentiableParameters
        let differentiated: CompiledModel
        do { differentiated = try compiled.differentiated(with: names) } catch {
            throw ValidationError("--parameters: \(error)")
        }
        var request = SimulationRequest(grid: TimeGrid(end: tEnd!, count: 2), columns: columns, overrides: overrides,
                                        options: solver.applied(to: IntegratorOptions()))
        request.sensitivityParameters = names
        let result = try Simulator(model: differentiated).run(request)
        if let failure = result.failure { throw failure }
        guard let s = result.sensitivities else { throw ValidationError("the run gave no sensitivities") }
        let last = result.trajectory.rowCount - 1
        // p: the value the run used (an override, else the model's).
        let used = Dictionary(overrides.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        let quantities = names.map(CompiledSensitivities.quantity(named:))
        let initial = compiled.initialValues(of: quantities)
        var rows: [(parameter: String, value: Double, normalised: [Double], derivative: [Double])] = []
        for (k, p) in names.enumerated() {
            let value = used[quantities[k]] ?? initial[k]
            let derivative = columns.indices.map { s.value(row: last, column: $0, parameter: k) }
            let normalised = columns.indices.map { c in
                let y = result.trajectory.value(row: last, column: c)
                return y == 0 ? Double.nan : value / y * derivative[c]
            }
            rows.append((p, value, normalised, derivative))
        }
        let score = { (r: (parameter: String, value: Double, normalised: [Double], derivative: [Double])) in
            r.normalised.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0
        }
        rows.sort { score($0) != score($1) ? score($0) > score($1) : $0.parameter < $1.parameter }
        var csv = "rank,parameter,value,readout,d_ln_y_d_ln_p,dy_dp\n"
        for (i, r) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                csv += "\(i + 1),\(r.parameter),\(CSVWriter.format(r.value)),\(column),\(CSVWriter.format(r.normalised[c])),\(CSVWriter.format(r.derivative[c]))\n"
            }
        }
        let first = rows.sorted { abs($0.normalised[0]) > abs($1.normalised[0]) }
        try drawBars(title: "\(compiled.name): \(columns[0]) at t = \(CSVWriter.format(tEnd!))", labels: first.map(\.parameter),
                     values: first.map { $0.normalised[0] }, errors: nil, axis: Axis("(p/y)·∂y/∂p of \(columns[0])"))
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }
    }

    // MARK: Morris

    private func morris() throws {
        let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let explicit = try range.map(Self.parseRange)
        var factors: [ScreeningFactor]
        var columns: [String]
        var results: [[Double]?]
        var title: String
        func factorList(_ names: [String], _ value: (String) -> Double?) throws -> [ScreeningFactor] {
            var list = explicit
            for name in names where !list.contains(where: { $0.name == name }) {
                guard let v = value(name) else { throw ValidationError("cannot screen '\(name)': no such parameter") }
                guard v > 0 else {
                    throw ValidationError("cannot give '\(name)' (value \(CSVWriter.format(v))) a range by --spread: it is not positive; give it --range \(name)=LOW:HIGH")
                }
                list.append(ScreeningFactor(name: name, low: v / spread, high: v * spread, logarithmic: true))
            }
            return list
        }
        if isSynapse {
            let (definition, proto, request) = try synapseRequest()
            let prepared = try PreparedSynapseRun(request)
            let compiled = prepared.model
            let names = parameterList ?? (range.isEmpty ? compiled.differentiableParameters : [])
            let initial = Dictionary(uniqueKeysWithValues: zip(names, compiled.initialValues(of: names.filter { compiled.symbols[$0] != nil })))
            let set = Dictionary(request.overrides.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            factors = try factorList(names) { set[$0] ?? initial[$0] }
            let available = SynapseParameterScan.columns(biophysical: definition.isBiophysical)
            columns = readoutList ?? ["delta_ipsc_percent"]
            for c in columns where !available.contains(c) {
                throw ValidationError("--readout \(c) is not a summary column; choose from \(available.joined(separator: ", "))")
            }
            let screening = MorrisScreening(factors: factors, trajectories: trajectories, levels: levels, seed: seed)
            let progress = ProgressReporter(total: screening.design.count, label: "morris", quiet: false)
            let runs = try SynapseParameterScan.run(request, names: factors.map(\.name), points: screening.design, jobs: jobs,
                                                    progress: { progress.advance() })
            let indices = columns.map { available.firstIndex(of: $0)! }
            results = runs.map { r in r.summary.map { s in
                let all = SynapseParameterScan.readouts(s, biophysical: definition.isBiophysical)
                return indices.map { all[$0] }
            } }
            title = "\(definition.name), \(proto.name)"
        } else {
            let (compiled, overrides, pathwayColumns) = try compiledPathway()
            columns = pathwayColumns
            let names = parameterList ?? (range.isEmpty ? compiled.differentiableParameters : [])
            let used = Dictionary(overrides.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            // init(X) screens X's initial value, which is what setting X does.
            let quantity = CompiledSensitivities.quantity(named:)
            let known = Set(names.map(quantity).filter { compiled.symbols[$0] != nil })
            let initial = Dictionary(uniqueKeysWithValues: zip(known, compiled.initialValues(of: Array(known))))
            factors = try factorList(names) { used[quantity($0)] ?? initial[quantity($0)] }
            let screening = MorrisScreening(factors: factors, trajectories: trajectories, levels: levels, seed: seed)
            let readout: ScanReadout = tEnd.map { .endOfRun(time: $0, options: solver.applied(to: IntegratorOptions())) } ?? .steadyState
            let points = try ParameterScan.run(compiled, names: factors.map { quantity($0.name) }, points: screening.design, columns: columns,
                                               readout: readout, overrides: overrides, jobs: jobs)
            results = points.map(\.outputs)
            title = "\(compiled.name), " + (tEnd.map { "t = \(CSVWriter.format($0))" } ?? "steady state")
        }
        let screening = MorrisScreening(factors: factors, trajectories: trajectories, levels: levels, seed: seed)
        let failed = results.filter { $0 == nil }.count
        let effects = columns.indices.map { c in screening.effects(results.map { $0?[c] }) }
        let order = factors.indices.sorted {
            let (a, b) = (effects[0][$0].meanAbsolute, effects[0][$1].meanAbsolute)
            return a != b ? (a.isNaN ? false : b.isNaN ? true : a > b) : factors[$0].name < factors[$1].name
        }
        var csv = "rank,parameter,low,high,readout,mu_star,mu,sigma,effects\n"
        for (rank, i) in order.enumerated() {
            for (c, column) in columns.enumerated() {
                let e = effects[c][i]
                csv += "\(rank + 1),\(factors[i].name),\(CSVWriter.format(factors[i].low)),\(CSVWriter.format(factors[i].high)),\(column),"
                    + "\(CSVWriter.format(e.meanAbsolute)),\(CSVWriter.format(e.mean)),\(CSVWriter.format(e.standardDeviation)),\(e.count)\n"
            }
        }
        if failed > 0 { csv += CSVWriter.partialMarker("\(failed) of \(results.count) runs failed; their elementary effects are left out") }
        try drawBars(title: "\(title): Morris μ* of \(columns[0]) (± σ), \(trajectories) trajectories", labels: order.map { factors[$0].name },
                     values: order.map { effects[0][$0].meanAbsolute }, errors: order.map { effects[0][$0].standardDeviation },
                     axis: Axis("μ* of \(columns[0]) per unit of the range"))
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }
        if failed > 0 { throw ExitCode(ExitStatus.simulationFailed.rawValue) }
    }

    private func drawBars(title: String, labels: [String], values: [Double], errors: [Double]?, axis: Axis) throws {
        guard let plot else { return }
        let n = min(Self.plottedBars, labels.count)
        try PlotOutput.write({ try BarChart(title: title, labels: Array(labels.prefix(n)), values: Array(values.prefix(n)),
                                            errors: errors.map { Array($0.prefix(n)) }, valueAxis: axis).render() }, to: plot, force: force)
    }
}
