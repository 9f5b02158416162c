import ArgumentParser
import Foundation
import SourceDiagnostics
import KineticsCore
import ModelCompiler
import Reporting
import StochasticSimulation
import CVODEIntegration
import KinapseUtilities

/// Options of `simulate` for stochastic runs of a pathway; the number of trials and the
/// seed are the synapse group's `--trials` and `--seed`, which mean the same there.
struct StochasticOptions: ParsableArguments {
    enum Method: String, CaseIterable, ExpressibleByArgument {
        case ode, ssa, tauLeap = "tau-leap", hybrid
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

    @Option(help: "ode: deterministic (CVODES); ssa: exact stochastic (Gillespie's direct method); tau-leap: approximate stochastic, faster with many molecules; hybrid: fast reactions deterministic, slow ones exact jumps (docs/stochastic.md).")
    var method: Method = .ode

    @Option(name: .customLong("fast-firings"), parsing: .unconditional,
            help: ArgumentHelp("Hybrid: a reaction is deterministic only if it fires at least N times per output interval at the start (default 100).", valueName: "N"))
    var fastFirings: Double?

    @Option(name: .customLong("fast-molecules"), parsing: .unconditional,
            help: ArgumentHelp("Hybrid: … and every species it changes starts with at least N molecules (default 100).", valueName: "N"))
    var fastMolecules: Double?

    @Option(name: .customLong("discrete"), parsing: .singleValue,
            help: ArgumentHelp("Hybrid on a synapse: count this rate-rule variable in whole units (UNITS per unit of its value, default 1) and fire its rate rule's terms as jumps (repeatable).", valueName: "VAR[=UNITS]"))
    var discrete: [String] = []

    /// `--volume FL`, or `--volume C=FL,…` naming the compartments whose volume is given.
    struct Volume: ExpressibleByArgument {
        var femtolitres: Double?
        var compartments: [(name: String, femtolitres: Double)] = []

        init?(argument: String) {
            if let v = Double(argument) {
                femtolitres = v
                return
            }
            for item in argument.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]) else { return nil }
                compartments.append((parts[0], v))
            }
            if compartments.isEmpty { return nil }
        }

        var values: [Double] { femtolitres.map { [$0] } ?? compartments.map(\.femtolitres) }
    }

    @Option(parsing: .unconditional, help: ArgumentHelp("Stochastic methods: volume in fL of a compartment of size 1 (default 1), or of named compartments (C=FL,…); the model's sizes scale the others. Molecules = concentration × unit × volume × N_A.", valueName: "FL|C=FL,…"))
    var volume: Volume?

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
        [("--volume", volume != nil), ("--concentration-unit", concentrationUnit != nil), ("--per-trial", perTrial), ("--jobs", jobs != nil),
         ("--fast-firings", fastFirings != nil), ("--fast-molecules", fastMolecules != nil), ("--discrete", !discrete.isEmpty)]
            .filter(\.1).map(\.0)
    }

    /// `--discrete VAR[=UNITS]` as (name, units per unit of value).
    func discreteVariables() throws -> [(name: String, units: Double)] {
        try discrete.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("--discrete expects VAR or VAR=UNITS (got '\(item)')") }
            guard parts.count == 2 else { return (name, 1) }
            guard let units = Double(parts[1]), units > 0, units.isFinite else {
                throw ValidationError("--discrete \(item): UNITS must be a positive number (units counted per unit of \(name)'s value)")
            }
            return (name, units)
        }
    }

    /// A stochastic synapse: only the hybrid (its membrane and ions stay deterministic),
    /// with what it counts named, and the synapse outputs it does not write refused.
    func validateForSynapse(_ simulate: Simulate) throws {
        guard method == .hybrid else {
            throw ValidationError("--method \(method.rawValue) applies to pathways; a synapse's membrane and ion layer need --method hybrid (with --discrete VAR for what is counted)")
        }
        let s = simulate.synapseOptions
        guard s.protocol != nil else { throw ValidationError("a synapse needs --protocol NAME (see 'kinapse protocols')") }
        guard !discrete.isEmpty else {
            throw ValidationError("--method hybrid on a synapse needs --discrete VAR: the rate-rule variable counted in whole units (e.g. receptors)")
        }
        _ = try discreteVariables()
        if volume != nil || concentrationUnit != nil || perTrial || fastFirings != nil || fastMolecules != nil {
            throw ValidationError("--volume, --concentration-unit, --per-trial, --fast-firings and --fast-molecules apply to pathways; a synapse counts what --discrete names and writes one row per trial")
        }
        if s.summary != nil || s.readouts != nil || s.trialsOut != nil || s.plotSpecies != nil || s.sensitivities != nil || s.sensitivitiesOut != nil
            || s.checkSensitivities || s.checkJobs != nil || simulate.plot != nil || simulate.solver.nativeCode {
            throw ValidationError("with --method hybrid a synapse writes its trials to --out and their distribution to standard output; --summary, --readouts, --trials-out, --plot, --sensitivities and --native-code apply to --method ode")
        }
        guard (0...SynapseOptions.maximumTrials).contains(s.trials) else { throw ValidationError("--trials must be between 1 and \(SynapseOptions.maximumTrials) (got \(s.trials))") }
        if let jobs { guard jobs >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs))") } }
        try OutputCheck.refuseConflicts(s.outputs(of: simulate), inputs: [simulate.modelPath] + (simulate.params.map { [$0] } ?? []), force: simulate.force)
    }

    /// Checks a stochastic run of a pathway; the deterministic options it cannot honour are refused.
    func validate(for simulate: Simulate) throws {
        guard isStochastic else {
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to --method ssa, tau-leap or hybrid") }
            return
        }
        if method != .hybrid, fastFirings != nil || fastMolecules != nil { throw ValidationError("--fast-firings and --fast-molecules apply to --method hybrid") }
        for (option, value) in [("--fast-firings", fastFirings), ("--fast-molecules", fastMolecules)] {
            if let value, !(value >= 0) { throw ValidationError("\(option) must be non-negative (got \(value))") }
        }
        let s = simulate.synapseOptions
        if simulate.isSynapse { return try validateForSynapse(simulate) }
        if !discrete.isEmpty { throw ValidationError("--discrete applies to synapses: on a pathway the hybrid partitions reactions itself (--fast-firings, --fast-molecules)") }
        if s.protocol != nil || !s.blockers.isEmpty || s.summary != nil || s.readouts != nil || s.trialsOut != nil || s.plotSpecies != nil
            || s.sensitivities != nil || s.sensitivitiesOut != nil || s.checkSensitivities || s.checkJobs != nil {
            throw ValidationError("of the synapse options only --trials and --seed apply to --method \(method.rawValue)")
        }
        let p = simulate.pathwayOptions
        if p.settings != nil || p.allowNegative || p.repetitions != 1 {
            throw ValidationError("--settings, --allow-negative and --repeat apply to --method ode")
        }
        if simulate.solver.nativeCode { throw ValidationError("--native-code applies to --method ode: stochastic propensities run in their own evaluator") }
        if method != .hybrid, simulate.solver.rtol != nil || simulate.solver.atol != nil {
            throw ValidationError("--rtol and --atol apply to --method ode or hybrid: ssa and tau-leap integrate nothing")
        }
        guard (0...Self.maximumTrials).contains(s.trials) else { throw ValidationError("--trials must be between 1 and \(Self.maximumTrials) (got \(s.trials))") }
        if let bad = volume?.values.first(where: { !($0.isFinite && $0 > 0) }) { throw ValidationError("--volume must be positive (got \(bad))") }
        if let jobs { guard jobs >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs))") } }
    }
}

