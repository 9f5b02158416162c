public import SourceDiagnostics
import ConfigFiles
import PathwayModel
import AntimonyFrontEnd
import InductionProtocols
import SynapseModel
import SynapseSimulation
import Optimization
import Foundation
import SBMLImport

/// Reads fit problem files (format: docs/file-formats.md, "Fit problem files"). Every
/// name is checked against the model, the synapse's blockers and the protocols, with the
/// position of the offending value and a did-you-mean hint.
public enum FitProblemReader {
    /// Readouts of a synapse run, usable as observables (and in formulas) by name.
    public static let synapseReadouts: [(name: String, meaning: String)] = ReadoutQuantity.allCases.map { ($0.rawValue, $0.meaning) }

    public static func read(path: String) throws(DiagnosticsError) -> FitProblem {
        try read(SourceFile.read(path: path))
    }

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> FitProblem {
        let root = try ConfigReader.read(file)
        var d = DiagnosticCollector()
        var top = TableReader(root, name: "the fit problem")
        let directory = PathName.directory(of: file.path)
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        }
        let description = top.string("description", required: false, diagnostics: &d)?.0 ?? ""

        // The model first: every other section is checked against its names.
        guard let (modelText, modelRange) = top.string("model", diagnostics: &d) else {
            throw DiagnosticsError(d.diagnostics)
        }
        let model = try loadModel(resolve(modelText), range: modelRange)
        let names = ModelNames(model)

        var options = FitOptions()
        if var o = top.table("options", diagnostics: &d) {
            options.starts = o.integer("starts", default: options.starts, minimum: 1, diagnostics: &d) ?? options.starts
            options.seed = UInt64(o.integer("seed", default: Int(options.seed), minimum: 0, diagnostics: &d) ?? 1)
            options.maximumIterations = o.integer("max_iterations", default: options.maximumIterations, minimum: 1, diagnostics: &d) ?? options.maximumIterations
            options.relativeTolerance = o.number("rtol", default: options.relativeTolerance, minimum: 0, maximum: 0.1, exclusiveMinimum: true, diagnostics: &d) ?? options.relativeTolerance
            options.absoluteTolerance = o.number("atol", default: options.absoluteTolerance, minimum: 0, exclusiveMinimum: true, diagnostics: &d) ?? options.absoluteTolerance
            options.profiles = o.bool("profiles", default: true, diagnostics: &d)
            o.finish(diagnostics: &d)
        }

        // Parameters: bounds, scale, start. Their role is settled once observables are read.
        var parameters: [FitParameter] = []
        if var table = top.table("parameters", required: true, diagnostics: &d) {
            for entry in table.table.entries {
                guard var p = table.table(entry.key, diagnostics: &d) else { continue }
                if let parameter = readParameter(entry.key, &p, keyRange: entry.keyRange, &d) { parameters.append(parameter) }
                p.finish(diagnostics: &d)
            }
            table.finish(diagnostics: &d)
            if table.table.entries.isEmpty { d.error("[parameters] lists nothing to estimate", at: table.range, hint: "add e.g. [parameters.k1] with lower and upper bounds") }
        }
        let parameterNames = parameters.map(\.name)

