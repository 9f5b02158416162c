import SourceDiagnostics
import ConfigFiles
import Foundation

/// `[blockers.NAME]` tables: what a drug does to the synapse (`set`), at the concentration
/// and by the route of the synapse's experiment; the drug's own pharmacology (its ic50 and
/// Hill coefficient at its target) comes from the drug library (`DrugLibrary`).
extension SynapseReader {
    static func readBlocker(_ name: String, _ b: inout TableReader, range: SourceRange, library: DrugLibrary?,
                            _ d: inout DiagnosticCollector) -> SynapseDefinition.Blocker? {
        let text = b.string("description", required: false, diagnostics: &d)?.0
        var settings: [(Located<String>, Double)] = []
        if let set = b.value("set") {
            if case .table(let t) = set.kind, !t.entries.isEmpty {
                for e in t.entries {
                    if case .number(let v) = e.value.kind, v.isFinite {
                        settings.append((Located(e.key, e.keyRange), v))
                    } else {
                        d.error("blocker '\(name)' must set '\(e.key)' to a number", at: e.value.range)
                    }
                }
            } else {
                d.error("'set' must be a table of values, e.g. set = { kcat_NOS = 0 }", at: set.range)
            }
        } else {
            d.error("blocker '\(name)' needs 'set = { parameter = value, … }'", at: range)
        }
        // A NaN default marks a key left out (a written value is finite or refused).
        let concentration = b.number("concentration", default: .nan, minimum: 0, exclusiveMinimum: true, diagnostics: &d)
        let ownIC50 = b.positiveNumberIfWritten("ic50", diagnostics: &d)
        let ownHill = b.positiveNumberIfWritten("hill", diagnostics: &d)
        let allOrNone = b.bool("all_or_none", default: false, diagnostics: &d)
        let target = b.string("target", required: false, diagnostics: &d)
        let drugNames = readDrugNames(&b, &d)
        var route = SynapseDefinition.Blocker.Route.bath
        if let (text, range) = b.string("route", required: false, diagnostics: &d) {
            if let r = SynapseDefinition.Blocker.Route(rawValue: text) { route = r } else {
                d.error("route must be \"bath\" or \"pipette\" (got \"\(text)\")", at: range)
            }
        }
        guard let concentration else { return nil }
        var blocker = SynapseDefinition.Blocker(name: name, description: text ?? "", settings: settings,
                                                concentration: concentration.isNaN ? nil : concentration, range: range)
        blocker.route = route
        let written = BlockerPharmacology(name: name, range: range, drugs: drugNames, target: target, ic50: ownIC50, hill: ownHill,
                                          allOrNone: allOrNone ? b.table.entry("all_or_none")?.keyRange ?? range : nil)
        written.resolve(into: &blocker, library: library, &d)
        if text == nil, let drug = blocker.drugs.first.flatMap({ library?.drug(named: $0) }), blocker.drugs.count == 1 {
            blocker.description = drug.description
        }
        if blocker.ic50 != nil, blocker.concentration == nil {
            d.error("blocker '\(name)' has an ic50\(ownIC50 == nil ? " (from the drug library)" : "") but no concentration: give the concentration its source applied (µM)",
                    at: range, hint: ownIC50 == nil ? "or write all_or_none = true for a block taken as complete" : nil)
        }
        return blocker
    }

    /// `drug = "NAME"` or, for a mixture, `drug = ["A", "B"]`; nil when not written.
    private static func readDrugNames(_ b: inout TableReader, _ d: inout DiagnosticCollector) -> [(String, SourceRange)]? {
        guard let value = b.value("drug") else { return nil }
        let items: [ConfigValue]
        switch value.kind {
        case .string: items = [value]
        case .array(let list) where !list.isEmpty: items = list
        default:
            d.error("'drug' must name a drug of the library, \"NAME\", or a mixture, [\"A\", \"B\"]", at: value.range)
            return nil
        }
        var names: [(String, SourceRange)] = []
        for item in items {
            if case .string(let s) = item.kind { names.append((s, item.range)) } else { d.error("'drug' must list names as \"strings\"", at: item.range) }
        }
        return names
    }
}

extension TableReader {
    /// A positive number under `key` with where it is written; nil when the key is left out
    /// (or refused, with its error in `d`).
    mutating func positiveNumberIfWritten(_ key: String, diagnostics d: inout DiagnosticCollector) -> Located<Double>? {
        // A NaN default marks a key left out (a written value is finite or refused).
        guard let value = number(key, default: .nan, minimum: 0, exclusiveMinimum: true, diagnostics: &d), !value.isNaN else { return nil }
        return Located(value, table.entry(key)?.keyRange)
    }
}

/// What a blocker table writes of its drug, resolved against the library.
struct BlockerPharmacology {
    var name: String
    var range: SourceRange
    /// `drug = …` as written; nil: the drug is the table's name.
    var drugs: [(String, SourceRange)]?
    var target: (String, SourceRange)?
    var ic50: Located<Double>?
    var hill: Located<Double>?
    /// Where `all_or_none = true` is written; nil when it is not.
    var allOrNone: SourceRange?

