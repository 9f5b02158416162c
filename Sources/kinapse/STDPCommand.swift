import ArgumentParser
import ClusterRuns
import Foundation
import SourceDiagnostics
import CVODEIntegration
import Reporting
import InductionProtocols
import SynapseModel
import PathwayModel
import SynapseSimulation

struct STDP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdp",
        abstract: "Sweep the pre/post pairing interval and write the plasticity window as CSV.",
        discussion: """
        Runs the pairing protocol once per interval (post minus pre, in ms), on every
        core, and reports the change in IPSC amplitude (% of baseline) over the
        protocol's analysis window after pairing (20–30 min for the shipped pairing
        protocols). Pairs and rate are the protocol's own unless --pairs or --rate
        override them. Ctrl-C writes the intervals done, ending with a line
        '# partial: …'.

        Example:
          kinapse stdp Pathways/synapses/entorhinal_stellate_rig.toml \\
              --protocol haas_pairing --dt -30:30:1 --native-code --out window.csv
        """)

    @Argument(help: "Synapse definition (.toml), or a shipped synapse by name (see 'kinapse synapses').")
    var synapse: String

    /// The file `synapse` names: a path, or a shipped synapse by name.
    var synapsePath: String { LibraryLookup.resolve(synapse) ?? synapse }

    /// Intervals per sweep: each is a full protocol run (seconds of CPU), so 10 000 is
    /// already hours of work on a laptop.
    static let maximumIntervals = 10_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Pairing intervals in ms, post minus pre, as from:to:step (a leading minus is fine: --dt -100:100:5; at most \(STDP.maximumIntervals) intervals).", valueName: "FROM:TO:STEP"))
    var dt: String = "-100:100:5"

    // Optional, so that the protocol's own pairs and rate apply unless overridden.
    @Option(parsing: .unconditional, help: "Pairings per protocol, instead of the protocol's own (at most 10000).")
    var pairs: Int?

    @Option(parsing: .unconditional, help: "Pairing rate in Hz, instead of the protocol's own (at most 1000).")
    var rate: Double?

    @Option(help: ArgumentHelp("Base protocol with a pairing block (name or path).", valueName: "NAME"))
    var `protocol`: String = "pairing"

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Apply a blocker (repeatable).", valueName: "NAME"))
    var blockers: [String] = []

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Worker threads (default: every core).")
    var jobs: Int?

    @OptionGroup(title: "Solver")
    var solver: SolverOptions

    @Option(help: "Write the window as CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Also draw the window as SVG.", valueName: "FIG.svg"))
    var plot: String?

    @OptionGroup(title: "Job arrays")
    var sharding: ShardOptions

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Flag(help: "Replace read-only output files.")
    var force = false

    func validate() throws {
        try LibraryLookup.requireSynapse(synapse)
        let parts = dt.split(separator: ":", omittingEmptySubsequences: false).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 3, parts[2] > 0, parts[1] >= parts[0], (parts[1] - parts[0]) / parts[2] >= Double(Self.maximumIntervals) {
            throw ValidationError("--dt \(dt) is \(Int((parts[1] - parts[0]) / parts[2]) + 1) intervals, more than the limit of \(Self.maximumIntervals): each is a full protocol run; use a larger step")
        }
        guard let intervals = SpikeTimingSweep.parseRange(dt) else {
            throw ValidationError("--dt expects FROM:TO:STEP in ms with STEP > 0 and FROM <= TO, e.g. -100:100:5 (got '\(dt)')")
        }
        // As simulate's --dt: a step that does not reach TO would drop the window's end silently.
        if let last = intervals.last, abs(last - parts[1]) > 1e-9 * max(1, abs(parts[1])) {
            throw ValidationError("--dt \(dt): steps of \(String(format: "%g", parts[2])) ms from \(String(format: "%g", parts[0])) end at \(String(format: "%g", last)) ms, not at \(String(format: "%g", parts[1])); choose a step that divides the range")
        }
        if let pairs {
            guard pairs >= 1 else { throw ValidationError("--pairs must be positive (got \(pairs))") }
            guard pairs <= 10_000 else { throw ValidationError("--pairs \(pairs) is more than the limit of 10000: a protocol that long outlasts any recording") }
        }
        if let rate {
            guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be positive (got \(rate))") }
            guard rate <= 1000 else { throw ValidationError("--rate \(rate) Hz is more than the limit of 1000 Hz: pairings would overlap the 1 ms spikes") }
        }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        try OutputCheck.refuseConflicts(outputs, inputs: [synapsePath], force: force)
    }

    var outputs: [(option: String, path: String?)] { [("--out", out), ("--plot", plot), sharding.output] }

    /// The run's own stimulus check, before the sweep; where it fails (the default `pairing`
    /// needs a postsynaptic spike most rigs do not define), a note names the pairing protocols
    /// whose every stimulus this synapse defines.
    private func requireStimuli(of base: InductionProtocol, on synapse: SynapseDefinition, model: Pathway) throws {
        do { try SynapseRunner.checkStimuli(of: synapse, in: base, model: model) } catch {
            let runnable = InductionProtocols.ProtocolLocator.available(near: synapsePath).filter { name in
                guard let path = InductionProtocols.ProtocolLocator.find(name, near: synapsePath).path,
                      let p = try? ProtocolReader.read(path: path) else { return false }
                return p.pairingBlock != nil && p.induction.flatMap(\.stimulusNames).allSatisfy { synapse.stimuli[$0] != nil }
            }
            let note = runnable.isEmpty ? "synapse '\(synapse.name)' has no pairing protocol to run"
                : "pairing protocols synapse '\(synapse.name)' can run: \(runnable.joined(separator: ", ")) (--protocol NAME)"
            throw DiagnosticsError(error.diagnostics + [Diagnostic(.note, note, at: nil)])
        }
    }

    func run() throws {
        let definition = try SynapseReader.read(path: synapsePath)
        let model = try definition.loadModel()  // reads its imports, so they count as inputs below
        let base = try ProtocolReader.read(path: try ProtocolLocator.resolve(`protocol`, near: synapsePath))
        try OutputCheck.check(outputs, inputs: [definition.modelPath], force: force)
        try requireStimuli(of: base, on: definition, model: model)
        guard let block = base.pairingBlock, case .pairing(_, _, _, let ownPairs, let ownRate) = base.induction[block].pattern else {
            throw DiagnosticsError(.error("protocol '\(base.name)' has no pairing block to sweep", hint: "use a protocol with pattern = \"pairing\", e.g. pairing"))
        }
        let pairs = self.pairs ?? ownPairs, rate = self.rate ?? ownRate
        sharding.install(force: force)
        JobTimeline.mark("inputs read")
        let deltas = SpikeTimingSweep.parseRange(dt)!.map { $0 / 1000 }
        let progress = ProgressReporter(total: deltas.count, label: "stdp", quiet: quiet)
        // Ctrl-C (or SIGTERM): no new interval begins, those running finish, and the window
        // so far is written, marked partial.
        let interruption = InterruptedRun(message: "kinapse stdp: interrupted; finishing the intervals under way and writing those done")
        defer { interruption.finished() }
        let cancellation = interruption.cancellation
        var request = SynapseRunRequest(synapse: definition, model: model, protocolDefinition: base, blockers: blockers,
                                        options: solver.applied(to: definition.integratorOptions))
        request.nativeCode = solver.nativeCode
        let points = try SpikeTimingSweep.run(request, deltas: deltas, pairs: pairs, rate: rate,
                                              jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                              isCancelled: { cancellation.isCancelled }, progress: {
                                                  JobTimeline.mark("interval done")
                                                  progress.advance()
                                              })
        // A biophysical synapse also reports the E_GABA shift (mV), the readout of ionic plasticity.
        let shift = definition.isBiophysical
        var csv = "delta_t_ms,amplitude_change_percent,paired_pulse_ratio_change_percent,inverse_cv2_change_percent,receptor_change_percent,release_probability_change_percent,locus"
            + (shift ? ",e_gaba_shift_mV\n" : "\n")
        var failures: [Diagnostic] = []
        for p in points {
            let ms = String(format: "%g", (p.deltaT * 1000 * 1e6).rounded() / 1e6)
            guard let s = p.summary else {
                failures.append(.error("pairing at \(ms) ms failed: \(p.failure ?? "no summary")"))
                continue
            }
            csv += "\(ms),\(s.amplitudeChange),\(s.pairedPulseRatioChange),\(s.inverseCVSquaredChange),\(s.receptorChange),\(s.releaseProbabilityChange),\(s.locus.rawValue)"
                + (shift ? ",\(s.eGABAShift ?? .nan)\n" : "\n")
        }
        if points.count < deltas.count {
            csv += CSVWriter.partialMarker("interrupted after \(points.count) of \(deltas.count) intervals")
        }
        if let out {
            try OutputCheck.write(csv, to: out, option: "--out", force: force)
        } else {
            StandardOutput.write(csv)
        }
        if let plot {
            let blocked = blockers.isEmpty ? "" : ", blocked: \(blockers.joined(separator: ", "))"
            let name = definition.description.isEmpty ? definition.name : definition.description
            try PlotOutput.window(points, title: "\(name) — spike-timing window (\(pairs) pairs at \(String(format: "%g", rate)) Hz\(blocked))", to: plot, force: force)
        }
        if !failures.isEmpty { throw RunFailure(failures) }
    }
}
