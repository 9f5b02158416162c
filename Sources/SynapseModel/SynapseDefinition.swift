public import SourceDiagnostics
import ConfigFiles
import Foundation

/// A synapse: a kinetic model (an Antimony file composing pathways and defining the
/// release probability and receptor number as assignment rules), the quantal release
/// model, how stimuli reach the pathways, and the drugs that can be applied.
/// Read from `Pathways/synapses/*.toml` (docs/file-formats.md).
public struct SynapseDefinition: Sendable {
    public var name: String
    public var description: String
    /// Path of the Antimony model, resolved against the synapse file's directory.
    public var modelPath: String
    public var modelPathRange: SourceRange?
    /// Model symbols holding Pr and N.
    public var releaseProbability: Located<String>
    public var receptors: Located<String>
    public var release: ReleaseModel
    public var stimuli: [String: StimulusMapping]
    public var blockers: [String: Blocker]
    /// The rig of a biophysical synapse (a `[recording]` table): its test stimuli are spikes
    /// simulated through the model and read from the recorded current or voltage. Without
    /// one, Pr and N at each test time go through the quantal model (`release`).
    public var recording: Recording?
    /// The solver tolerances of this synapse's runs (`[solver]`), where the command line
    /// gives none; nil keeps the library's defaults.
    public var solver = SolverTolerances()
    public var source: SourceFile?

    /// `[solver] rtol`, `atol` and `jacobian_steps`: a synapse whose states are all of order one or more (mV,
    /// µM, fractions of channels) needs no absolute tolerance of 1e-12.
    public struct SolverTolerances: Sendable {
        public var relative: Double?
        public var absolute: Double?
        /// `[solver] jacobian_steps`: the most steps the Newton iteration keeps one Jacobian
        /// (`IntegratorOptions.stepsPerJacobian`); nil: the solver's default.
        public var stepsPerJacobian: Int?
        public init(relative: Double? = nil, absolute: Double? = nil, stepsPerJacobian: Int? = nil) {
            self.relative = relative; self.absolute = absolute; self.stepsPerJacobian = stepsPerJacobian
        }
    }

    public var isBiophysical: Bool { recording != nil }

    /// How one kind of stimulus acts on the pathways.
    public struct StimulusMapping: Sendable {
        public enum Action: Sendable {
            /// `target = target + amount` at each pulse.
            case increment(target: Located<String>, amount: Amount)
            /// `target = value` while the stimulus lasts, then back to its initial value.
            case hold(target: Located<String>, value: Amount)
            /// `target += amount` for `width` s from each pulse (a current injection that fires a
            /// spike), or for the whole of a protocol's step when `width` is nil (a current or
            /// command step). Additions, so stimuli at one instant all apply.
            case square(target: Located<String>, amount: Amount, width: Double?)

            /// A square step held for the protocol's step rather than a set width.
            public var isHeldSquare: Bool { if case .square(_, _, nil) = self { true } else { false } }
        }
        public var name: String
        public var description: String
        public var actions: [Action]
        public var range: SourceRange?
    }

    /// A number, or the name of a model parameter holding it (with where it is written).
    public enum Amount: Sendable, Hashable {
        case number(Double)
        case parameter(String, SourceRange? = nil)
    }

    public struct Blocker: Sendable {
        public var name: String
        public var description: String
        /// Values set for the whole simulation (target, value).
        public var settings: [(target: Located<String>, value: Double)]
        /// The concentration (µM) `--block` applies: the one the synapse's source used.
        public var concentration: Double?
        /// Half-maximal concentration (µM) and Hill coefficient of the drug at its target, when
        /// known: the settings then act in proportion to occupancy C^h/(C^h + IC50^h) (each
        /// target moves that fraction of the way from its unblocked value to its set value),
        /// so any concentration can be applied (`--drug NAME=C`). Without them the block is
        /// all or none.
        public var ic50: Double?
        public var hill: Double = 1
        /// Where the drug is applied: the bath (every cell and terminal) or the recording
        /// pipette (the recorded cell only); its targets say where it acts.
        public var route: Route = .bath
        public var range: SourceRange?
        /// The drugs of the library (`DrugLibrary`) the blocker applies, by their library
        /// names (several for a mixture); empty for a manipulation of the synapse's own.
        public var drugs: [String] = []
        /// The target whose ic50 and hill grade the block (`target = "…"`, or the drug's only one).
        public var target: String?
        /// Where the ic50 used is written: the library's entry, or the synapse's own.
        public var ic50Range: SourceRange?

        public enum Route: String, Sendable, CaseIterable { case bath, pipette }

        /// The fraction of its full effect the drug has at `concentration` (µM): the receptor
        /// occupancy of the Hill equation, or 1 for an all-or-none block.
        public func fraction(at concentration: Double) -> Double {
            guard let ic50 else { return 1 }
            let x = Foundation.pow(concentration / ic50, hill)
            return x.isInfinite ? 1 : x / (1 + x)
        }
    }
}

