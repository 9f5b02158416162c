import ArgumentParser
import Foundation
import ModelCompiler
import NativeCode
import CVODEIntegration
import ParameterScans
import Reporting
import SourceDiagnostics

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Vary one parameter and read the pathway at rest (or at --t-end); fit a dose–response curve.",
        discussion: """
        Each value of --vary is an independent run from the model's initial state: the
        steady state by default (see 'kinapse help steady-state'), or the state at --t-end.
        CSV: the parameter, then the --select columns (default: the state variables).
        --hill COLUMN fits y = bottom + (top − bottom)/(1 + (x/IC50)^h) to that column and
        prints IC50 (EC50 when h < 0), h, top and bottom to standard error.

        A point that fails (no steady state, a solver failure) is left out of the CSV,
        which then ends with a '# partial: …' line; the exit status is 1.

        Examples:
          kinapse scan receptor.ant --vary A=1e-4:100:41 --log --select RL --hill RL
          kinapse scan Pathways/no_cgmp_pkg.ant --vary Ca_rest=0.05:1:20 --t-end 60
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML); a shipped pathway also by name.")
    var model: String

    @Option(help: ArgumentHelp("The parameter (or initial value) to vary and its range, N values from FROM to TO.", valueName: "NAME=FROM:TO:N"))
    var vary: String

    @Flag(help: "Space the values logarithmically (FROM and TO must be positive).")
    var log = false

    @Option(help: ArgumentHelp("Comma-separated output columns (any named quantity).", valueName: "ID,…"))
    var select: String?

    @Option(name: .customLong("t-end"), parsing: .unconditional, help: "Read each run at this time instead of at steady state.")
    var tEnd: Double?

    @Option(help: ArgumentHelp("Fit a Hill curve to this column and print IC50/EC50, Hill coefficient, top and bottom.", valueName: "COLUMN"))
    var hill: String?

    @OptionGroup
    var values: ParameterValueOptions

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @OptionGroup(title: "Solver (with --t-end)")
    var solver: SolverOptions

    @Option(help: "Write CSV here (atomically) instead of to standard output.")
    var out: String?

    @OptionGroup(title: "Job arrays (see also 'kinapse merge'; under mpirun the ranks share the tasks)")
    var sharding: ShardOptions

    @Flag(help: "Overwrite a read-only output file.")
    var force = false

    /// Scans beyond this many points are a typo rather than a curve.
    static let maximumPoints = 100_000

    /// The parsed --vary: name and range.
    func parsedVary() throws -> (name: String, range: ScanRange) {
        let parts = vary.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.count == 2 ? parts[1].split(separator: ":").map { Double($0.trimmingCharacters(in: .whitespaces)) } : []
        guard parts.count == 2, !parts[0].isEmpty, numbers.count == 3, let from = numbers[0], let to = numbers[1], let n = numbers[2],
              from.isFinite, to.isFinite, n == n.rounded() else {
            throw ValidationError("--vary expects NAME=FROM:TO:N, e.g. --vary A=0.001:100:41 (got '\(vary)')")
        }
        guard n >= 2, n <= Double(Self.maximumPoints) else {
            throw ValidationError("--vary needs between 2 and \(Self.maximumPoints) values (got \(Int(n)))")
        }
        if log, from <= 0 || to <= 0 {
            throw ValidationError("--log needs positive FROM and TO (got \(from) and \(to))")
        }
        return (parts[0], ScanRange(from: from, to: to, count: Int(n), logarithmic: log))
    }

    func validate() throws {
        _ = try parsedVary()
        if let tEnd, !(tEnd > 0 && tEnd.isFinite) { throw ValidationError("--t-end must be positive (got \(tEnd))") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        try OutputCheck.refuseConflicts([("--out", out), sharding.output], inputs: [model] + values.inputs, force: force)
    }

    func run() throws {
        let (name, range) = try parsedVary()
        let path = LibraryLookup.resolve(model) ?? model
        var compiled = try ModelCompiler.compile(ModelLoading.loadPathway(path))
        if solver.nativeCode { compiled = try NativeCode.compile(compiled).model }
        let overrides = try values.overrides(names: compiled.symbols.keys)
        let columns = select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? compiled.states.map(\.name)
        if let hill, !columns.contains(hill) {
            throw ValidationError("--hill \(hill) must be one of the output columns (\(columns.joined(separator: ", ")))")
        }
        try OutputCheck.check([("--out", out), sharding.output], force: force)
        sharding.install(force: force)

        let readout: ScanReadout = tEnd.map { .endOfRun(time: $0, options: solver.applied(to: IntegratorOptions())) } ?? .steadyState
        let points = try ParameterScan.run(compiled, parameter: name, values: range.values, columns: columns, readout: readout,
                                           overrides: overrides, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        var csv = ([name] + columns).joined(separator: ",") + "\n"
        let failed = points.filter { $0.outputs == nil }
        for p in points { if let outputs = p.outputs { csv += ([p.value] + outputs).map(CSVWriter.format).joined(separator: ",") + "\n" } }
        if let first = failed.first {
            csv += CSVWriter.partialMarker("\(failed.count) of \(points.count) points failed; first at \(name) = \(first.value): \(first.failure ?? "")")
        }
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }

        if let hill {
            let c = columns.firstIndex(of: hill)!
            let done = points.filter { $0.outputs != nil }
            let fit: HillFit
            do { fit = try HillFit.fit(doses: done.map(\.value), responses: done.map { $0.outputs![c] }) } catch {
                throw ValidationError("--hill \(hill): \(error.description)")
            }
            let kind = fit.hill >= 0 ? "IC50" : "EC50"
            Console.error(String(format: "Hill fit of %@ against %@: %@ = %.6g, Hill coefficient %.4g, top %.6g, bottom %.6g (rms residual %.3g)",
                                 hill, name, kind, fit.midpoint, abs(fit.hill), fit.top, fit.bottom, fit.rmsResidual))
        }
        if !failed.isEmpty { throw ExitCode(ExitStatus.simulationFailed.rawValue) }
    }
}