extension Simulate {
    /// Litres per unit of compartment size: from `--volume FL` directly, or from the named
    /// compartments' volumes over their model sizes, which must agree because the model's
    /// sizes fix the ratios of its volumes (its transport fluxes are written for them).
    static func litresPerSizeUnit(_ volume: StochasticOptions.Volume?, compiled: CompiledModel) throws -> Double {
        guard let volume, !volume.compartments.isEmpty else { return (volume?.femtolitres ?? 1) * 1e-15 }
        let probe = ModelInstance(compiled)
        probe.update(time: 0, state: probe.initialState())
        var scales: [(name: String, litres: Double)] = []
        for (name, fl) in volume.compartments {
            guard compiled.symbolKinds[name] == .compartment, let slot = compiled.symbols[name] else {
                let compartments = compiled.symbolKinds.filter { $0.value == .compartment }.map(\.key).sorted()
                throw DiagnosticsError(.error("--volume names '\(name)', which is not a compartment of the model",
                                              hint: Suggestions.didYouMean(name, among: compartments) ?? "compartments: \(compartments.joined(separator: ", "))"))
            }
            scales.append((name, fl * 1e-15 / probe.value(ofSlot: slot)))
        }
        let first = scales[0]
        if let other = scales.first(where: { abs($0.litres - first.litres) > 1e-9 * first.litres }) {
            throw DiagnosticsError(.error("--volume gives '\(first.name)' and '\(other.name)' volumes whose ratio differs from the ratio of their sizes in the model",
                                          hint: "name one compartment (the others scale with their sizes), or change the sizes in the model"))
        }
        return first.litres
    }

    /// `simulate PATHWAY --method ssa|tau-leap`: trials of the stochastic model, written as
    /// mean and SD per column (or every trial with --per-trial) through the CSV writer.
    func runStochastic() throws {
        let options = stochastic
        let tEnd = pathwayOptions.tEnd ?? 1
        let pathway = try ModelLoading.loadPathway(modelPath)
        let compiled = try ModelCompiler.compile(pathway)
        let scale = MoleculeScale(litresPerSizeUnit: try Self.litresPerSizeUnit(options.volume, compiled: compiled),
                                  molarPerConcentrationUnit: (options.concentrationUnit ?? .uM).molar)
        let model = try StochasticModel(pathway: pathway, compiled: compiled, scale: scale, continuousChange: options.method == .hybrid)
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

        var ensemble: StochasticEnsemble
        var hybrid: HybridModel?
        if options.method == .hybrid {
            var settings = HybridSettings()
            settings.firingsPerInterval = options.fastFirings ?? settings.firingsPerInterval
            settings.molecules = options.fastMolecules ?? settings.molecules
            settings.integrator = solver.applied(to: IntegratorOptions())
            let interval = grid.count > 1 ? (grid.end - grid.start) / Double(grid.count - 1) : tEnd
            hybrid = try HybridModel(pathway: pathway, stochastic: model, settings: settings, outputInterval: interval, overrides: overrides)
            ensemble = StochasticEnsemble(hybrid: hybrid!)
        } else {
            ensemble = StochasticEnsemble(model: model, method: options.method == .ssa ? .ssa : .tauLeap)
            ensemble.overrides = overrides
        }
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
            channels: \(model.channels.count) (\(mass) mass action)\(hybrid.map { "\nhybrid: \($0.jumpChannels.count) channels as jumps, reactions deterministic: \($0.continuousReactions.isEmpty ? "none" : $0.continuousReactions.map { pathway.reactions[$0].id }.joined(separator: ", "))" } ?? "")
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