        // Observables: declared ones, then (synapses) every readout not declared.
        var observables: [Observable] = []
        var observation = Set<Int>()
        func term(_ value: ConfigValue?, key: String, default fallback: Double, _ d: inout DiagnosticCollector) -> Observable.Term? {
            guard let value else { return .constant(fallback) }
            switch value.kind {
            case .number(let x) where x.isFinite: return .constant(x)
            case .string(let name):
                guard let i = parameterNames.firstIndex(of: name) else {
                    d.add(Diagnostic(.error, "'\(key)' names '\(name)', which is not in [parameters]", at: value.range,
                                     hints: [Suggestions.didYouMean(name, among: parameterNames) ?? "declare it as [parameters.\(name)] to estimate it, or give a number"]))
                    return nil
                }
                observation.insert(i)
                return .parameter(i)
            default:
                d.error("'\(key)' must be a number or the name of an estimated parameter, not \(value.typeName)", at: value.range)
                return nil
            }
        }
        if var table = top.table("observables", diagnostics: &d) {
            for entry in table.table.entries {
                guard var o = table.table(entry.key, diagnostics: &d) else { continue }
                let expression: PathwayModel.Expression?
                if let (text, range) = o.string("expression", required: false, diagnostics: &d) {
                    expression = parseFormula(text, range: range, &d)
                } else if model.isSynapse, synapseReadouts.contains(where: { $0.name == entry.key }) {
                    expression = .symbol(entry.key, entry.keyRange)
                } else {
                    d.error("observable '\(entry.key)' needs an expression, e.g. expression = \"\(names.examples.first ?? "S")\"", at: entry.keyRange)
                    expression = nil
                }
                let scale = term(o.value("scale"), key: "scale", default: 1, &d)
                let offset = term(o.value("offset"), key: "offset", default: 0, &d)
                var noise: Observable.Noise = .column
                if let sd = o.value("sd") {
                    if case .number(let x) = sd.kind, !(x > 0) {
                        d.error("'sd' must be positive (got \(x))", at: sd.range)
                    } else if let t = term(sd, key: "sd", default: 1, &d) {
                        noise = .term(t)
                    }
                }
                o.finish(diagnostics: &d)
                if let expression, let scale, let offset {
                    observables.append(Observable(name: entry.key, expression: expression, scale: scale, offset: offset, noise: noise, range: entry.keyRange))
                }
            }
            table.finish(diagnostics: &d)
        }
        if model.isSynapse {
            for r in synapseReadouts where !observables.contains(where: { $0.name == r.name }) {
                observables.append(Observable(name: r.name, expression: .symbol(r.name, nil), scale: .constant(1), offset: .constant(0), noise: .column, range: nil))
            }
        }
        // Every name a formula reads must be something a run provides.
        let readable = names.readable
        for o in observables {
            for case let (name, range?) in o.expression.symbolsWithRanges where !readable.contains(name) && name != "time" {
                d.add(Diagnostic(.error, "observable '\(o.name)' reads '\(name)', which \(model.isSynapse ? "a synapse run does not provide" : "the model does not define")",
                                 at: range, hints: [Suggestions.didYouMean(name, among: readable)
                                                    ?? (model.isSynapse ? "synapse formulas read the readouts (\(synapseReadouts.map(\.name).joined(separator: ", "))), species and \(names.releaseSymbols.joined(separator: ", "))" : "formulas read species, parameters, compartments, rule variables and reaction rates")]))
            }
        }

        // Roles: a parameter used by an observable is an observation parameter; any other
        // must be something the model lets us set.
        for (i, p) in parameters.enumerated() {
            if observation.contains(i) {
                parameters[i].role = .observation
            } else if names.computed.contains(p.name) {
                d.error("'\(p.name)' is computed by an assignment rule; estimate the parameters it is computed from", at: p.range)
            } else if !names.settable.contains(p.name) {
                d.add(Diagnostic(.error, "'\(p.name)' is not a parameter of the model, nor used by an observable", at: p.range,
                                 hints: [Suggestions.didYouMean(p.name, among: names.settable) ?? "estimated parameters are model parameters, species initial values or compartment sizes, or an observable's scale, offset or sd"]))
            }
        }

        // Experiments.
        var experiments: [Experiment] = []
        let experimentTables = top.tables("experiments", diagnostics: &d)
        if experimentTables.isEmpty { d.error("the fit problem has no [[experiments]]", at: root.range, hint: "add [[experiments]] with a data file") }
        for (number, var e) in experimentTables.enumerated() {
            if let experiment = readExperiment(&e, number: number + 1, model: model, names: names, observables: observables,
                                               resolve: resolve, problemPath: file.path, &d) {
                if experiments.contains(where: { $0.name == experiment.name }) {
                    d.error("two experiments are named '\(experiment.name)'", at: e.value("name")?.range ?? e.range)
                }
                experiments.append(experiment)
            }
            e.finish(diagnostics: &d)
        }
        top.finish(diagnostics: &d)
        try d.throwIfErrors()

