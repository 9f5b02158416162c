import ArgumentParser
import Foundation
import SourceDiagnostics
import KineticsCore
import CVODEIntegration
import Simulation
import Reporting
import InductionProtocols
import SynapseModel
import PathwayModel
import SynapseSimulation

/// Options of `simulate` that only apply to synapse definitions.
struct SynapseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Protocol: a shipped name (e.g. tbs; see 'kinapse protocols') or a .toml path.", valueName: "NAME"))
    var `protocol`: String?

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Apply a blocker declared by the synapse (repeatable), e.g. --block L-NAME.", valueName: "NAME"))
    var blockers: [String] = []

    @Option(name: .customLong("drug"), parsing: .singleValue, help: DrugArguments.help)
    var drugs: [String] = []

    @Option(help: ArgumentHelp("Write the change caused by the protocol (baseline vs the analysis window) as CSV.", valueName: "FILE"))
    var summary: String?

    @Option(help: ArgumentHelp("Write one row per test stimulus (Pr, N, amplitude, CV, PPR, …) as CSV.", valueName: "FILE"))
    var readouts: String?

    @Flag(name: .customLong("test-traces"), help: "With --out, for a synapse with a [recording]: also write each test stimulus's trace (the samples every 'sampling' s around its spikes; 120,000 more rows for a 50-min protocol), not only the time course every --dt.")
    var testTraces = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Also draw N trial-by-trial responses per test stimulus (binomial release, gamma quanta) and write them to --trials-out (at most \(SynapseOptions.maximumTrials)). With --method ssa, tau-leap or hybrid on a pathway: the number of stochastic trials (at most \(StochasticOptions.maximumTrials)).", valueName: "N"))
    var trials: Int = 0

    @Option(name: .customLong("trials-out"), help: ArgumentHelp("CSV for the Monte Carlo trials: time, trial, amplitude_pA (or _mV) on a rig with a [recording]; time, trial, conductance_nS, current_pA on a quantal synapse.", valueName: "FILE"))
    var trialsOut: String?

    @Option(help: "Seed of the Monte Carlo trials, synaptic or --method ssa/tau-leap (the same seed gives the same trials).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Differentiate the readouts with respect to these model parameters (comma-separated, or 'all'): CVODES forward sensitivities, see docs/sensitivities.md.", valueName: "P,…"))
    var sensitivities: String?

    @Option(name: .customLong("sensitivities-out"), help: ArgumentHelp("CSV of the readout derivatives (time, phase, parameter, d amplitude %, d PPR, d mean conductance, d Pr, d N).", valueName: "FILE"))
    var sensitivitiesOut: String?

    @Flag(name: .customLong("check-sensitivities"), help: "Compare the sensitivities with central finite differences (tight tolerances; slow) and print the largest differences per parameter.")
    var checkSensitivities = false

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(name: .customLong("check-jobs"), help: ArgumentHelp("Worker threads for --check-sensitivities (default: every core).", valueName: "N"))
    var checkJobs: Int?

    @Option(name: .customLong("sensitivity-method"), help: ArgumentHelp("Benchmarking: staggered or simultaneous sensitivity correction.", visibility: .hidden))
    var sensitivityMethod: String = "staggered"

    @Option(name: .customLong("plot-species"), help: ArgumentHelp("Also draw these pathway species in the --plot figure, in a panel above Pr, N and the IPSC.", valueName: "ID,…"))
    var plotSpecies: String?

    /// Monte Carlo trials per test stimulus: 100 000 already pin a CV to a fraction of a
    /// percent, and each trial is a row per stimulus in --trials-out.
    static let maximumTrials = 100_000

    var plotSpeciesNames: [String] {
        (plotSpecies ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate(for simulate: Simulate) throws {
        guard `protocol` != nil else {
            throw ValidationError("a synapse needs --protocol NAME (see 'kinapse protocols')")
        }
        _ = try DrugArguments.parse(drugs, blockers: blockers)
        if let dt = simulate.dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be positive (got \(dt))") }
        guard trials >= 0 else { throw ValidationError("--trials must be positive (got \(trials))") }
        guard trials <= Self.maximumTrials else {
            throw ValidationError("--trials \(trials) is more than the limit of \(Self.maximumTrials): more trials do not sharpen the readouts further and only grow --trials-out")
        }
        if (trials > 0) != (trialsOut != nil) { throw ValidationError("--trials N and --trials-out FILE go together") }
        if sensitivitiesOut != nil && sensitivities == nil { throw ValidationError("--sensitivities-out needs --sensitivities P,… (or all)") }
        if testTraces && simulate.out == nil { throw ValidationError("--test-traces adds the test stimuli's traces to --out FILE; give --out") }
        if let checkJobs {
            guard checkSensitivities else { throw ValidationError("--check-jobs goes with --check-sensitivities") }
            guard checkJobs >= 1 else { throw ValidationError("--check-jobs must be positive (got \(checkJobs))") }
        }
        guard ["staggered", "simultaneous"].contains(sensitivityMethod) else { throw ValidationError("--sensitivity-method is staggered or simultaneous") }
        if plotSpecies != nil, simulate.plot == nil { throw ValidationError("--plot-species needs --plot FIG.svg") }
        if plotSpecies != nil, plotSpeciesNames.isEmpty { throw ValidationError("--plot-species expects species names, e.g. --plot-species NOS_NO,NOS_cGMP") }
        try OutputCheck.refuseConflicts(outputs(of: simulate), inputs: [simulate.modelPath] + (simulate.params.map { [$0] } ?? []), force: simulate.force)
    }

    func outputs(of simulate: Simulate) -> [(option: String, path: String?)] {
        [("--out", simulate.out), ("--summary", summary), ("--readouts", readouts), ("--trials-out", trialsOut), ("--plot", simulate.plot), ("--sensitivities-out", sensitivitiesOut)]
    }

    func rejectForPathway() throws {
        if `protocol` != nil || !blockers.isEmpty || !drugs.isEmpty || summary != nil || readouts != nil || trials > 0 || trialsOut != nil || plotSpecies != nil
            || sensitivities != nil || sensitivitiesOut != nil || checkSensitivities || checkJobs != nil || testTraces {
            throw ValidationError("--protocol, --block, --drug, --summary, --readouts, --test-traces, --trials, --plot-species and --sensitivities apply to synapse definitions (.toml)")
        }
    }
}

/// `kinapse simulate SYNAPSE.toml --protocol NAME …`
struct SynapseCommand {
    let options: SynapseOptions
    let simulate: Simulate

    func run() throws {
        let synapse = try SynapseReader.read(path: simulate.modelPath)
        let proto = try ProtocolReader.read(path: try ProtocolLocator.resolve(options.protocol!, near: simulate.modelPath))
        if let dt = simulate.dt { try Simulate.validateSynapseStep(dt, testInterval: proto.testInterval, protocolName: proto.name) }
        let drugs = try DrugArguments.parse(options.drugs, blockers: options.blockers)
        // Read the synapse's pathway (and its imports) now, so that outputs and --plot-species
        // are checked against it before the run.
        let model = try synapse.loadModel()
        try checkPlotSpecies(model, synapse)
        try OutputCheck.check(options.outputs(of: simulate), inputs: [synapse.modelPath], force: simulate.force)
        let integrator = simulate.solver.applied(to: synapse.integratorOptions)
        var request = SynapseRunRequest(synapse: synapse, model: model, protocolDefinition: proto, blockers: options.blockers,
                                        overrides: try simulate.overrides(names: modelNames(model)), options: integrator, outputStep: simulate.dt)
        request.drugs = drugs
        request.sensitivityMethod = options.sensitivityMethod == "simultaneous" ? .simultaneous : .staggered
        request.nativeCode = simulate.solver.nativeCode
        // The traces go to --out with --test-traces, and into the figure with --plot-species.
        request.recordsTestTraces = options.testTraces || !options.plotSpeciesNames.isEmpty
        let clock = ContinuousClock()
        let start = clock.now
        if let list = options.sensitivities {
            let prepared = try PreparedSynapseRun(request)
            request.sensitivityParameters = list == "all" ? prepared.sensitivityCandidates
                : list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if options.checkSensitivities {
            return try checkSensitivities(request)
        }
        let result = try SynapseRunner.run(request)
        let elapsed = clock.now - start

        if let out = simulate.out {
            try OutputCheck.write(to: out, option: "--out", force: simulate.force) { file in
                CSVWriter.write(result.trajectory, only: options.testTraces ? nil : result.timeCourseRows, to: &file)
                if let failure = result.failure { file.write(CSVWriter.partialMarker(failure.summary)) }
            }
        }
        if let path = options.readouts { try write(SynapseReports.readoutsCSV(result.readouts, protocolDefinition: proto), to: path, option: "--readouts") }
        if let path = options.summary, let summary = result.summary {
            try write(SynapseReports.summaryCSV(summary) + DrugArguments.conditionRow(blockers: options.blockers, drugs: drugs, biophysical: summary.eGABAShift != nil),
                      to: path, option: "--summary")
        }
        if let path = options.sensitivitiesOut {
            try write(SynapseReports.readoutSensitivitiesCSV(result.readouts, parameters: request.sensitivityParameters), to: path, option: "--sensitivities-out")
        }
        if let path = options.trialsOut {
            try write(SynapseReports.trialsCSV(result.readouts, release: synapse.release, trials: options.trials, seed: options.seed), to: path, option: "--trials-out")
        }
        let condition = DrugArguments.condition(blockers: options.blockers, drugs: drugs)
        if let plot = simulate.plot {
            // The synapse's own description names the figure; the file name only when it has none.
            let title = (synapse.description.isEmpty ? synapse.name : synapse.description) + " — \(proto.name)" + (condition.isEmpty ? "" : ", \(condition)")
            try PlotOutput.synapse(result, title: title, protocolDefinition: proto, species: options.plotSpeciesNames, to: plot, force: simulate.force)
        }
        StandardOutput.write(SynapseReports.summaryTable(result, synapse: synapse, protocolDefinition: proto, condition: condition))
        if simulate.stats {
            let s = result.statistics
            let c = elapsed.components
            Console.error("""
            steps: \(s.steps)
            rhs evaluations: \(s.rhsEvaluations)
            jacobian evaluations: \(s.jacobianEvaluations)
            reinitialisations: \(s.reinitialisations)
            events executed: \(result.eventsExecuted)
            total time: \(String(format: "%.6f", Double(c.seconds) + Double(c.attoseconds) * 1e-18)) s
            """)
        }
        if let failure = result.failure { throw failure }
    }

    /// `--check-sensitivities`: forward sensitivities against central differences on this synapse and protocol.
    private func checkSensitivities(_ request: SynapseRunRequest) throws(SynapseRunError) {
        let parameters = request.sensitivityParameters.isEmpty ? nil : request.sensitivityParameters
        let report = try FiniteDifferenceCheck.run(request, parameters: parameters,
                                                   jobs: options.checkJobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let tolerances = FiniteDifferenceCheck.options(for: request)
        print(String(format: "run with %d sensitivities: %.3f s; plain run: %.3f s (rtol %g, atol %g)",
                     report.parameters.count, report.sensitivityRunTime, report.plainRunTime,
                     tolerances.relativeTolerance, tolerances.absoluteTolerance))
        print("parameter,value,comparisons,worst_relative_difference,worst_tolerance_ratio,failures,worst")
        for p in report.parameters {
            print("\(p.parameter),\(p.value),\(p.comparisons),\(p.worstRelative),\(p.worstRatio),\(p.failures.count),\"\(p.worstWhat)\"")
        }
        print("worst relative difference \(report.worstRelative), worst tolerance ratio \(report.worstRatio), \(report.failures.count) comparisons outside |s − fd| ≤ 1e-4·max(|s|,|fd|) + floor")
        if !report.failures.isEmpty {
            for f in report.failures.prefix(10) { Console.error("mismatch: \(f)") }
        }
    }

    /// Names `--params` may set: the synapse model's parameters, species and compartments.
    private func modelNames(_ pathway: Pathway) -> Set<String> {
        guard simulate.params != nil else { return [] }
        return SynapseRunner.definedNames(pathway)
    }

    /// `--plot-species` names what the run writes (floating species, Pr, N), checked before the run.
    private func checkPlotSpecies(_ pathway: Pathway, _ synapse: SynapseDefinition) throws {
        var drawable = pathway.species.filter { !$0.isBoundary && !$0.isConstant }.map(\.id)
            + [synapse.releaseProbability.value, synapse.receptors.value]
        if let recording = synapse.recording {
            // A cell's voltages, gates and ion concentrations are rate rules; the rig's readouts are written too.
            drawable = pathway.species.filter { !$0.isBoundary && !$0.isConstant }.map(\.id) + pathway.rateRules.map(\.variable)
                + Recording.Readout.allCases.map { recording.readouts[$0]!.value } + [synapse.receptors.value]
        }
        for name in options.plotSpeciesNames where !drawable.contains(name) {
            let hint = Suggestions.didYouMean(name, among: drawable) ?? "species of \(synapse.modelPath): \(drawable.joined(separator: ", "))"
            throw DiagnosticsError(.error("--plot-species: no column '\(name)' in the run (\(synapse.isBiophysical ? "the states of '\(pathway.name)' and the recording's readouts" : "the floating species of '\(pathway.name)', Pr and N"))", hint: hint))
        }
    }

    private func write(_ text: String, to path: String, option: String) throws {
        try OutputCheck.write(text, to: path, option: option, force: simulate.force)
    }
}

/// Protocol files by name (`InductionProtocols.ProtocolLocator`), or an error naming every place tried.
enum ProtocolLocator {
    static func resolve(_ name: String, near synapsePath: String?) throws(DiagnosticsError) -> String {
        let (path, known) = InductionProtocols.ProtocolLocator.find(name, near: synapsePath)
        if let path { return path }
        let hint = Suggestions.didYouMean(name, among: known) ?? (known.isEmpty ? "no protocols found in any library directory" : "protocols: \(known.joined(separator: ", "))")
        let tried = InductionProtocols.ProtocolLocator.candidates(name, near: synapsePath)
        throw DiagnosticsError(.error("no protocol '\(name)'; looked for:\n  \(tried.joined(separator: "\n  "))", hint: hint))
    }
}
