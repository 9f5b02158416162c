public import SourceDiagnostics
import ConfigFiles

/// How a biophysical synapse is recorded: the rig of the source paper (a `[recording]` table,
/// docs/file-formats.md). Its settings become values of the model's electrode, pipette and
/// channel parameters, and its readouts name the model symbols a recording shows.
public struct Recording: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case voltageClamp = "voltage_clamp", currentClamp = "current_clamp"
    }
    public enum Configuration: String, Sendable, CaseIterable {
        /// The pipette dialyses the cell: its Cl⁻ and Ca²⁺ buffer replace the cell's own.
        case wholeCell = "whole_cell"
        /// Gramicidin-perforated patch: the cell keeps its own Cl⁻ and Ca²⁺ handling.
        case perforated
    }
    /// Exogenous Ca²⁺ buffer in the pipette.
    public enum Buffer: String, Sendable, CaseIterable {
        case none, BAPTA, EGTA

        /// Binding rates (on: 1/(µM·s), off: 1/s). BAPTA: k_on 4·10⁸ M⁻¹s⁻¹ (Naraghi 1997 Cell
        /// Calcium 22:255) and K_d 0.22 µM, the values of `CaShell` in Pathways/cells/components.ant;
        /// EGTA: k_on 1.05·10⁷ M⁻¹s⁻¹ [Naraghi97] and K_d 70 nM (Naraghi & Neher 1997 J Neurosci
        /// 17:6961), so EGTA binds 40 times more slowly at a similar affinity.
        public var rates: (on: Double, off: Double) {
            switch self {
            case .none, .BAPTA: (400, 88)
            case .EGTA: (10.5, 0.735)
            }
        }
    }

    /// What a recording reads from the model.
    public enum Readout: String, Sendable, CaseIterable {
        /// Electrode current, pA, outward positive (the IPSC in voltage clamp).
        case current
        /// Membrane potential, mV (the IPSP in current clamp).
        case voltage
        /// GABA-A reversal potential, mV.
        case eGABA = "e_gaba"
        /// Intracellular Cl⁻, mM.
        case chloride
        /// Cumulative released fraction of the terminal's release sites (its increment over one
        /// spike is the release probability).
        case released
    }

    /// The model parameters the rig sets.
    public enum Setting: String, Sendable, CaseIterable {
        case clampMode = "clamp_mode", commandPotential = "command_potential", injectedCurrent = "injected_current"
        case chlorideDialysis = "chloride_dialysis", pipetteChloride = "pipette_chloride"
        case calciumDialysis = "calcium_dialysis", pipetteBuffer = "pipette_buffer"
        case bufferOnRate = "buffer_on_rate", bufferOffRate = "buffer_off_rate"
        case spikeGain = "spike_gain"
    }

    public var mode: Mode
    public var configuration: Configuration
    /// mV, the voltage-clamp command (voltage clamp only).
    public var holdingPotential: Double
    /// pA injected in current clamp (0: at rest).
    public var holdingCurrent: Double
    /// mM of Cl⁻ in the pipette (reaches the cell in whole-cell only).
    public var pipetteChloride: Double
    public var buffer: Buffer
    /// mM of `buffer` in the pipette.
    public var bufferConcentration: Double
    /// Cs⁺ and QX-314 in the pipette block the cell's Na⁺ and K⁺ channels.
    public var csQX314: Bool
    /// The synapse's stimulus that the protocol's test stimuli fire (a pair each time).
    public var testStimulus: Located<String>
    /// s the unstimulated rig settles after break-in before the baseline starts.
    public var settle: Double
    /// s between output points in the window after each test pulse.
    public var sampling: Double
    /// s after each test pulse searched for the peak.
    public var window: Double
    /// Model symbol of each readout.
    public var readouts: [Readout: Located<String>]
    /// Model parameter of each setting.
    public var parameters: [Setting: Located<String>]
    public var range: SourceRange?

    /// The value each model parameter takes in this configuration.
    public var values: [(setting: Setting, value: Double)] {
        let dialysed = configuration == .wholeCell
        let rates = buffer.rates
        return [
            (.clampMode, mode == .voltageClamp ? 1 : 0),
            (.commandPotential, holdingPotential),
            (.injectedCurrent, mode == .currentClamp ? holdingCurrent : 0),
            (.chlorideDialysis, dialysed ? 1 : 0),
            (.pipetteChloride, pipetteChloride),
            (.calciumDialysis, dialysed ? 1 : 0),
            (.pipetteBuffer, buffer == .none ? 0 : 1000 * bufferConcentration),   // mM → µM
            (.bufferOnRate, rates.on),
            (.bufferOffRate, rates.off),
            (.spikeGain, csQX314 ? 0 : 1),
        ]
    }

    /// One line for listings: "whole-cell voltage clamp at -40 mV, 4 mM Cl- pipette, Cs+/QX-314".
    public var summary: String {
        var parts = [(configuration == .wholeCell ? "whole-cell " : "perforated-patch ")
                     + (mode == .voltageClamp ? "voltage clamp at \(NumberText.plain(holdingPotential)) mV"
                        : "current clamp" + (holdingCurrent == 0 ? "" : " with \(NumberText.plain(holdingCurrent)) pA"))]
        if configuration == .wholeCell {
            parts.append("\(NumberText.plain(pipetteChloride)) mM Cl- pipette")
            if buffer != .none { parts.append("\(NumberText.plain(bufferConcentration)) mM \(buffer.rawValue)") }
            if csQX314 { parts.append("Cs+/QX-314") }
        }
        return parts.joined(separator: ", ")
    }

    /// The default model symbol of each readout and setting, for a cell submodel named `cell`
    /// and a terminal named `terminal` built from Pathways/cells/components.ant.
    static func defaultSymbol(_ readout: Readout, cell: String, terminal: String) -> String {
        switch readout {
        case .current: "\(cell)_soma_el_I"
        case .voltage: "\(cell)_V"
        case .eGABA: "\(cell)_soma_gabaa_E_GABA"
        case .chloride: "\(cell)_soma_Cl_i"
        case .released: "\(terminal)_released"
        }
    }

    static func defaultSymbol(_ setting: Setting, cell: String) -> String {
        switch setting {
        case .clampMode: "\(cell)_soma_el_mode"
        case .commandPotential: "\(cell)_soma_el_V_cmd"
        case .injectedCurrent: "\(cell)_soma_el_I_inj"
        case .chlorideDialysis: "\(cell)_soma_cl_dialysis"
        case .pipetteChloride: "\(cell)_soma_cl_Cl_pip"
        case .calciumDialysis: "\(cell)_soma_ca_dialysis"
        case .pipetteBuffer: "\(cell)_soma_ca_B_pip"
        case .bufferOnRate: "\(cell)_soma_ca_kon_B"
        case .bufferOffRate: "\(cell)_soma_ca_koff_B"
        case .spikeGain: "\(cell)_ch_spike_gain"
        }
    }

    /// Reads a `[recording]` table.
    static func read(_ t: inout TableReader, _ d: inout DiagnosticCollector) -> Recording {
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ fallback: T) -> T where T.RawValue == String {
            guard let (text, range) = t.string(key, required: false, diagnostics: &d) else { return fallback }
            if let value = T(rawValue: text) { return value }
            let names = T.allCases.map(\.rawValue)
            d.add(Diagnostic(.error, "'\(key)' must be one of \(names.map { "\"\($0)\"" }.joined(separator: ", ")) (got \"\(text)\")",
                             at: range, hints: Suggestions.didYouMean(text, among: names).map { [$0] } ?? []))
            return fallback
        }
        let mode: Mode = choice("mode", .voltageClamp)
        let configuration: Configuration = choice("configuration", .wholeCell)
        let holding = t.number("holding_potential", default: mode == .voltageClamp ? nil : -70, minimum: -150, maximum: 100, diagnostics: &d) ?? -70
        UnitSlip.refuseVolts("holding_potential", holding, in: t, &d)
        let holdingCurrent = t.number("holding_current", default: 0, minimum: -5000, maximum: 5000, diagnostics: &d) ?? 0
        if mode == .voltageClamp, let v = t.table.entries.first(where: { $0.key == "holding_current" }) {
            d.add(Diagnostic(.error, "'holding_current' applies to current clamp; in voltage clamp the holding potential sets the current",
                             at: v.keyRange, hints: ["remove it, or set mode = \"current_clamp\""]))
        }
        if mode == .currentClamp, let v = t.table.entries.first(where: { $0.key == "holding_potential" }) {
            d.add(Diagnostic(.error, "'holding_potential' applies to voltage clamp; in current clamp give 'holding_current' (pA)",
                             at: v.keyRange, hints: ["remove it, or set mode = \"voltage_clamp\""]))
        }
        var chloride = 10.0, buffer = Buffer.none, bufferConcentration = 0.0, cs = false
        if var p = t.table("pipette", diagnostics: &d) {
            chloride = p.number("chloride", default: 10, minimum: 0, maximum: 200, diagnostics: &d) ?? 10
            UnitSlip.refuseMolar("chloride", chloride, in: p, &d)
            buffer = {
                guard let (text, range) = p.string("buffer", required: false, diagnostics: &d) else { return .none }
                if let b = Buffer(rawValue: text) { return b }
                let names = Buffer.allCases.map(\.rawValue)
                d.add(Diagnostic(.error, "'buffer' must be one of \(names.map { "\"\($0)\"" }.joined(separator: ", ")) (got \"\(text)\")",
                                 at: range, hints: Suggestions.didYouMean(text, among: names).map { [$0] } ?? []))
                return .none
            }()
            bufferConcentration = p.number("buffer_concentration", default: buffer == .none ? 0 : nil, minimum: 0, maximum: 100, diagnostics: &d) ?? 0
            cs = p.bool("cs_qx314", default: false, diagnostics: &d)
            p.finish(diagnostics: &d)
        }
        let test = t.string("test_stimulus", required: false, diagnostics: &d) ?? ("inhibitory_afferent", nil)
        let settle = t.number("settle", default: 300, minimum: 0, maximum: 86_400, diagnostics: &d) ?? 300
        // 0.1 ms resolves the peak of an IPSC whose 10-90 % rise takes about 1 ms (the ported
        // example rises in ~1 ms; a test checks the rise is at least 5 samples).
        let sampling = t.number("sampling", default: 1e-4, minimum: 1e-6, maximum: 0.01, diagnostics: &d) ?? 1e-4
        // An IPSC peaks within a few ms; an IPSP is slowed by the membrane time constant.
        let window = t.number("window", default: mode == .voltageClamp ? 0.02 : 0.05, minimum: 0, maximum: 1,
                              exclusiveMinimum: true, diagnostics: &d) ?? 0.02
        if window / sampling > 100_000 {
            d.error("'window' / 'sampling' is \(Int(window / sampling)) points per test pulse; at most 100000", at: t.range)
        }
        let cell = t.string("cell", required: false, diagnostics: &d)?.0 ?? "cell"
        let terminal = t.string("terminal", required: false, diagnostics: &d)?.0 ?? "pre"
        var readouts: [Readout: Located<String>] = [:]
        var parameters: [Setting: Located<String>] = [:]
        for r in Readout.allCases { readouts[r] = Located(defaultSymbol(r, cell: cell, terminal: terminal), nil) }
        for s in Setting.allCases { parameters[s] = Located(defaultSymbol(s, cell: cell), nil) }
        if var symbols = t.table("symbols", diagnostics: &d) {
            for e in symbols.table.entries {
                _ = symbols.value(e.key)
                guard case .string(let name) = e.value.kind else {
                    d.error("'\(e.key)' must name a model symbol as a \"string\"", at: e.value.range)
                    continue
                }
                if let r = Readout(rawValue: e.key) {
                    readouts[r] = Located(name, e.value.range)
                } else if let s = Setting(rawValue: e.key) {
                    parameters[s] = Located(name, e.value.range)
                } else {
                    let roles = Readout.allCases.map(\.rawValue) + Setting.allCases.map(\.rawValue)
                    d.add(Diagnostic(.error, "unknown key '\(e.key)' in [recording.symbols]", at: e.keyRange,
                                     hints: [Suggestions.didYouMean(e.key, among: roles) ?? "known keys: \(roles.joined(separator: ", "))"]))
                }
            }
        }
        return Recording(mode: mode, configuration: configuration, holdingPotential: holding, holdingCurrent: holdingCurrent,
                         pipetteChloride: chloride, buffer: buffer, bufferConcentration: bufferConcentration, csQX314: cs,
                         testStimulus: Located(test.0, test.1), settle: settle, sampling: sampling, window: window,
                         readouts: readouts, parameters: parameters, range: t.range)
    }
}