    /// Sets the blocker's drugs, target, ic50 and hill: the library's, unless the blocker is a
    /// manipulation of the synapse's own or names a target the library does not list (then its
    /// values are the synapse's, sourced there). A value the library holds must not be
    /// repeated or contradicted in the synapse file: the library writes each once.
    func resolve(into blocker: inout SynapseDefinition.Blocker, library: DrugLibrary?, _ d: inout DiagnosticCollector) {
        guard let library else {
            if let (drug, range) = drugs?.first ?? target {
                d.add(Diagnostic(.error, "blocker '\(name)' names '\(drug)' of the drug library, but no \(DrugLibrary.fileName) was found", at: range,
                                 hints: ["put \(DrugLibrary.fileName) beside the synapse file or in its parent directory, or set KINAPSE_PATH to the library holding it"]))
            }
            useOwn(&blocker, &d)
            return
        }
        let names = drugs ?? [(name, range)]
        if names.count > 1 {
            for (drug, range) in names where library.drug(named: drug) == nil { unknown(drug, at: range, library, &d) }
            if let (_, range) = target { d.error("target names one drug's target; a mixture is applied all or none", at: range) }
            for value in [ic50, hill].compactMap({ $0 }) {
                d.error("a mixture has no one ic50 and hill: it is applied all or none", at: value.range)
            }
            blocker.drugs = names.compactMap { library.drug(named: $0.0)?.name }
            return
        }
        guard let drug = library.drug(named: names[0].0) else {
            if drugs != nil || target != nil {
                unknown(names[0].0, at: names[0].1, library, &d)
            } else {
                useOwn(&blocker, &d)
            }
            return
        }
        blocker.drugs = [drug.name]
        let chosen: DrugLibrary.Target
        if let (targetName, _) = target {
            guard let known = drug.target(named: targetName) else {
                // A target the library does not list: the values are this synapse's, sourced in its file.
                blocker.target = targetName
                useOwn(&blocker, &d)
                return
            }
            chosen = known
        } else if drug.targets.count == 1 {
            chosen = drug.targets[0]
        } else {
            if allOrNone == nil {
                d.add(Diagnostic(.error, "drug '\(drug.name)' has several targets in the drug library (\(drug.targets.map(\.name).joined(separator: ", "))): blocker '\(name)' must say which its block stands for",
                                 at: range, hints: ["write target = \"\(drug.targets[0].name)\" (or another), or all_or_none = true for a block taken as complete"]))
            }
            return
        }
        blocker.target = chosen.name
        for (key, own, kept) in [("ic50", ic50, chosen.ic50), ("hill", hill, chosen.hill)] {
            guard let own else { continue }
            let place = kept?.range.map { " (\((library.path as NSString).lastPathComponent):\($0.startLocation))" } ?? ""
            if let kept, kept.value == own.value {
                d.add(Diagnostic(.error, "'\(key)' repeats the drug library's value for '\(drug.name)' at '\(chosen.name)'\(place)", at: own.range,
                                 hints: ["remove it: the library writes each drug's constants once"]))
            } else {
                let theirs = kept.map { "\(NumberText.plain($0.value))\(key == "ic50" ? " µM" : "")" } ?? "none (an all-or-none block)"
                d.add(Diagnostic(.error, "'\(key)' = \(NumberText.plain(own.value)) contradicts the drug library, which gives '\(drug.name)' at '\(chosen.name)' \(theirs)\(place)",
                                 at: own.range, hints: ["if this synapse's target differs, name it with target = \"…\" and source the value here; if the library is wrong, correct it there with its source"]))
            }
        }
        guard allOrNone == nil else { return }
        blocker.ic50 = chosen.ic50?.value
        blocker.ic50Range = chosen.ic50?.range
        blocker.hill = chosen.hill?.value ?? 1
    }

    /// The blocker's own values: a manipulation the library does not hold, or its drug at a
    /// target the library does not list.
    private func useOwn(_ blocker: inout SynapseDefinition.Blocker, _ d: inout DiagnosticCollector) {
        if let allOrNone, let ic50 {
            d.add(Diagnostic(.error, "blocker '\(name)' is all_or_none but gives an ic50", at: ic50.range ?? allOrNone,
                             hints: ["remove one: an ic50 grades the block by the Hill equation, all_or_none applies it in full"]))
        }
        if allOrNone == nil, let ic50 {
            blocker.ic50 = ic50.value
            blocker.ic50Range = ic50.range
            blocker.hill = hill?.value ?? 1
        } else if let hill {
            d.error("blocker '\(name)' has a hill but no ic50", at: hill.range, hint: "a Hill coefficient grades the block around its ic50 (µM)")
        }
    }

    private func unknown(_ drug: String, at range: SourceRange, _ library: DrugLibrary, _ d: inout DiagnosticCollector) {
        d.add(Diagnostic(.error, "no drug '\(drug)' in the drug library (\(library.path))", at: range,
                         hints: [Suggestions.didYouMean(drug, among: library.allNames)
                                 ?? "add [\(drug)] to the library with its targets and their sources; or, for a manipulation of this synapse's own, leave out drug and target"]))
    }
}
