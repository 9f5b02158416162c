import ArgumentParser
import Foundation
import ModelCompiler
import NativeCode
import CVODEIntegration
import ParameterScans
import Reporting
import SourceDiagnostics
import InductionProtocols
import SynapseModel
import SynapseSimulation

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Vary one or two parameters over a grid: a pathway's state at rest (or at --t-end), or a synapse's plasticity under a protocol.",
        discussion: """
        Each grid point is an independent run. A pathway is read at its steady state by
        default (see 'kinapse help steady-state'), or at --t-end; the CSV gives the
        varied names, then the --select columns (default: the state variables). A
        synapse runs --protocol at every point and gives the summary's changes: ΔIPSC,
        ΔPPR, Δ(1/CV²), ΔN and ΔPr in percent, and for a synapse with a [recording] the
        E_GABA shift in mV. Anything with a name can be varied: a parameter, an initial
        value, a stimulus's strength; on a synapse also a drug's concentration (µM) as
        drug:NAME, for a blocker with an ic50, its drug's in the drug library or its own
        (a dose–response curve of the plasticity).

        Two --vary options make a two-dimensional grid (the first varies slowest); :log
        at the end of a range (or --log for all) spaces its values logarithmically.
        --plot draws the curves of a one-dimensional scan (one panel per column) or a
        heat map of --plot-column over a two-dimensional one.

        --hill COLUMN fits y = bottom + (top − bottom)/(1 + (x/x50)^h) to that column
        of a one-dimensional scan and prints x50 (an IC50 when the response falls toward
        zero with dose, else an EC50), h, top and bottom to standard error. A point that fails is left out of the CSV, which then ends
        with a '# partial: …' line; the exit status is 1.

        Examples:
          kinapse scan Pathways/no_cgmp_pkg.ant --vary Ca_rest=0.05:2:21:log \\
              --select PKG_active --hill PKG_active
          kinapse scan Pathways/no_cgmp_pkg.ant --vary Ca_rest=0.05:1:20 --t-end 60 \\
              --plot ca.svg
          kinapse scan golgi_granule --protocol tbs --vary pre_b_pq_g_max=0.05:0.2:4 \\
              --vary f_spill=0.005:0.04:4 --plot grid.svg
          kinapse scan vta_ecb --protocol chevaleyre_hfs \\
              --vary drug:AM251=0.001:10:17:log --hill delta_ipsc_percent
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML) or synapse definition (.toml); a shipped one also by name.")
    var model: String

    @Option(parsing: .singleValue, help: ArgumentHelp("A name to vary and its N values from FROM to TO (:log spaces them logarithmically); give it twice for a two-dimensional grid.", valueName: "NAME=FROM:TO:N[:log]"))
    var vary: [String] = []

    @Flag(help: "Space the values of every --vary logarithmically (FROM and TO must be positive).")
    var log = false

    @Option(help: ArgumentHelp("Pathways: comma-separated output columns (any named quantity).", valueName: "ID,…"))
    var select: String?

    @Option(name: .customLong("t-end"), parsing: .unconditional, help: "Pathways: read each run at this time instead of at steady state.")
    var tEnd: Double?

    @Option(help: ArgumentHelp("Synapses: the induction protocol run at every point (a shipped name, e.g. tbs, or a .toml path).", valueName: "NAME"))
    var `protocol`: String?

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Synapses: apply a blocker the synapse declares at every point (repeatable).", valueName: "NAME"))
    var blockers: [String] = []

    @Option(name: .customLong("drug"), parsing: .singleValue, help: DrugArguments.help)
    var drugs: [String] = []

    @Option(help: ArgumentHelp("Fit a Hill curve to this column of a one-dimensional scan and print IC50/EC50, Hill coefficient, top and bottom.", valueName: "COLUMN"))
    var hill: String?

    @OptionGroup
    var values: ParameterValueOptions

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @Option(help: "Write CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Also draw the scan as SVG: curves of every column, or for two --vary a heat map of --plot-column.", valueName: "FIG.svg"))
    var plot: String?

    @Option(name: .customLong("plot-column"), help: ArgumentHelp("The column a heat map shows (default: the first output column).", valueName: "COLUMN"))
    var plotColumn: String?

    @OptionGroup(title: "Job arrays")
    var sharding: ShardOptions

    @Flag(help: "No progress on standard error (synapse scans).")
    var quiet = false

    @Flag(help: "Overwrite a read-only output file.")
    var force = false

    /// Scans beyond this many points are a typo rather than a curve.
    static let maximumPoints = 100_000

    var modelPath: String { LibraryLookup.resolve(model) ?? model }
    var isSynapse: Bool { FileKind.of(path: modelPath) == .synapse || modelPath.lowercased().hasSuffix(".toml") }

    /// One parsed --vary: its name and range.
    static func parse(_ vary: String, allLogarithmic: Bool) throws -> (name: String, range: ScanRange) {
        let parts = vary.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        var fields = parts.count == 2 ? parts[1].split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } : []
        let logarithmic = allLogarithmic || fields.last?.lowercased() == "log"
        if fields.last?.lowercased() == "log" { fields.removeLast() }
        let numbers = fields.map(Double.init)
        guard parts.count == 2, !parts[0].isEmpty, numbers.count == 3, let from = numbers[0], let to = numbers[1], let n = numbers[2],
              from.isFinite, to.isFinite, n == n.rounded() else {
            throw ValidationError("--vary expects NAME=FROM:TO:N or NAME=FROM:TO:N:log, e.g. --vary A=0.001:100:41:log (got '\(vary)')")
        }
        guard n >= 2, n <= Double(Self.maximumPoints) else {
            throw ValidationError("--vary needs between 2 and \(Self.maximumPoints) values (got \(Int(n)) in '\(vary)')")
        }
        if logarithmic, from <= 0 || to <= 0 {
            throw ValidationError("a logarithmic range needs positive FROM and TO (got \(from) and \(to) in '\(vary)')")
        }
        return (parts[0], ScanRange(from: from, to: to, count: Int(n), logarithmic: logarithmic))
    }

    func grid() throws -> ScanGrid {
        let parsed = try vary.map { try Self.parse($0, allLogarithmic: log) }
        return ScanGrid(names: parsed.map(\.name), ranges: parsed.map(\.range))
    }

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
        guard (1...2).contains(vary.count) else {
            throw ValidationError(vary.isEmpty ? "--vary NAME=FROM:TO:N is required" : "at most two --vary (a two-dimensional grid); got \(vary.count)")
        }
        let g = try grid()
        if Set(g.names).count < g.names.count { throw ValidationError("--vary names '\(g.names[0])' twice") }
        guard g.count <= Self.maximumPoints else { throw ValidationError("the grid has \(g.count) points, more than the limit of \(Self.maximumPoints)") }
        if hill != nil, vary.count != 1 { throw ValidationError("--hill fits a one-dimensional scan; give one --vary") }
        // The fit's own minimum, said before the scan runs rather than after it.
        if let hill, case let doses = g.ranges[0].values.filter({ $0 > 0 }), doses.count < HillFit.minimumPoints {
            throw ValidationError("--hill \(hill) needs at least \(HillFit.minimumPoints) positive values of \(g.names[0]) to fit, and --vary \(vary[0]) gives \(doses.count); scan more points (N of FROM:TO:N)")
        }
        if plotColumn != nil, plot == nil { throw ValidationError("--plot-column needs --plot FIG.svg") }
        if let tEnd, !(tEnd > 0 && tEnd.isFinite) { throw ValidationError("--t-end must be positive (got \(tEnd))") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        if isSynapse {
            try LibraryLookup.requireSynapse(model)
            if `protocol` == nil { throw ValidationError("a synapse scan needs --protocol NAME: the induction run at every point") }
            if select != nil || tEnd != nil { throw ValidationError("--select and --t-end apply to pathways; a synapse scan reports the summary's changes") }
            let given = try DrugArguments.parse(drugs, blockers: blockers)
            for name in g.names where name.hasPrefix(SynapseParameterScan.drugPrefix) {
                let drug = String(name.dropFirst(SynapseParameterScan.drugPrefix.count))
                if given.contains(where: { $0.name == drug }) || blockers.contains(drug) {
                    throw ValidationError("--vary \(name) sets the concentration of \(drug) at every point; drop its --\(blockers.contains(drug) ? "block" : "drug")")
                }
            }
        } else if `protocol` != nil || !blockers.isEmpty || !drugs.isEmpty {
            throw ValidationError("--protocol, --block and --drug apply to synapse definitions (.toml)")
        } else if let drug = vary.first(where: { $0.hasPrefix(SynapseParameterScan.drugPrefix) }) {
            throw ValidationError("--vary \(drug): a drug's concentration is varied on a synapse (.toml)")
        }
        try OutputCheck.refuseConflicts(outputs, inputs: [modelPath] + values.inputs, force: force)
    }

    var outputs: [(option: String, path: String?)] { [("--out", out), ("--plot", plot), sharding.output] }

    func run() throws {
        let grid = try grid()
        let table = try isSynapse ? scanSynapse(grid) : scanPathway(grid)
        var csv = (grid.names + table.columns).joined(separator: ",") + "\n"
        for p in table.points { if let outputs = p.outputs { csv += (p.values + outputs).map(CSVWriter.format).joined(separator: ",") + "\n" } }
        let failed = table.points.filter { $0.outputs == nil }
        if let first = failed.first {
            let at = zip(grid.names, first.values).map { "\($0.0) = \(CSVWriter.format($0.1))" }.joined(separator: ", ")
            csv += CSVWriter.partialMarker("\(failed.count) of \(table.points.count) points failed; first at \(at): \(first.failure ?? "")")
        } else if table.points.count < grid.count {
            csv += CSVWriter.partialMarker("interrupted after \(table.points.count) of \(grid.count) points")
        }
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }
        if let plot { try PlotOutput.scan(grid, columns: table.columns, points: table.points, heatMapColumn: plotColumn, title: table.title, to: plot, force: force) }
        if let hill { try fitHill(hill, name: grid.names[0], columns: table.columns, points: table.points) }
        if !failed.isEmpty || table.points.count < grid.count { throw ExitCode(ExitStatus.simulationFailed.rawValue) }
    }

    /// The rows of a scan, whichever kind of model ran them.
    struct Table {
        var columns: [String]
        var points: [ScanPoint]
        var title: String
    }

    private func scanPathway(_ grid: ScanGrid) throws -> Table {
        var compiled = try ModelCompiler.compile(ModelLoading.loadPathway(modelPath))
        if solver.nativeCode { compiled = try NativeCode.compile(compiled).model }
        let overrides = try values.overrides(names: compiled.symbols.keys)
        let columns = select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? compiled.states.map(\.name)
        try checkColumns(columns)
        try OutputCheck.check(outputs, force: force)
        sharding.install(force: force)
        let readout: ScanReadout = tEnd.map { .endOfRun(time: $0, options: solver.applied(to: IntegratorOptions())) } ?? .steadyState
        let points = try ParameterScan.run(compiled, names: grid.names, points: grid.points, columns: columns, readout: readout,
                                           overrides: overrides, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let when = tEnd.map { "at t = \(CSVWriter.format($0))" } ?? "at steady state"
        return Table(columns: columns, points: points, title: "\(compiled.name) — \(when)")
    }

    private func scanSynapse(_ grid: ScanGrid) throws -> Table {
        let definition = try SynapseReader.read(path: modelPath)
        let model = try definition.loadModel()  // reads its imports, so they count as inputs below
        let proto = try ProtocolReader.read(path: try ProtocolLocator.resolve(`protocol`!, near: modelPath))
        let columns = SynapseParameterScan.columns(biophysical: definition.isBiophysical)
        try checkColumns(columns)
        try OutputCheck.check(outputs, inputs: [definition.modelPath], force: force)
        sharding.install(force: force)
        let names = Set(model.parameters.map(\.id) + model.species.map(\.id) + model.compartments.map(\.id))
        var request = SynapseRunRequest(synapse: definition, model: model, protocolDefinition: proto, blockers: blockers,
                                        overrides: try values.overrides(names: names), options: solver.applied(to: IntegratorOptions()))
        request.nativeCode = solver.nativeCode
        request.drugs = try DrugArguments.parse(drugs, blockers: blockers)
        let progress = ProgressReporter(total: grid.count, label: "scan", quiet: quiet)
        // Ctrl-C (or SIGTERM): no new point begins, those running finish, and the points so
        // far are written, marked partial.
        let interruption = InterruptedRun(message: "kinapse scan: interrupted; finishing the points under way and writing those done")
        defer { interruption.finished() }
        let cancellation = interruption.cancellation
        let runs = try SynapseParameterScan.run(request, names: grid.names, points: grid.points,
                                                jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                                isCancelled: { cancellation.isCancelled }, progress: { progress.advance() })
        let biophysical = definition.isBiophysical
        let points = runs.map { r in
            ScanPoint(values: r.values, outputs: r.summary.map { SynapseParameterScan.readouts($0, biophysical: biophysical) },
                      failure: r.summary == nil ? (r.failure ?? "the protocol gave no readouts after induction") : nil)
        }
        let condition = DrugArguments.condition(blockers: blockers, drugs: request.drugs)
        return Table(columns: columns, points: points, title: "\(definition.name) — \(proto.name)" + (condition.isEmpty ? "" : ", \(condition)"))
    }

    private func checkColumns(_ columns: [String]) throws {
        if let hill, !columns.contains(hill) {
            throw ValidationError("--hill \(hill) must be one of the output columns (\(columns.joined(separator: ", ")))")
        }
        if let plotColumn, !columns.contains(plotColumn) {
            throw ValidationError("--plot-column \(plotColumn) must be one of the output columns (\(columns.joined(separator: ", ")))")
        }
    }

    private func fitHill(_ column: String, name: String, columns: [String], points: [ScanPoint]) throws {
        let c = columns.firstIndex(of: column)!
        let done = points.filter { $0.outputs != nil }
        let fit: HillFit
        do { fit = try HillFit.fit(doses: done.map { $0.values[0] }, responses: done.map { $0.outputs![c] }) } catch {
            throw ValidationError("--hill \(column): \(error.description)")
        }
        let kind = fit.isInhibition ? "IC50" : "EC50"
        Console.error(String(format: "Hill fit of %@ against %@: %@ = %.6g, Hill coefficient %.4g, top %.6g, bottom %.6g (rms residual %.3g)",
                             column, name, kind, fit.midpoint, fit.hill, fit.top, fit.bottom, fit.rmsResidual))
    }
}
