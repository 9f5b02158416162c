public import SourceDiagnostics
import PathwayModel
import AntimonyFrontEnd
import Fitting
import SBMLImport
import Foundation

/// Reads a PEtab v1 problem from its YAML file: the subset the YAML uses
/// (`format_version`, `parameter_file`, one problem with `sbml_files`, `condition_files`,
/// `measurement_files`, `observable_files`), the SBML model and the four tables. Every
/// problem found is reported at once, each at `file:line:column` with a hint.
public enum PEtabReader {
    public static func read(path: String) throws(DiagnosticsError) -> PEtabProblem {
        let yamlFile = try SourceFile.read(path: path)
        let root = try YAMLSubset.parse(yamlFile)
        let directory = PathName.directory(of: path)
        func resolve(_ p: String) -> String { p.hasPrefix("/") || directory.isEmpty ? p : directory + "/" + p }

        var d = DiagnosticCollector()
        guard case .mapping = root else {
            throw DiagnosticsError(.error("a PEtab problem file is a mapping ('format_version: 1', 'parameter_file: …', 'problems: …')", at: root.range))
        }
        if let version = root["format_version"] {
            if case .scalar(let v, let r) = version, !["1", "1.0", "1.0.0"].contains(v) {
                d.error("PEtab format version '\(v)' is not supported", at: r, hint: "Kinapse reads PEtab version 1 problems")
            }
        } else {
            d.error("the problem file needs 'format_version: 1'", at: root.range)
        }
        let parameterFiles = files(root, "parameter_file", in: root.range, &d)
        var problem: YAMLNode?
        switch root["problems"] {
        case .sequence(let items, let r)?:
            if items.count != 1 { d.error("\(items.count) problems are listed; Kinapse reads files with exactly one", at: r) }
            problem = items.first
        case let other?:
            d.error("'problems' must be a list of problems, not \(other.kindName)", at: other.range, hint: "write '- sbml_files: …' under 'problems:'")
        case nil:
            d.error("the problem file needs 'problems:' with one entry listing sbml_files, condition_files, measurement_files and observable_files", at: root.range)
        }
        try d.throwIfErrors()
        guard let problem else { throw DiagnosticsError(d.diagnostics) }
        let sbml = files(problem, "sbml_files", in: problem.range, &d)
        let conditionFiles = files(problem, "condition_files", in: problem.range, &d)
        let measurementFiles = files(problem, "measurement_files", in: problem.range, &d)
        let observableFiles = files(problem, "observable_files", in: problem.range, &d)
        if sbml.count > 1 { d.error("\(sbml.count) SBML files are listed; a problem has one model", at: sbml[1].range) }
        try d.throwIfErrors()

        func tables(_ list: [(path: String, range: SourceRange)]) throws(DiagnosticsError) -> [TSVTable] {
            var out: [TSVTable] = []
            for entry in list {
                let p = resolve(entry.path)
                guard FileManager.default.fileExists(atPath: p) else {
                    throw DiagnosticsError(.error("cannot find '\(p)'", at: entry.range, hint: "paths are relative to the problem file"))
                }
                out.append(try TSVTable(SourceFile.read(path: p)))
            }
            return out
        }
        let modelPath = resolve(sbml[0].path)
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw DiagnosticsError(.error("cannot find the model '\(modelPath)'", at: sbml[0].range, hint: "paths are relative to the problem file"))
        }
        let pathway = try SBMLLoader.load(path: modelPath)
        var reader = TableReader(pathway: pathway)
        for t in try tables(parameterFiles) { reader.readParameters(t) }
        for t in try tables(observableFiles) { reader.readObservables(t) }
        for t in try tables(conditionFiles) { reader.readConditions(t) }
        for t in try tables(measurementFiles) { reader.readMeasurements(t) }
        reader.checkMeasurements()
        try reader.diagnostics.throwIfErrors()
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return PEtabProblem(name: name, yamlPath: path, modelPath: modelPath, pathway: pathway, parameters: reader.parameters,
                            observables: reader.observables, conditions: reader.conditions, measurements: reader.measurements)
    }

    /// The point θ (scaled coordinates of the estimated parameters) that a parameter table
    /// at `path` gives `problem` through its `nominalValue` column, e.g. the
    /// `best_parameters.tsv` of a fit. Every estimated parameter must be listed; listed
    /// fixed parameters must keep their value, since θ cannot carry a change to them.
    public static func point(parameterTable path: String, for problem: PEtabProblem) throws(DiagnosticsError) -> [Double] {
        let table = try TSVTable(SourceFile.read(path: path))
        var reader = TableReader(pathway: problem.pathway)
        guard let c = reader.requiredColumns(table, ["parameterId", "nominalValue"], what: "parameter table") else {
            throw DiagnosticsError(reader.diagnostics.diagnostics)
        }
        var theta = problem.nominalTheta
        var listed = Set<Int>()
        for r in table.rows.indices {
            let id = table.cell(r, c[0])
            guard let i = problem.parameterIndex(id.text) else {
                reader.diagnostics.error("'\(id.text)' is not a parameter of problem \(problem.name)", at: id.range,
                                         hint: Suggestions.didYouMean(id.text, among: problem.parameters.map(\.id)))
                continue
            }
            guard let value = reader.numberCell(table.cell(r, c[1]), what: "nominalValue") else { continue }
            let parameter = problem.parameters[i]
            if let k = problem.estimated.firstIndex(of: i) {
                if parameter.scale != .lin, value <= 0 {
                    reader.diagnostics.error("a \(parameter.scale.rawValue)-scaled parameter needs a positive value (got \(value))",
                                             at: table.cell(r, c[1]).range)
                }
                theta[k] = parameter.scale.scaled(value)
                listed.insert(i)
            } else if value != parameter.nominal {
                reader.diagnostics.error("'\(id.text)' is fixed at \(parameter.nominal) in the problem; this table gives \(value)",
                                         at: table.cell(r, c[1]).range, hint: "change fixed parameters in the problem's own parameter table")
            }
        }
        let missing = problem.estimated.filter { !listed.contains($0) }.map { problem.parameters[$0].id }
        if !missing.isEmpty {
            reader.diagnostics.error("the table gives no value for the estimated parameter\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", "))",
                                     at: table.headerRange, hint: "list every estimated parameter with its nominalValue")
        }
        try reader.diagnostics.throwIfErrors()
        return theta
    }

    /// A file entry: one path, or a list of paths.
    static func files(_ node: YAMLNode, _ key: String, in range: SourceRange,
                      _ d: inout DiagnosticCollector) -> [(path: String, range: SourceRange)] {
        switch node[key] {
        case .scalar(let p, let r)? where !p.isEmpty: return [(p, r)]
        case .sequence(let items, let r)?:
            let out = items.compactMap { item -> (path: String, range: SourceRange)? in
                if case .scalar(let p, let r) = item, !p.isEmpty { return (p, r) }
                d.error("'\(key)' lists file names, not \(item.kindName)", at: item.range)
                return nil
            }
            if out.isEmpty, items.isEmpty { d.error("'\(key)' lists no file", at: r) }
            return out
        case let other?:
            d.error("'\(key)' must name a file or list files", at: other.range)
            return []
        case nil:
            d.error("the problem needs '\(key)'", at: range, hint: "PEtab v1 problems list sbml_files, condition_files, measurement_files and observable_files")
            return []
        }
    }
}

