import ArgumentParser
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
        Runs the pairing protocol once per interval (post minus pre, in ms), on every core,
        and reports the change in IPSC amplitude 20–30 min after pairing.

        Example:
          kinapse stdp Pathways/synapses/entorhinal_stellate.toml --dt -100:100:5 --pairs 60 --rate 1 --out window.csv
        """)

    @Argument(help: "Synapse definition (.toml).")
    var synapse: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Pairing intervals in ms, post minus pre, as from:to:step (a leading minus is fine: --dt -100:100:5).", valueName: "FROM:TO:STEP"))
    var dt: String = "-100:100:5"

    @Option(help: "Pairings per protocol.")
    var pairs: Int = 60

    @Option(help: "Pairing rate (Hz).")
    var rate: Double = 1

    @Option(help: ArgumentHelp("Base protocol with a pairing block (name or path).", valueName: "NAME"))
    var `protocol`: String = "pairing"

    @Option(name: .customLong("block"), parsing: .singleValue, help: ArgumentHelp("Apply a blocker (repeatable).", valueName: "NAME"))
    var blockers: [String] = []

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(help: "Worker threads (default: every core).")
    var jobs: Int?

    @Flag(name: .customLong("native-code"), help: ModelLoading.nativeCodeHelp)
    var nativeCode = false

    @Option(help: "Write the window as CSV here (atomically) instead of to standard output.")
    var out: String?

    @Option(help: ArgumentHelp("Also draw the window as SVG.", valueName: "FIG.svg"))
    var plot: String?

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        guard SpikeTimingSweep.parseRange(dt) != nil else {
            throw ValidationError("--dt expects FROM:TO:STEP in ms with STEP > 0 and FROM <= TO, e.g. -100:100:5 (got '\(dt)')")
        }
        guard pairs >= 1, pairs <= 10_000 else { throw ValidationError("--pairs must be between 1 and 10000") }
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be a positive frequency in Hz, at most 1000") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1") }
        try OutputCheck.refuseConflicts([("--out", out), ("--plot", plot)], inputs: [synapse])
    }

    func run() throws {
        let definition: SynapseDefinition
        let model: Pathway
        let base: InductionProtocol
        do {
            definition = try SynapseReader.read(path: synapse)
            model = try definition.loadModel()
            base = try ProtocolReader.read(path: try ProtocolLocator.resolve(`protocol`, near: synapse))
        } catch let error as DiagnosticsError {
            Console.report(error.diagnostics)
            throw Status.badInput
        }
        let deltas = SpikeTimingSweep.parseRange(dt)!.map { $0 / 1000 }
        let progress = ProgressReporter(total: deltas.count, label: "stdp", quiet: quiet)
        let points: [SpikeTimingPoint]
        do {
            points = try SpikeTimingSweep.run(synapse: definition, model: model, base: base, deltas: deltas, pairs: pairs, rate: rate,
                                              blockers: blockers, options: IntegratorOptions(), jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                              nativeCode: nativeCode, progress: { progress.advance() })
        } catch {
            switch error {
            case .diagnostics(let e): Console.report(e.diagnostics)
            case .request: Console.error("error: \(error)")
            }
            throw Status.badInput
        }
        var csv = "delta_t_ms,amplitude_change_percent,paired_pulse_ratio_change_percent,inverse_cv2_change_percent,receptor_change_percent,release_probability_change_percent,locus\n"
        var failed = false
        for p in points {
            let ms = String(format: "%g", (p.deltaT * 1000 * 1e6).rounded() / 1e6)
            guard let s = p.summary else {
                failed = true
                Console.error("error: pairing at \(ms) ms failed: \(p.failure ?? "no summary")")
                continue
            }
            csv += "\(ms),\(s.amplitudeChange),\(s.pairedPulseRatioChange),\(s.inverseCVSquaredChange),\(s.receptorChange),\(s.releaseProbabilityChange),\(s.locus.rawValue)\n"
        }
        if let out {
            do { try AtomicFile.write(csv, to: out) } catch {
                Console.error("error: \(error)")
                throw Status.badInput
            }
        } else {
            print(csv, terminator: "")
        }
        if let plot {
            let blocked = blockers.isEmpty ? "" : ", blocked: \(blockers.joined(separator: ", "))"
            try PlotOutput.window(points, title: "\(definition.name): spike-timing window (\(pairs) pairs at \(String(format: "%g", rate)) Hz\(blocked))", to: plot)
        }
        if failed { throw Status.simulationFailed }
    }
}