/// A value with the place it was written.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var range: SourceRange?
    public init(_ value: Value, _ range: SourceRange?) {
        self.value = value
        self.range = range
    }
}

public enum SynapseReader {
    public static func read(path: String) throws(DiagnosticsError) -> SynapseDefinition {
        try read(SourceFile.read(path: path))
    }

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> SynapseDefinition {
        let root = try ConfigReader.read(file)
        var d = DiagnosticCollector()
        var top = TableReader(root, name: "the synapse")
        let description = top.string("description", required: false, diagnostics: &d)?.0 ?? ""
        let model = top.string("model", diagnostics: &d)
        let pr = top.string("release_probability", required: false, diagnostics: &d) ?? ("Pr", nil)
        let n = top.string("receptors", required: false, diagnostics: &d) ?? ("N", nil)

        var recording: Recording?
        if var table = top.table("recording", diagnostics: &d) {
            recording = Recording.read(&table, &d)
            table.finish(diagnostics: &d)
        }
        var releaseTable = top.table("release", required: true, diagnostics: &d)
        var release = ReleaseModel(sites: 1, quantalSize: 1, referenceReceptors: 1, tauRecovery: 0)
        if var r = releaseTable, recording != nil {
            // The spikes give the mean response, Pr and the PPR; the quantal model adds only the
            // trial-to-trial variability (binomial sites, quantal CV) for 1/CV².
            release.sites = r.integer("sites", minimum: 1, diagnostics: &d) ?? 1
            release.quantalCV = r.number("quantal_cv", default: 0, minimum: 0, maximum: 2, diagnostics: &d) ?? 0
            for e in r.table.entries where ["quantal_size", "reference_receptors", "tau_recovery", "tau_facilitation",
                                             "holding_potential", "reversal_potential"].contains(e.key) {
                _ = r.value(e.key)
                d.add(Diagnostic(.error, "'\(e.key)' is simulated in a synapse with a [recording]: the model gives the IPSC, its reversal and its short-term plasticity",
                                 at: e.keyRange, hints: ["remove it; [release] of a biophysical synapse takes only 'sites' and 'quantal_cv'"
                                                         + (e.key == "holding_potential" ? " (the holding potential is [recording] holding_potential)" : "")]))
            }
            r.finish(diagnostics: &d)
            releaseTable = r
        } else if var r = releaseTable {
            release.sites = r.integer("sites", minimum: 1, diagnostics: &d) ?? 1
            release.quantalSize = r.number("quantal_size", minimum: 0, exclusiveMinimum: true, diagnostics: &d) ?? 1
            release.referenceReceptors = r.number("reference_receptors", minimum: 0, exclusiveMinimum: true, diagnostics: &d) ?? 1
            release.quantalCV = r.number("quantal_cv", default: 0, minimum: 0, maximum: 2, diagnostics: &d) ?? 0
            release.tauRecovery = r.number("tau_recovery", minimum: 0, diagnostics: &d) ?? 0
            release.tauFacilitation = r.number("tau_facilitation", default: 0, minimum: 0, diagnostics: &d) ?? 0
            release.holdingPotential = r.number("holding_potential", default: -70, minimum: -150, maximum: 100, diagnostics: &d) ?? -70
            release.reversalPotential = r.number("reversal_potential", default: -55, minimum: -150, maximum: 100, diagnostics: &d) ?? -55
            UnitSlip.refuseVolts("holding_potential", release.holdingPotential, in: r, &d)
            UnitSlip.refuseVolts("reversal_potential", release.reversalPotential, in: r, &d)
            r.finish(diagnostics: &d)
            releaseTable = r
        }

        var stimuli: [String: SynapseDefinition.StimulusMapping] = [:]
        if var table = top.table("stimuli", diagnostics: &d) {
            for entry in table.table.entries {
                guard var s = table.table(entry.key, diagnostics: &d) else { continue }
                stimuli[entry.key] = readStimulus(entry.key, &s, range: entry.keyRange, &d)
                s.finish(diagnostics: &d)
            }
            table.finish(diagnostics: &d)
        }
        var blockers: [String: SynapseDefinition.Blocker] = [:]
        if var table = top.table("blockers", diagnostics: &d) {
            // The library is read only for a synapse that applies drugs; its own errors point into it.
            let library = try table.table.entries.isEmpty ? nil : DrugLibrary.locate(forSynapseAt: file.path).map(DrugLibrary.read(path:))
            for entry in table.table.entries {
                guard var b = table.table(entry.key, diagnostics: &d) else { continue }
                if let blocker = readBlocker(entry.key, &b, range: entry.keyRange, library: library, &d) { blockers[entry.key] = blocker }
                b.finish(diagnostics: &d)
            }
            table.finish(diagnostics: &d)
        }
        var solver = SynapseDefinition.SolverTolerances()
        if var table = top.table("solver", diagnostics: &d) {
            // A NaN default marks a key left out (a written value is finite or refused).
            solver.relative = table.number("rtol", default: .nan, minimum: 0, maximum: 0.1, exclusiveMinimum: true, diagnostics: &d)
            solver.absolute = table.number("atol", default: .nan, minimum: 0, maximum: 1, exclusiveMinimum: true, diagnostics: &d)
            if solver.relative?.isNaN == true { solver.relative = nil }
            if solver.absolute?.isNaN == true { solver.absolute = nil }
            // -1 marks the key left out (a written value must be at least 1).
            solver.stepsPerJacobian = table.integer("jacobian_steps", default: -1, minimum: 1, diagnostics: &d)
            if solver.stepsPerJacobian == -1 { solver.stepsPerJacobian = nil }
            table.finish(diagnostics: &d)
        }
        top.finish(diagnostics: &d)
        try d.throwIfErrors()

        let directory = PathName.directory(of: file.path)
        let modelPath = model.map { resolveModel($0.0, from: directory) } ?? ""
        let name = ((file.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return SynapseDefinition(name: name, description: description, modelPath: modelPath, modelPathRange: model?.1,
                                 releaseProbability: Located(pr.0, pr.1), receptors: Located(n.0, n.1),
                                 release: release, stimuli: stimuli, blockers: blockers, recording: recording, solver: solver, source: file)
    }

    /// `model = "x.ant"` names a file beside the synapse file; a copied synapse file whose
    /// pathway is not beside it finds the shipped one in the library (`LibraryPath`).
    static func resolveModel(_ written: String, from directory: String) -> String {
        if written.hasPrefix("/") { return written }
        let beside = (directory as NSString).appendingPathComponent(written)
        if FileManager.default.fileExists(atPath: beside) { return beside }
        return LibraryPath.find("synapses/" + written).path ?? LibraryPath.find(written).path ?? beside
    }

    static func readStimulus(_ name: String, _ t: inout TableReader, range: SourceRange, _ d: inout DiagnosticCollector) -> SynapseDefinition.StimulusMapping {
        let description = t.string("description", required: false, diagnostics: &d)?.0 ?? ""
        var actions: [SynapseDefinition.StimulusMapping.Action] = []
        for (key, isHold) in [("increments", false), ("hold", true)] {
            guard let v = t.value(key) else { continue }
            guard case .table(let table) = v.kind, !table.entries.isEmpty else {
                d.error("'\(key)' must be a table, e.g. \(key) = { Ca = \"dCa\" }", at: v.range)
                continue
            }
            for e in table.entries {
                let amount: SynapseDefinition.Amount
                switch e.value.kind {
                case .number(let x) where x.isFinite: amount = .number(x)
                case .string(let p): amount = .parameter(p, e.value.range)
                default:
                    d.error("'\(e.key)' must be a number or the name of a model parameter", at: e.value.range)
                    continue
                }
                let target = Located(e.key, e.keyRange)
                actions.append(isHold ? .hold(target: target, value: amount) : .increment(target: target, amount: amount))
            }
        }
        if let v = t.value("step") {
            if case .table(let table) = v.kind, !table.entries.isEmpty {
                var i = TableReader(table, name: "'step' of stimulus '\(name)'")
                let target = i.string("target", diagnostics: &d)
                let width = i.number("width", default: .infinity, minimum: 0, maximum: 10, exclusiveMinimum: true, diagnostics: &d)
                var amount: SynapseDefinition.Amount?
                switch i.value("amplitude")?.kind {
                case .number(let x) where x.isFinite: amount = .number(x)
                case .string(let p): amount = .parameter(p, table["amplitude"]?.range)
                case nil: d.error("'step' of stimulus '\(name)' needs 'amplitude' (a number, or the name of a model parameter)", at: v.range)
                default: d.error("'amplitude' must be a number or the name of a model parameter", at: table["amplitude"]?.range ?? v.range)
                }
                i.finish(diagnostics: &d)
                if let target, let amount, let width {
                    actions.append(.square(target: Located(target.0, target.1), amount: amount, width: width.isFinite ? width : nil))
                }
            } else {
                d.error("'step' must be a table, e.g. step = { target = \"pre_I_stim\", amplitude = 20, width = 0.0005 }", at: v.range)
            }
        }
        if actions.isEmpty {
            d.error("stimulus '\(name)' does nothing: give it 'increments = { … }' (pulses), 'hold = { … }' (periods) or 'step = { target, amplitude, width }' (current injections, command steps)", at: range)
        }
        return .init(name: name, description: description, actions: actions, range: range)
    }
}