/// Reads the four tables into the problem's types, collecting diagnostics.
struct TableReader {
    let pathway: Pathway
    var parameters: [PEtabProblem.Parameter] = []
    var observables: [PEtabProblem.Observable] = []
    var conditions: [PEtabProblem.Condition] = []
    var measurements: [PEtabProblem.Measurement] = []
    var diagnostics = DiagnosticCollector()
    /// Entities a condition may set (parameters, species, compartments), and states.
    let settable: Set<String>
    let species: Set<String>

    init(pathway: Pathway) {
        self.pathway = pathway
        let ruled = Set(pathway.assignmentRules.map(\.variable))
        settable = Set(pathway.parameters.map(\.id) + pathway.species.map(\.id) + pathway.compartments.map(\.id)).subtracting(ruled)
        // NaN (keep the current value) applies to whatever is integrated: species and rate-rule targets.
        species = Set(pathway.species.map(\.id) + pathway.rateRules.map(\.variable))
    }

    // MARK: - Cells

    /// A number cell (`inf`, `-inf` and `nan` in any case).
    static func number(_ text: String) -> Double? {
        let t = text.lowercased()
        switch t {
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Double(t)
        }
    }

    mutating func requiredColumns(_ table: TSVTable, _ names: [String], what: String) -> [Int]? {
        var out: [Int] = []
        for name in names {
            guard let c = table.column(name) else {
                let hint = Suggestions.didYouMean(name, among: table.header.map(\.text)) ?? "the \(what) needs the columns \(names.joined(separator: ", "))"
                diagnostics.error("the \(what) has no column '\(name)'", at: table.headerRange, hint: hint)
                return nil
            }
            out.append(c)
        }
        return out
    }