        let name = ((file.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return FitProblem(name: name, description: description, model: model.source, experiments: experiments,
                          observables: observables, parameters: parameters, options: options,
                          species: Set(model.pathway.species.map(\.id)), source: file)
    }

    // MARK: - Parts

    static func readParameter(_ name: String, _ t: inout TableReader, keyRange: SourceRange, _ d: inout DiagnosticCollector) -> FitParameter? {
        let lower = t.number("lower", diagnostics: &d)
        let upper = t.number("upper", diagnostics: &d)
        // The file's spellings of the optimiser's scales.
        let spellings: [String: ParameterScale] = ["lin": .linear, "log10": .log10]
        var scale = ParameterScale.log10
        let scaleValue = t.string("scale", required: false, diagnostics: &d)
        if let (text, range) = scaleValue {
            if let s = spellings[text] { scale = s } else {
                d.add(Diagnostic(.error, "unknown scale '\(text)'", at: range,
                                 hints: [Suggestions.didYouMean(text, among: ["lin", "log10"]) ?? "scale is \"log10\" (rate constants, concentrations) or \"lin\" (offsets)"]))
            }
        } else if let lower, lower <= 0 {
            scale = .linear
        }
        let startValue = t.value("start")
        var start: Double?
        if startValue != nil { start = t.number("start", diagnostics: &d) }
        guard let lower, let upper else { return nil }
        guard lower < upper else {
            d.error("'lower' (\(lower)) must be below 'upper' (\(upper))", at: t.value("lower")?.range ?? keyRange)
            return nil
        }
        if scale == .log10, lower <= 0 {
            d.add(Diagnostic(.error, "a log10-scaled parameter needs a positive lower bound (got \(lower))", at: t.value("lower")?.range ?? keyRange,
                             hints: ["give a positive bound, or scale = \"lin\""]))
            return nil
        }
        if let start, !(lower...upper).contains(start) {
            d.error("'start' (\(start)) lies outside [\(lower), \(upper)]", at: startValue?.range ?? keyRange)
            return nil
        }
        return FitParameter(name: name, lower: lower, upper: upper, scale: scale, start: start, role: .model, range: keyRange)
    }

    static func readExperiment(_ e: inout TableReader, number: Int, model: LoadedModel, names: ModelNames, observables: [Observable],
                               resolve: (String) -> String, problemPath: String, _ d: inout DiagnosticCollector) -> Experiment? {
        let name = e.string("name", required: false, diagnostics: &d)?.0 ?? "experiment_\(number)"
        var protocolDefinition: InductionProtocol?
        let protocolValue = e.string("protocol", required: model.isSynapse, diagnostics: &d)
        if let (text, range) = protocolValue {
            if case .synapse(let synapse, _) = model.source {
                let (path, known) = ProtocolLocator.find(text.hasSuffix(".toml") ? resolve(text) : text, near: synapse.source?.path)
                if let path {
                    do { protocolDefinition = try ProtocolReader.read(path: path) } catch {
                        for diagnostic in error.diagnostics { d.add(diagnostic) }
                    }
                } else {
                    d.add(Diagnostic(.error, "no protocol '\(text)'", at: range,
                                     hints: [Suggestions.didYouMean(text, among: known) ?? "protocols: \(known.joined(separator: ", "))"]))
                }
            } else {
                d.error("a pathway has no protocols: its events are its stimuli", at: range, hint: "remove 'protocol', or fit a synapse (.toml)")
            }
        }
        var blockers: [String] = []
        if let value = e.value("blockers") {
            guard case .synapse(let synapse, _) = model.source else {
                d.error("only synapse experiments have blockers", at: value.range, hint: "fix values with set = { name = value } instead")
                return nil
            }
            let elements: [ConfigValue]
            if case .array(let xs) = value.kind { elements = xs } else { elements = [value] }
            for element in elements {
                guard case .string(let b) = element.kind else {
                    d.error("'blockers' must be a list of names, e.g. [\"L-NAME\"]", at: element.range)
                    continue
                }
                if synapse.blockers[b] == nil {
                    let known = synapse.blockers.keys.sorted()
                    d.add(Diagnostic(.error, "synapse '\(synapse.name)' has no blocker '\(b)'", at: element.range,
                                     hints: [Suggestions.didYouMean(b, among: known) ?? "blockers of this synapse: \(known.joined(separator: ", "))"]))
                }
                blockers.append(b)
            }
        }
        var settings: [(name: String, value: Double)] = []
        if let value = e.value("set") {
            if case .table(let t) = value.kind {
                for entry in t.entries {
                    guard case .number(let x) = entry.value.kind, x.isFinite else {
                        d.error("'\(entry.key)' must be set to a number", at: entry.value.range)
                        continue
                    }
                    if !names.settable.contains(entry.key) {
                        d.add(Diagnostic(.error, "the model has no parameter '\(entry.key)' to set", at: entry.keyRange,
                                         hints: Suggestions.didYouMean(entry.key, among: names.settable).map { [$0] } ?? []))
                    }
                    settings.append((entry.key, x))
                }
            } else {
                d.error("'set' must be a table, e.g. set = { k1 = 0.5 }", at: value.range)
            }
        }
        var convention = TimeConvention()
        if let (unit, range) = e.string("time_unit", required: false, diagnostics: &d) {
            switch unit {
            case "s": break
            case "min": convention = TimeConvention(scale: 60, offset: 0, unit: "min")
            default:
                d.add(Diagnostic(.error, "unknown time unit '\(unit)'", at: range, hints: ["time_unit is \"s\" or \"min\""]))
            }
        }
        var originIsInduction = false
        if let (origin, range) = e.string("time_origin", required: false, diagnostics: &d) {
            switch origin {
            case "start": break
            case "induction" where model.isSynapse: originIsInduction = true
            default:
                d.add(Diagnostic(.error, "unknown time origin '\(origin)'", at: range,
                                 hints: [model.isSynapse ? "time_origin is \"start\" (the start of the baseline) or \"induction\" (the start of induction)" : "a pathway's times start at 0: time_origin is \"start\""]))
            }
        }
        guard let (dataText, dataRange) = e.string("data", diagnostics: &d) else { return nil }
        if model.isSynapse && protocolDefinition == nil { return nil }
        if let p = protocolDefinition, originIsInduction { convention.offset = p.inductionStart }

        let allowed: AllowedTimes
        if let p = protocolDefinition {
            let step = p.testInterval
            let u = convention.unit == "min" ? 60.0 : 1.0
            func show(_ t: Double) -> String { DataReader.format((t - convention.offset) / u) }
            let tests = p.testTimes
            let followUp = tests.first { $0 >= p.inductionStart } ?? p.followUpStart
            allowed = .testStimuli(tests, tolerance: 0.01 * step, describe:
                "every \(DataReader.format(step / u)) \(convention.unit) from \(show(0)) to \(show(p.inductionStart - step)), then from \(show(followUp)) to \(show(tests.last ?? 0)) \(convention.unit)")
        } else {
            allowed = .span(end: nil)
        }
        let data: DataTable
        do {
            data = try DataReader.read(path: resolve(dataText), observables: observables.map(\.name), time: convention, allowed: allowed)
        } catch {
            if error.diagnostics.count == 1, error.diagnostics[0].range == nil {
                d.add(Diagnostic(.error, error.diagnostics[0].message, at: dataRange, hints: error.diagnostics[0].hints))
            } else {
                for diagnostic in error.diagnostics { d.add(diagnostic) }
            }
            return nil
        }
        // A value needs a standard deviation: the observable's, or its row's.
        for point in data.points where observables[point.observable].noise == .column && point.sd == nil {
            let o = observables[point.observable]
            d.add(Diagnostic(.error, "no standard deviation for this '\(o.name)' value", at: point.range,
                             hints: ["give the row an \(o.name)_sd value, or the observable a noise level: [observables.\(o.name)] sd = … (a number, or an estimated parameter)"]))
            break
        }
        return Experiment(name: name, protocolDefinition: protocolDefinition, blockers: blockers, settings: settings, data: data, time: convention)
    }

    static func parseFormula(_ text: String, range: SourceRange, _ d: inout DiagnosticCollector) -> PathwayModel.Expression? {
        // The formula's characters inside the quotes; with escapes the offsets would not
        // match, so such a formula is parsed on its own (its errors then point at the value).
        let inner = SourceRange(file: range.file, start: range.start + 1, end: range.end - 1)
        do {
            if inner.text == text { return try AntimonyLoader.parseExpression(in: inner) }
            let alone = SourceFile(path: range.file.path, text: text)
            return try AntimonyLoader.parseExpression(in: SourceRange(file: alone, start: 0, end: alone.utf8.count))
        } catch {
            for diagnostic in error.diagnostics { d.add(diagnostic) }
            return nil
        }
    }

    // MARK: - The model

    struct LoadedModel {
        var source: FitProblem.ModelSource
        var pathway: Pathway
        var isSynapse: Bool { if case .synapse = source { true } else { false } }
    }

    static func loadModel(_ path: String, range: SourceRange) throws(DiagnosticsError) -> LoadedModel {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DiagnosticsError(Diagnostic(.error, "cannot find the model '\(path)'", at: range,
                                              hints: ["paths are relative to the fit problem file"]))
        }
        if path.lowercased().hasSuffix(".toml") {
            let synapse = try SynapseReader.read(path: path)
            let pathway = try synapse.loadModel()
            return LoadedModel(source: .synapse(synapse, model: pathway), pathway: pathway)
        }
        if isSBML(path) {
            let pathway = try SBMLLoader.load(path: path)
            return LoadedModel(source: .pathway(path: path, pathway: pathway), pathway: pathway)
        }
        guard path.lowercased().hasSuffix(".ant") else {
            throw DiagnosticsError(Diagnostic(.error, "the model must be a pathway (.ant), an SBML model (.xml, .sbml) or a synapse (.toml)", at: range))
        }
        let pathway = try AntimonyLoader.load(path: path)
        return LoadedModel(source: .pathway(path: path, pathway: pathway), pathway: pathway)
    }

