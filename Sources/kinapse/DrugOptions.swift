import ArgumentParser
import Foundation

/// `--drug NAME=CONC`: a blocker of the synapse with an IC50 (its drug's in the drug library, or
/// its own), at a chosen concentration (µM), its effect graded by the Hill equation
/// (docs/file-formats.md, `[blockers.*]` and the drug library).
enum DrugArguments {
    static let help = ArgumentHelp("Apply a graded drug of the synapse (a blocker with an ic50, from the drug library or its own) at this concentration in µM (repeatable, one concentration per drug; not with --block of the same drug), e.g. --drug AM251=0.5.",
                                   valueName: "NAME=µM")

    /// The drugs as written, refused where two options would apply one drug twice: a drug
    /// given twice (one would silently win) or both blocked and dosed (the header would say
    /// "blocked" of a drug run at another concentration).
    static func parse(_ written: [String], blockers: [String] = []) throws -> [(name: String, concentration: Double)] {
        let drugs: [(name: String, concentration: Double)] = try written.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let c = Double(parts[1]), c >= 0, c.isFinite else {
                throw ValidationError("--drug expects NAME=CONCENTRATION in µM, e.g. --drug AM251=0.5 (got '\(text)')")
            }
            return (name: parts[0], concentration: c)
        }
        var seen: [String: Double] = [:]
        for drug in drugs {
            if let first = seen[drug.name] {
                throw ValidationError("--drug \(drug.name) is given twice (\(format(first)) and \(format(drug.concentration)) µM); give one concentration per drug")
            }
            seen[drug.name] = drug.concentration
            if blockers.contains(drug.name) {
                throw ValidationError("--block \(drug.name) and --drug \(drug.name)=\(format(drug.concentration)) apply one drug twice: --block applies it at the concentration its papers used, --drug at the one you give; keep one")
            }
        }
        return drugs
    }

    /// What a run applied, for headers, titles and result files: "blocked: A, B; drugs: C 0.5 µM"
    /// (empty for a control run).
    static func condition(blockers: [String], drugs: [(name: String, concentration: Double)]) -> String {
        var parts: [String] = []
        if !blockers.isEmpty { parts.append("blocked: \(blockers.joined(separator: ", "))") }
        if !drugs.isEmpty { parts.append("drugs: " + drugs.map { "\($0.name) \(format($0.concentration)) µM" }.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    /// The summary CSV's last row for a run with blockers or drugs, as its `locus` row puts text
    /// in the baseline column (commas would split the cell, so names join with " + "); empty
    /// for a control run, whose file stays as before.
    static func conditionRow(blockers: [String], drugs: [(name: String, concentration: Double)], biophysical: Bool) -> String {
        let text = condition(blockers: blockers, drugs: drugs)
        guard !text.isEmpty else { return "" }
        return "condition,\(text.replacingOccurrences(of: ", ", with: " + ")),," + (biophysical ? ",\n" : "\n")
    }

    static func format(_ concentration: Double) -> String { String(format: "%g", concentration) }
}