    mutating func numberCell(_ cell: TSVTable.Cell, what: String, allowNaN: Bool = false) -> Double? {
        guard let v = Self.number(cell.text), allowNaN || !v.isNaN else {
            diagnostics.error(cell.isEmpty ? "\(what) is missing" : "\(what) must be a number, not '\(cell.text)'", at: cell.range)
            return nil
        }
        return v
    }

    /// A number, or a parameter table id.
    mutating func valueCell(_ text: String, range: SourceRange, what: String) -> PEtabProblem.Value? {
        if let v = Self.number(text), v.isFinite { return .number(v) }
        if let i = parameters.firstIndex(where: { $0.id == text }) { return .parameter(i) }
        let hint = Suggestions.didYouMean(text, among: parameters.map(\.id)) ?? "give a number, or a parameterId of the parameter table"
        diagnostics.error("\(what) '\(text)' is neither a finite number nor a parameter of the parameter table", at: range, hint: hint)
        return nil
    }

    mutating func parseFormula(_ cell: TSVTable.Cell) -> PathwayModel.Expression? {
        do { return try AntimonyLoader.parseExpression(in: cell.range) } catch {
            for diagnostic in error.diagnostics { diagnostics.add(diagnostic) }
            return nil
        }
    }

    // MARK: - Tables

    mutating func readParameters(_ table: TSVTable) {
        guard let c = requiredColumns(table, ["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"],
                                      what: "parameter table") else { return }
        let priorType = table.column("objectivePriorType"), priorParameters = table.column("objectivePriorParameters")
        let startType = table.column("initializationPriorType"), startParameters = table.column("initializationPriorParameters")
        for r in table.rows.indices {
            let id = table.cell(r, c[0])
            guard !id.isEmpty else { diagnostics.error("parameterId is missing", at: id.range); continue }
            if parameters.contains(where: { $0.id == id.text }) { diagnostics.error("parameter '\(id.text)' is listed twice", at: id.range) }
            let scale: PEtabProblem.Scale? = choice(table, r, c[1], default: nil, name: "parameterScale")
            let estimateCell = table.cell(r, c[5])
            guard ["0", "1"].contains(estimateCell.text) else {
                diagnostics.error("estimate must be 0 or 1, not '\(estimateCell.text)'", at: estimateCell.range)
                continue
            }
            let estimated = estimateCell.text == "1"
            let nominalCell = table.cell(r, c[4])
            // A nominal value is required only for fixed parameters; estimated ones may leave it empty.
            let nominal = nominalCell.isEmpty && estimated ? Double.nan : numberCell(nominalCell, what: "nominalValue")
            var lower = 0.0, upper = 0.0
            if estimated {
                guard let lo = numberCell(table.cell(r, c[2]), what: "lowerBound"),
                      let hi = numberCell(table.cell(r, c[3]), what: "upperBound") else { continue }
                lower = lo
                upper = hi
                if !(lo < hi) { diagnostics.error("lowerBound \(lo) is not below upperBound \(hi)", at: table.cell(r, c[2]).range) }
                if let scale, scale != .lin, lo <= 0 {
                    diagnostics.error("a \(scale.rawValue)-scaled parameter needs a positive lowerBound (got \(lo))", at: table.cell(r, c[2]).range,
                                      hint: "use parameterScale lin for parameters that may be zero or negative")
                }
            }
            guard let scale, let nominal else { continue }
            let prior = readPrior(table, r, priorType, priorParameters)
            let start = readPrior(table, r, startType, startParameters)
            parameters.append(.init(id: id.text, scale: scale, lower: lower, upper: upper, nominal: nominal, estimated: estimated,
                                    prior: prior, initializationPrior: start, range: id.range))
        }
    }

