import ArgumentParser
import Foundation
import SourceDiagnostics
import KineticsCore
import ModelCompiler
import Reporting
import StochasticSimulation
import KinapseUtilities

/// Options of `simulate` for stochastic runs of a pathway; the number of trials and the
/// seed are the synapse group's `--trials` and `--seed`, which mean the same there.
struct StochasticOptions: ParsableArguments {
    enum Method: String, CaseIterable, ExpressibleByArgument {
        case ode, ssa, tauLeap = "tau-leap"
    }

    enum ConcentrationUnit: String, CaseIterable, ExpressibleByArgument {
        case M, mM, uM, nM
        var molar: Double {
            switch self {
            case .M: 1
            case .mM: 1e-3
            case .uM: 1e-6
            case .nM: 1e-9
            }
        }
    }

    @Option(help: "ode: deterministic (CVODES); ssa: exact stochastic (Gillespie's direct method); tau-leap: approximate stochastic, faster with many molecules (docs/stochastic.md).")
    var method: Method = .ode

    @Option(parsing: .unconditional, help: ArgumentHelp("Stochastic methods: volume of a compartment of size 1 (default 1 fL); molecules = concentration × unit × size × volume × N_A.", valueName: "FL"))
    var volume: Double?

    @Option(name: .customLong("concentration-unit"), help: "Stochastic methods: the model's concentration unit (default uM, as in the shipped library).")
    var concentrationUnit: ConcentrationUnit?

    @Flag(name: .customLong("per-trial"), help: "Stochastic methods: write every trial (columns X_1, X_2, …) rather than the mean and SD over trials (X_mean, X_sd).")
    var perTrial = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stochastic methods: threads running trials (default: every core); the output does not depend on it.", valueName: "N"))
    var jobs: Int?

    /// Most trials a run keeps in memory: every trial's rows are held until the summary.
    static let maximumTrials = 1_000_000

    var isStochastic: Bool { method != .ode }

    var given: [String] {
        [("--volume", volume != nil), ("--concentration-unit", concentrationUnit != nil), ("--per-trial", perTrial), ("--jobs", jobs != nil)]
            .filter(\.1).map(\.0)
    }

    /// Checks a stochastic run of a pathway; the deterministic options it cannot honour are refused.
    func validate(for simulate: Simulate) throws {
        guard isStochastic else {
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to --method ssa or tau-leap") }
            return
        }
        if simulate.isSynapse { throw ValidationError("--method \(method.rawValue) applies to pathways; a synapse runs deterministically (its release is already stochastic: --trials)") }
        let s = simulate.synapseOptions
        if s.protocol != nil || !s.blockers.isEmpty || s.summary != nil || s.readouts != nil || s.trialsOut != nil || s.plotSpecies != nil
            || s.sensitivities != nil || s.sensitivitiesOut != nil || s.checkSensitivities || s.checkJobs != nil {
            throw ValidationError("of the synapse options only --trials and --seed apply to --method \(method.rawValue)")
        }
        let p = simulate.pathwayOptions
        if p.settings != nil || p.allowNegative || p.repetitions != 1 {
            throw ValidationError("--settings, --allow-negative and --repeat apply to --method ode")
        }
        if simulate.solver.nativeCode { throw ValidationError("--native-code applies to --method ode: stochastic propensities run in their own evaluator") }
        guard (0...Self.maximumTrials).contains(s.trials) else { throw ValidationError("--trials must be between 1 and \(Self.maximumTrials) (got \(s.trials))") }
        if let volume { guard volume.isFinite, volume > 0 else { throw ValidationError("--volume must be positive (got \(volume))") } }
        if let jobs { guard jobs >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs))") } }
    }
}

extension Simulate {
    /// `simulate PATHWAY --method ssa|tau-leap`: trials of the stochastic model, written as
    /// mean and SD per column (or every trial with --per-trial) through the CSV writer.
    func runStochastic() throws {
        let options = stochastic
        let tEnd = pathwayOptions.tEnd ?? 1
        let pathway = try ModelLoading.loadPathway(modelPath)
        let compiled = try ModelCompiler.compile(pathway)
        let scale = MoleculeScale(femtolitres: options.volume ?? 1, molarPerConcentrationUnit: (options.concentrationUnit ?? .uM).molar)
        let model = try StochasticModel(pathway: pathway, compiled: compiled, scale: scale)
        let grid = dt.map { TimeGrid(end: tEnd, step: $0) } ?? TimeGrid(end: tEnd, count: pathwayOptions.points ?? 101)
        let columns = pathwayOptions.select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Self.defaultColumns(compiled, pathway)
        if let unknown = columns.first(where: { compiled.symbols[$0] == nil }) {
            throw DiagnosticsError(.error("--select names '\(unknown)', which '\(modelPath)' does not define", hint: Suggestions.didYouMean(unknown, among: Array(compiled.symbols.keys))))
        }
        var overrides: [Int: Double] = [:]
        for (name, value) in try self.overrides(names: compiled.symbols.keys) {
            guard let slot = compiled.symbols[name] else {
                throw DiagnosticsError(.error("--set names '\(name)', which '\(modelPath)' does not define", hint: Suggestions.didYouMean(name, among: Array(compiled.symbols.keys))))
            }
            if compiled.symbolKinds[name] == .compartment {
                throw DiagnosticsError(.error("--set \(name): compartment sizes are fixed in a stochastic run", hint: "change the volume with --volume"))
            }
            overrides[slot] = value
        }
        try OutputCheck.check(outputs, force: force)

        var ensemble = StochasticEnsemble(model: model, method: options.method == .ssa ? .ssa : .tauLeap)
        ensemble.overrides = overrides
        let trials = max(1, synapseOptions.trials)
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = processCPUSeconds()
        let result = try ensemble.run(trials: trials, seed: synapseOptions.seed, times: grid.points, columns: columns,
                                      jobs: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let elapsed = clock.now - start
        let cpu = processCPUSeconds() - cpuStart
        let table: Trajectory
        if options.perTrial {
            var t = Trajectory(columns: (0..<trials).flatMap { i in columns.map { "\($0)_\(i + 1)" } })
            for r in grid.points.indices {
                t.append(time: grid[r], row: (0..<trials).flatMap { i in columns.indices.map { result.value(trial: i, row: r, column: $0) } })
            }
            table = t
        } else if trials == 1 {
            table = result.trajectory(trial: 0)
        } else {
            table = result.summary()
        }
        let csv = CSVWriter.text(table)
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) } else { StandardOutput.write(csv) }
        if let plot {
            // The figure shows the mean (or the single trial) under the columns' own names.
            var means = Trajectory(columns: columns)
            let summary = result.summary()
            for r in grid.points.indices { means.append(time: grid[r], row: columns.indices.map { summary.value(row: r, column: 2 * $0) }) }
            try PlotOutput.pathway(means, of: pathway, to: plot, force: force)
        }
        if stats {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let mass = model.channels.filter(\.propensity.isMassAction).count
            Console.error("""
            method: \(options.method.rawValue)
            trials: \(trials)
            channels: \(model.channels.count) (\(mass) mass action)
            molecules per amount unit: \(scale.moleculesPerAmount)
            firings: \(result.firings)
            wall time: \(String(format: "%.6f", seconds)) s
            firings per second: \(String(format: "%.4g", Double(result.firings) / max(seconds, 1e-9)))
            cpu time: \(String(format: "%.6f", cpu)) s
            firings per cpu second: \(String(format: "%.4g", Double(result.firings) / max(cpu, 1e-9)))
            """)
        }
    }
}
