public import SourceDiagnostics
import ConfigFiles
import Foundation

/// The drug library (`Pathways/drugs.toml`, docs/file-formats.md): each drug's pharmacology
/// at each of its targets, written once with its source, for every synapse whose blockers
/// apply the drug. A synapse's `[blockers.NAME]` table then gives only what belongs to its
/// experiment: the concentration its paper used, the route and what the block does to the
/// synapse's parameters (`SynapseReader`).
///
///     [APV]
///     also_called = ["D-AP5", "D-APV"]
///     description = "competitive NMDA-receptor antagonist at the glutamate site"
///     [APV.GluN2B]
///     ic50 = 0.46       # uM: Ki, with its source
///     hill = 1          # with its source or "assumption: why"
///     mechanism = "competitive with glutamate"
///
/// A target without an `ic50` is one where the drug acts all or none in every synapse (a
/// chelator, a mixture's partner, a block whose potency is not known).
public struct DrugLibrary: Sendable {
    public struct Drug: Sendable {
        public var name: String
        /// Other names the drug is written under (`D-AP5` for APV); a synapse may use any.
        public var otherNames: [String]
        public var description: String
        /// In the order written.
        public var targets: [Target]
        public var range: SourceRange?

        public func target(named name: String) -> Target? { targets.first { $0.name == name } }
    }

    /// What the drug does at one target.
    public struct Target: Sendable {
        public var name: String
        /// Half-maximal concentration (µM): an IC50, or a Kᵢ where the drug competes, with
        /// where it is written; nil where the drug is applied all or none.
        public var ic50: Located<Double>?
        public var hill: Located<Double>?
        /// How it acts: "competitive with glutamate", "pore blocker", "chelator".
        public var mechanism: String
        public var range: SourceRange?
    }

    public var drugs: [Drug]
    /// The file the library was read from.
    public var path: String

    public init(drugs: [Drug], path: String) {
        self.drugs = drugs
        self.path = path
    }

    /// The drug written under `name`, as its name or one of its other names.
    public func drug(named name: String) -> Drug? {
        drugs.first { $0.name == name } ?? drugs.first { $0.otherNames.contains(name) }
    }

    /// Every name a synapse may use, for did-you-mean hints.
    public var allNames: [String] { drugs.flatMap { [$0.name] + $0.otherNames } }

    /// The library file a synapse file at `synapsePath` uses: `drugs.toml` beside it, else in
    /// its parent directory (the layout of `Pathways/synapses/`), else the shipped library's
    /// (`LibraryPath`), as a copied synapse file finds the shipped pathway; nil when none exists.
    public static func locate(forSynapseAt synapsePath: String) -> String? {
        let directory = PathName.directory(of: synapsePath)
        let parent = PathName.directory(of: directory)
        for candidate in [directory, parent].map({ ($0 as NSString).appendingPathComponent(fileName) })
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return LibraryPath.find(fileName).path
    }

    public static let fileName = "drugs.toml"

    public static func read(path: String) throws(DiagnosticsError) -> DrugLibrary {
        try read(SourceFile.read(path: path))
    }

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> DrugLibrary {
        let root = try ConfigReader.read(file)
        var d = DiagnosticCollector()
        var drugs: [Drug] = []
        // Names compared as a reader would: "MK-801" and "mk801" are one drug.
        var claimed: [String: (name: String, drug: String, range: SourceRange)] = [:]
        func claim(_ name: String, of drug: String, at range: SourceRange) {
            let key = Self.comparable(name)
            if let earlier = claimed[key] {
                let place = earlier.range.startLocation
                d.add(Diagnostic(.error, "drug '\(name)' is defined twice: '\(earlier.name)' (of drug '\(earlier.drug)', line \(place.line), column \(place.column)) names the same drug",
                                 at: range, hints: ["write each drug once, its other names in also_called, so that its constants cannot drift apart"]))
            } else {
                claimed[key] = (name, drug, range)
            }
        }
        for entry in root.entries {
            guard case .table(let table) = entry.value.kind else {
                d.add(Diagnostic(.error, "'\(entry.key)' must be a drug table, [\(entry.key)], not \(entry.value.typeName)", at: entry.keyRange,
                                 hints: ["the library holds only drugs: [NAME] with description, also_called and one [NAME.TARGET] table per target"]))
                continue
            }
            var reader = TableReader(table, name: "drug '\(entry.key)'")
            claim(entry.key, of: entry.key, at: entry.keyRange)
            let description = reader.string("description", required: false, diagnostics: &d)?.0 ?? ""
            var otherNames: [String] = []
            if let names = reader.value("also_called") {
                if case .array(let items) = names.kind {
                    for item in items {
                        if case .string(let s) = item.kind { otherNames.append(s); claim(s, of: entry.key, at: item.range) } else {
                            d.error("also_called must list names as \"strings\"", at: item.range)
                        }
                    }
                } else {
                    d.error("also_called must be a list of names, e.g. also_called = [\"D-AP5\"]", at: names.range)
                }
            }
            var targets: [Target] = []
            for t in table.entries {
                guard case .table = t.value.kind, var targetReader = reader.table(t.key, diagnostics: &d) else { continue }
                targets.append(readTarget(t.key, of: entry.key, &targetReader, range: t.keyRange, &d))
                targetReader.finish(diagnostics: &d)
            }
            if targets.isEmpty {
                d.add(Diagnostic(.error, "drug '\(entry.key)' has no target", at: entry.keyRange,
                                 hints: ["add a [\(entry.key).TARGET] table for each target, with its ic50 (µM) and hill from a source, or none for an all-or-none block"]))
            }
            reader.finish(diagnostics: &d)
            drugs.append(Drug(name: entry.key, otherNames: otherNames, description: description, targets: targets, range: entry.keyRange))
        }
        try d.throwIfErrors()
        return DrugLibrary(drugs: drugs, path: file.path)
    }

    private static func readTarget(_ name: String, of drug: String, _ t: inout TableReader, range: SourceRange,
                                   _ d: inout DiagnosticCollector) -> Target {
        let mechanism = t.string("mechanism", required: false, diagnostics: &d)?.0 ?? ""
        let target = Target(name: name, ic50: t.positiveNumberIfWritten("ic50", diagnostics: &d),
                            hill: t.positiveNumberIfWritten("hill", diagnostics: &d), mechanism: mechanism, range: range)
        // The Hill coefficient shapes the block as much as the ic50 does, so neither goes without the other.
        if (target.ic50 == nil) != (target.hill == nil) {
            let (given, missing) = target.ic50 == nil ? ("hill", "ic50") : ("ic50", "hill")
            d.add(Diagnostic(.error, "'\(drug)' at '\(name)' has \(given == "ic50" ? "an" : "a") \(given) but no \(missing)",
                             at: t.table.entry(given)?.keyRange ?? range,
                             hints: ["a graded block needs both the ic50 (µM) and the Hill coefficient, each with its source (or \"assumption: why\"); give neither for an all-or-none block"]))
        }
        return target
    }

    /// A name as compared for duplicates: case, hyphens, spaces and underscores ignored.
    static func comparable(_ name: String) -> String {
        String(name.lowercased().filter { !"- _".contains($0) })
    }
}