    /// A column of named choices; `fallback` when the column or the cell is absent (nil:
    /// the cell is required).
    mutating func choice<T: RawRepresentable & CaseIterable>(_ table: TSVTable, _ r: Int, _ column: Int?, default fallback: T?,
                                                             name: String) -> T? where T.RawValue == String {
        let cell = column.map { table.cell(r, $0) }
        guard let cell, !cell.isEmpty || fallback == nil else { return fallback }
        if let v = T(rawValue: cell.text) { return v }
        let names = T.allCases.map(\.rawValue)
        diagnostics.error("unknown \(name) '\(cell.text)'", at: cell.range,
                          hint: "use " + names.dropLast().joined(separator: ", ") + " or " + names.last!)
        return nil
    }

    mutating func readPrior(_ table: TSVTable, _ r: Int, _ typeColumn: Int?, _ parameterColumn: Int?) -> PEtabProblem.Prior? {
        guard let typeColumn else { return nil }
        let typeCell = table.cell(r, typeColumn)
        guard !typeCell.isEmpty else { return nil }
        guard let kind = PEtabProblem.Prior.Kind(rawValue: typeCell.text) else {
            diagnostics.error("unknown prior type '\(typeCell.text)'", at: typeCell.range,
                              hint: "PEtab v1 priors: " + PEtabProblem.Prior.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        let cell = parameterColumn.map { table.cell(r, $0) }
        let numbers = cell.map { $0.text.split(separator: ";").map { Self.number(String($0)) } } ?? []
        guard numbers.count == 2, let a = numbers[0], let b = numbers[1], a.isFinite, b.isFinite else {
            diagnostics.error("a \(kind.rawValue) prior needs two numbers separated by ';'", at: cell?.range ?? typeCell.range,
                              hint: "e.g. '0;1' (mean;standard deviation, or lower;upper bound for uniform priors)")
            return nil
        }
        return .init(kind: kind, first: a, second: b)
    }

    mutating func readObservables(_ table: TSVTable) {
        guard let c = requiredColumns(table, ["observableId", "observableFormula", "noiseFormula"], what: "observable table") else { return }
        let transformation = table.column("observableTransformation"), distribution = table.column("noiseDistribution")
        for r in table.rows.indices {
            let id = table.cell(r, c[0])
            guard !id.isEmpty else { diagnostics.error("observableId is missing", at: id.range); continue }
            if observables.contains(where: { $0.id == id.text }) { diagnostics.error("observable '\(id.text)' is listed twice", at: id.range) }
            guard let t = choice(table, r, transformation, default: PEtabProblem.Observable.Transformation.lin, name: "observableTransformation"),
                  let n = choice(table, r, distribution, default: PEtabProblem.Observable.Distribution.normal, name: "noiseDistribution") else { continue }
            let formulaCell = table.cell(r, c[1]), noiseCell = table.cell(r, c[2])
            if formulaCell.isEmpty { diagnostics.error("observableFormula is missing", at: formulaCell.range) }
            if noiseCell.isEmpty { diagnostics.error("noiseFormula is missing", at: noiseCell.range, hint: "give a number, a parameter or noiseParameter1_\(id.text)") }
            guard !formulaCell.isEmpty, !noiseCell.isEmpty, let formula = parseFormula(formulaCell), let noise = parseFormula(noiseCell) else { continue }
            let observable = placeholders(in: formula, prefix: "observableParameter", id: id.text, noisePrefixForbidden: true)
            let noisePlaceholders = placeholders(in: noise, prefix: "noiseParameter", id: id.text, noisePrefixForbidden: false)
            observables.append(.init(id: id.text, formula: formula, noise: noise, transformation: t, distribution: n,
                                     observablePlaceholders: max(observable, placeholders(in: noise, prefix: "observableParameter", id: id.text, noisePrefixForbidden: false)),
                                     noisePlaceholders: noisePlaceholders, range: id.range))
        }
    }

    /// The highest k of the `<prefix><k>_<id>` placeholders in `e`; a noise placeholder in
    /// an observable formula is an error (PEtab allows them only in noise formulas).
    mutating func placeholders(in e: PathwayModel.Expression, prefix: String, id: String, noisePrefixForbidden: Bool) -> Int {
        var highest = 0
        for case let (name, range) in e.symbolsWithRanges {
            if noisePrefixForbidden, name.hasPrefix("noiseParameter") {
                diagnostics.error("noise placeholder '\(name)' in an observable formula", at: range, hint: "noise placeholders belong in noiseFormula")
            }
            guard name.hasPrefix(prefix), name.hasSuffix("_" + id) else { continue }
            let digits = name.dropFirst(prefix.count).dropLast(id.count + 1)
            guard let k = Int(digits), k >= 1 else { continue }
            highest = max(highest, k)
        }
        return highest
    }

    mutating func readConditions(_ table: TSVTable) {
        guard let idColumn = requiredColumns(table, ["conditionId"], what: "condition table")?.first else { return }
        let targets = table.header.indices.filter { $0 != idColumn && table.header[$0].text != "conditionName" }
        for c in targets where !settable.contains(table.header[c].text) {
            let name = table.header[c].text
            let ruled = pathway.assignmentRules.contains { $0.variable == name }
            let hint = ruled ? "'\(name)' is computed by an assignment rule; set what the rule reads instead"
                : Suggestions.didYouMean(name, among: settable) ?? "condition columns name model parameters, species or compartments"
            diagnostics.error("condition column '\(name)' is not a parameter, species or compartment of the model", at: table.header[c].range, hint: hint)
        }
        for r in table.rows.indices {
            let id = table.cell(r, idColumn)
            guard !id.isEmpty else { diagnostics.error("conditionId is missing", at: id.range); continue }
            if conditions.contains(where: { $0.id == id.text }) { diagnostics.error("condition '\(id.text)' is listed twice", at: id.range) }
            var settings: [(target: String, value: PEtabProblem.Value?)] = []
            for c in targets {
                let cell = table.cell(r, c), target = table.header[c].text
                if cell.isEmpty { continue }
                if let v = Self.number(cell.text), v.isNaN {
                    if !species.contains(target) {
                        diagnostics.error("NaN for '\(target)', which is not a species or a rate-rule target", at: cell.range,
                                          hint: "PEtab v1 defines NaN (keep the current value) only for species; leave the cell empty instead")
                    }
                    settings.append((target, nil))
                    continue
                }
                guard let value = valueCell(cell.text, range: cell.range, what: "value") else { continue }
                settings.append((target, value))
            }
            conditions.append(.init(id: id.text, settings: settings, range: id.range))
        }
    }

    mutating func readMeasurements(_ table: TSVTable) {
        guard let c = requiredColumns(table, ["observableId", "simulationConditionId", "time", "measurement"], what: "measurement table") else { return }
        let preequilibration = table.column("preequilibrationConditionId")
        let observableParameters = table.column("observableParameters"), noiseParameters = table.column("noiseParameters")
        for r in table.rows.indices {
            let o = table.cell(r, c[0]), s = table.cell(r, c[1])
            guard let observable = observables.firstIndex(where: { $0.id == o.text }) else {
                diagnostics.error("unknown observable '\(o.text)'", at: o.range, hint: Suggestions.didYouMean(o.text, among: observables.map(\.id)))
                continue
            }
            guard let condition = conditionIndex(s) else { continue }
            var pre: Int?
            if let preequilibration, !table.cell(r, preequilibration).isEmpty {
                guard let p = conditionIndex(table.cell(r, preequilibration)) else { continue }
                pre = p
            }
            let timeCell = table.cell(r, c[2])
            guard let time = numberCell(timeCell, what: "time") else { continue }
            guard time >= 0 else {
                diagnostics.error("time \(time) is negative; PEtab simulations start at 0", at: timeCell.range)
                continue
            }
            guard let value = numberCell(table.cell(r, c[3]), what: "measurement"), value.isFinite else {
                if Self.number(table.cell(r, c[3]).text)?.isFinite == false {
                    diagnostics.error("measurement must be finite", at: table.cell(r, c[3]).range)
                }
                continue
            }
            let o_ = observables[observable]
            guard let op = overrides(table, r, observableParameters, count: o_.observablePlaceholders, kind: "observableParameters", id: o_.id),
                  let np = overrides(table, r, noiseParameters, count: o_.noisePlaceholders, kind: "noiseParameters", id: o_.id) else { continue }
            if o_.transformation != .lin, value <= 0 {
                diagnostics.error("measurement \(value) of a \(o_.transformation.rawValue)-transformed observable must be positive",
                                  at: table.cell(r, c[3]).range)
                continue
            }
            measurements.append(.init(observable: observable, condition: condition, preequilibration: pre, time: time, value: value,
                                      observableParameters: op, noiseParameters: np, range: o.range))
        }
    }

    mutating func conditionIndex(_ cell: TSVTable.Cell) -> Int? {
        if let i = conditions.firstIndex(where: { $0.id == cell.text }) { return i }
        diagnostics.error("unknown condition '\(cell.text)'", at: cell.range,
                          hint: Suggestions.didYouMean(cell.text, among: conditions.map(\.id)) ?? "conditions are the conditionId column of the condition table")
        return nil
    }

    /// A row's `;`-separated placeholder values, one per placeholder of the observable.
    mutating func overrides(_ table: TSVTable, _ r: Int, _ column: Int?, count: Int, kind: String, id: String) -> [PEtabProblem.Value]? {
        let cell = column.map { table.cell(r, $0) }
        guard let cell, !cell.isEmpty else {
            if count == 0 { return [] }
            diagnostics.error("observable '\(id)' has \(count) \(kind == "noiseParameters" ? "noise" : "observable") placeholder\(count == 1 ? "" : "s"), but this row gives no \(kind)",
                              at: cell?.range ?? table.cell(r, 0).range, hint: "give \(count) value\(count == 1 ? "" : "s") separated by ';' in the \(kind) column")
            return nil
        }
        var out: [PEtabProblem.Value] = []
        var offset = cell.range.start
        for part in cell.text.split(separator: ";", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            let range = SourceRange(file: cell.range.file, start: offset, end: offset + part.utf8.count)
            offset += part.utf8.count + 1
            guard let v = valueCell(trimmed, range: range, what: kind == "noiseParameters" ? "noise parameter" : "observable parameter") else { return nil }
            out.append(v)
        }
        guard out.count == count else {
            diagnostics.error("\(out.count) \(kind) given, but observable '\(id)' has \(count) placeholder\(count == 1 ? "" : "s")", at: cell.range,
                              hint: "one value per placeholder \(kind == "noiseParameters" ? "noise" : "observable")Parameter<k>_\(id), separated by ';'")
            return nil
        }
        return out
    }

    /// Every formula name must be a placeholder of its own observable, a model entity or a
    /// parameter of the parameter table.
    mutating func checkMeasurements() {
        var known = Set(parameters.map(\.id))
        known.formUnion(pathway.parameters.map(\.id))
        known.formUnion(pathway.species.map(\.id))
        known.formUnion(pathway.compartments.map(\.id))
        known.formUnion(pathway.reactions.map(\.id))
        for o in observables {
            for e in [o.formula, o.noise] {
                for case let (name, range) in e.symbolsWithRanges where !known.contains(name) {
                    let own = (name.hasPrefix("observableParameter") || name.hasPrefix("noiseParameter")) && name.hasSuffix("_" + o.id)
                    if own { continue }
                    diagnostics.error("unknown name '\(name)' in the formula of observable '\(o.id)'", at: range,
                                      hint: Suggestions.didYouMean(name, among: known) ?? "formulas read model entities, parameters of the parameter table and this observable's placeholders")
                }
            }
        }
        for (i, p) in parameters.enumerated() where pathway.assignmentRules.contains(where: { $0.variable == p.id }) {
            diagnostics.error("parameter '\(p.id)' is computed by an assignment rule of the model and cannot be estimated or set", at: parameters[i].range)
        }
        if measurements.isEmpty, !diagnostics.hasErrors {
            diagnostics.add(Diagnostic(.error, "the problem has no measurements"))
        }
    }
}