    /// SBML by its extension, or by content (an XML document) whatever the file is called.
    static func isSBML(_ path: String) -> Bool {
        let lower = path.lowercased()
        if lower.hasSuffix(".xml") || lower.hasSuffix(".sbml") { return true }
        guard let file = SourceFile.readIfPresent(path: path) else { return false }
        return file.text.drop(while: \.isWhitespace).first == "<"
    }

    /// The names a problem may use, by what they may be used for.
    struct ModelNames {
        /// Values that can be overridden: parameters, species, compartments not set by rules.
        var settable: [String]
        /// Set by assignment rules.
        var computed: Set<String>
        /// What observables may read.
        var readable: [String]
        var releaseSymbols: [String] = []
        var examples: [String]

        init(_ model: LoadedModel) {
            let p = model.pathway
            computed = Set(p.assignmentRules.map(\.variable))
            let ruled = computed
            settable = (p.parameters.map(\.id) + p.species.map(\.id) + p.compartments.map(\.id)).filter { !ruled.contains($0) }
            examples = p.species.map(\.id)
            if case .synapse(let s, _) = model.source {
                releaseSymbols = [s.releaseProbability.value, s.receptors.value]
                readable = FitProblemReader.synapseReadouts.map(\.name) + p.species.map(\.id) + releaseSymbols
                examples = FitProblemReader.synapseReadouts.map(\.name)
            } else {
                readable = p.parameters.map(\.id) + p.species.map(\.id) + p.compartments.map(\.id) + p.reactions.map(\.id)
            }
        }
    }
}

extension PathwayModel.Expression {
    /// Every identifier with the place it was written (repeats included).
    package var symbolsWithRanges: [(String, SourceRange?)] {
        switch self {
        case .number, .time: []
        case .symbol(let name, let r): [(name, r)]
        case .unary(_, let e): e.symbolsWithRanges
        case .binary(_, let a, let b): a.symbolsWithRanges + b.symbolsWithRanges
        case .call(_, let args, _): args.flatMap(\.symbolsWithRanges)
        }
    }
}
