import ArgumentParser
import Foundation
import SourceDiagnostics
import KineticsCore
import CVODEIntegration
import Reporting
import InductionProtocols
import SynapseModel
import PathwayModel
import SynapseSimulation
import StochasticSimulation
import KinapseUtilities

extension Simulate {
    /// `simulate SYNAPSE --protocol P --method hybrid --discrete VAR …`: the protocol run
    /// `--trials` times with each `--discrete` variable counted in whole units, its rate rule
    /// fired as jumps and everything else (membrane, ions, cascade) deterministic; writes
    /// every trial's amplitude change and prints their distribution.
    func runStochasticSynapse() throws {
        let options = stochastic
        let synapse = try SynapseReader.read(path: modelPath)
        let proto = try ProtocolReader.read(path: try ProtocolLocator.resolve(synapseOptions.protocol!, near: modelPath))
        if let dt { try Self.validateSynapseStep(dt, testInterval: proto.testInterval, protocolName: proto.name) }
        let drugs = try DrugArguments.parse(synapseOptions.drugs, blockers: synapseOptions.blockers)
        let pathway = try synapse.loadModel()
        var channels: [JumpSet.Channel] = []
        var counted: [String] = []
        for (name, units) in try options.discreteVariables() {
            guard let rule = pathway.rateRules.first(where: { $0.variable == name }) else {
                let candidates = pathway.rateRules.map(\.variable)
                throw DiagnosticsError(.error("--discrete \(name): the model of '\(modelPath)' has no rate rule for '\(name)'",
                                              hint: Suggestions.didYouMean(name, among: candidates) ?? "variables with rate rules: \(candidates.prefix(12).joined(separator: ", "))"))
            }
            channels += JumpSet.channels(splitting: rule, moleculesPerValue: units)
            counted.append(name)
        }
        try OutputCheck.check(synapseOptions.outputs(of: self), inputs: [synapse.modelPath], force: force)
        let jumps = JumpSet(channels: channels)
        let countedNames = Set(counted)
        var request = SynapseRunRequest(synapse: synapse, model: pathway, protocolDefinition: proto, blockers: synapseOptions.blockers,
                                        overrides: try overrides(names: Set(pathway.parameters.map(\.id) + pathway.species.map(\.id))),
                                        options: solver.applied(to: IntegratorOptions()), outputStep: dt)
        request.drugs = drugs
        // The counted variables move only by jumps in the protocol run; the settling before it stays deterministic.
        request.pathwayTransform = { p throws(DiagnosticsError) in try jumps.installed(in: p, counting: countedNames) }
        let prepared = try PreparedSynapseRun(request)
        let bound = jumps.bound(to: prepared.model)
        let trials = max(1, synapseOptions.trials)
        let seed = synapseOptions.seed
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = processCPUSeconds()
        let outcomes: [SynapseTrial?] = ParallelTasks.run(count: trials, jobs: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                                          makeState: { () throws(Never) in () }) { _, i in
            var generator = SeededGenerator(seed: StochasticEnsemble.trialSeed(seed, trial: i))
            let threshold = JumpSet.Bound.threshold(&generator)
            let action = JumpAction(bound, generator: generator)
            do throws(SynapseRunError) {
                let result = try prepared.run(protocolOverrides: [threshold], eventAction: action)
                if let failure = action.failure { return SynapseTrial(error: failure.description) }
                guard let summary = result.summary else { return SynapseTrial(error: result.failure?.description ?? "the run stopped early") }
                return SynapseTrial(baseline: summary.baseline.amplitude, after: summary.after.amplitude, change: summary.amplitudeChange,
                                    jumps: action.firings, unit: summary.amplitudeUnit)
            } catch {
                return SynapseTrial(error: error.description)
            }
        }
        var results: [SynapseTrial] = []
        for (i, outcome) in outcomes.enumerated() {
            guard let outcome else { break }
            if let error = outcome.error { throw ValidationError("trial \(i + 1) failed: \(error)") }
            results.append(outcome)
        }
        let unit = results.first?.unit ?? "pA"
        var csv = "trial,baseline_\(unit),after_\(unit),change_percent,jumps\n"
        for (i, r) in results.enumerated() { csv += "\(i + 1),\(r.baseline),\(r.after),\(r.change),\(r.jumps)\n" }
        if let out { try OutputCheck.write(csv, to: out, option: "--out", force: force) }
        let condition = DrugArguments.condition(blockers: synapseOptions.blockers, drugs: drugs)
        StandardOutput.write(Self.distributionTable(results.map(\.change), what: "amplitude change (%)", synapse: synapse.name,
                                                    protocolName: proto.name + (condition.isEmpty ? "" : ", \(condition)")))
        if stats {
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            Console.error("""
            method: hybrid (\(counted.joined(separator: ", ")) counted, \(channels.count) jump channels)
            trials: \(trials)
            jumps: \(results.map(\.jumps).reduce(0, +))
            wall time: \(String(format: "%.3f", seconds)) s
            cpu time: \(String(format: "%.3f", processCPUSeconds() - cpuStart)) s
            """)
        }
    }

    /// Mean, SD and quantiles of `values` (quantiles by linear interpolation between order
    /// statistics, Hyndman & Fan 1996 type 7, the default of R and NumPy).
    static func distributionTable(_ values: [Double], what: String, synapse: String, protocolName: String) -> String {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let sd = values.count > 1 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : 0
        let sorted = values.sorted()
        func quantile(_ p: Double) -> Double {
            let h = (n - 1) * p
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
        }
        var text = "\(synapse) — \(protocolName): \(what) over \(values.count) trials\n"
        text += String(format: "mean %.3f, SD %.3f\n", mean, sd)
        text += "quantile,value\n"
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] { text += String(format: "%g,%.4f\n", p, quantile(p)) }
        return text
    }
}

/// One stochastic trial of a synapse: the baseline and analysis-window amplitudes, or why it failed.
struct SynapseTrial: Sendable {
    var baseline = 0.0, after = 0.0, change = 0.0
    var jumps = 0
    var unit = "pA"
    var error: String?

    init(baseline: Double, after: Double, change: Double, jumps: Int, unit: String) {
        self.baseline = baseline; self.after = after; self.change = change; self.jumps = jumps; self.unit = unit
    }

    init(error: String) { self.error = error }
}
