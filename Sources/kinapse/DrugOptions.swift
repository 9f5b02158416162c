import ArgumentParser

/// `--drug NAME=CONC`: a blocker of the synapse with an IC50 (its drug's in the drug library, or
/// its own), at a chosen concentration (µM), its effect graded by the Hill equation
/// (docs/file-formats.md, `[blockers.*]` and the drug library).
enum DrugArguments {
    static let help = ArgumentHelp("Apply a graded drug of the synapse (a blocker with an ic50, from the drug library or its own) at this concentration in µM (repeatable), e.g. --drug AM251=0.5.",
                                   valueName: "NAME=µM")

    static func parse(_ written: [String]) throws -> [(name: String, concentration: Double)] {
        try written.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let c = Double(parts[1]), c >= 0, c.isFinite else {
                throw ValidationError("--drug expects NAME=CONCENTRATION in µM, e.g. --drug AM251=0.5 (got '\(text)')")
            }
            return (parts[0], c)
        }
    }
}
