import ArgumentParser
import Foundation
import SourceDiagnostics
import AntimonyFrontEnd
import InductionProtocols
import SynapseModel

/// Which library to list: the first found on the search path (`KINAPSE_PATH`, then
/// `./Pathways`, then the executable's own) unless named.
struct LibraryOptions: ParsableArguments {
    @Option(help: "The pathway library directory (default: the first of KINAPSE_PATH, ./Pathways, the one beside the kinapse executable).")
    var library: String?

    /// The directory to list, or a usage error naming every place looked in.
    func directory() throws -> String {
        if let library { return library }
        if let first = LibraryPath.directories().first { return first }
        throw DiagnosticsError(.error("no pathway library found; looked in:\n  " + LibraryPath.candidates().joined(separator: "\n  "),
                                      hint: "set KINAPSE_PATH=DIR (a directory like Pathways/), or pass --library DIR"))
    }
}

struct ListProtocols: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocols", abstract: "List the shipped induction protocols.",
        discussion: "Example:\n  kinapse protocols\n  kinapse simulate Pathways/synapses/vta_no.toml --protocol hfs")
    @OptionGroup var options: LibraryOptions

    func run() throws {
        try Library.list(try options.directory(), "protocols", ending: ".toml") { path in
            (try? ProtocolReader.read(path: path))?.description
        }
    }
}

struct ListSynapses: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synapses", abstract: "List the shipped synapse definitions.",
        discussion: "Examples:\n  kinapse synapses\n  kinapse synapses --library Fixtures/lumped --with-sensitivities")
    @OptionGroup var options: LibraryOptions

    @Flag(help: "List only the synapses whose runs give sensitivities (simulate --sensitivities): those with a quantal readout.")
    var withSensitivities = false

    func run() throws {
        let directory = (try options.directory() as NSString).appendingPathComponent("synapses")
        let rows = try Library.files(in: directory, ending: ".toml").compactMap { path -> (String, String)? in
            guard let synapse = try? SynapseReader.read(path: path) else {
                return withSensitivities ? nil : (Library.stem(path), Library.notLoading)
            }
            if withSensitivities && !synapse.givesSensitivities { return nil }
            let blockers = synapse.blockers.keys.sorted()
            return (Library.stem(path), synapse.description + " [" + (synapse.recording.map { "recorded: \($0.summary)" } ?? "quantal readout")
                + (blockers.isEmpty ? "" : "; blockers: \(blockers.joined(separator: ", "))") + "]")
        }
        if rows.isEmpty && withSensitivities {
            // Every shipped synapse is a rig, whose recording has no derivatives: say so, not nothing.
            Console.error("no synapse in \(directory) gives sensitivities (each has a [recording]); the quantal engine-test synapses do: --library Fixtures/lumped")
        }
        Library.printTable(rows)
    }
}

extension SynapseDefinition {
    /// Whether a run of this synapse can carry forward sensitivities: not with a [recording],
    /// whose test stimuli are simulated spikes whose peaks the sensitivity equations do not
    /// follow (the run refuses them, `PreparedSynapseRun`).
    var givesSensitivities: Bool { recording == nil }
}

struct ListPathways: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pathways", abstract: "List the shipped pathway files, or every constant in them with its source.",
        discussion: """
        With --sources: one row per numeric constant of the shipped pathways, cells,
        synapses and drug library (drugs.toml: each drug's ic50 and hill, once) or of
        the FILEs named, with its unit and its source as its comment says: cited,
        fitted, assumption, computed (the resting state) or missing; then a summary. A
        module's default that every model instantiating the module (among the files
        read) replaces is 'overridden' and, like 'computed', left out of the sourced
        fraction; synapse [solver] tolerances are not listed.

        Examples:
          kinapse pathways
          kinapse pathways --sources
          kinapse pathways --sources Pathways/calcineurin_pka.ant --out sources.csv
          kinapse pathways --sources --out docs/parameter-sources.md
        """)
    @OptionGroup var options: LibraryOptions

    @Flag(help: "List every numeric constant with its source instead of the files.")
    var sources = false

    @Argument(help: "Pathway (.ant) or synapse (.toml) files to list the constants of, with --sources (default: the whole library).")
    var files: [String] = []

    @Option(help: "With --sources, also write the rows to FILE: Markdown if it ends in .md, else CSV.")
    var out: String?

    @Flag(help: "Overwrite a read-only output file.")
    var force = false

    func validate() throws {
        if !sources, !files.isEmpty || out != nil {
            throw ValidationError("FILEs and --out apply to --sources, as in 'kinapse pathways --sources FILE --out sources.csv'")
        }
        try OutputCheck.refuseConflicts([("--out", out)], inputs: files, force: force)
    }

    func run() throws {
        guard sources else {
            try Library.list(try options.directory(), nil, ending: ".ant") { Library.firstComment($0) ?? "" }
            return
        }
        let files = try inputs()
        let reader = ParameterSources(overridden: try OverriddenDefaults(paths: files.map(\.path).filter { $0.hasSuffix(".ant") }))
        var rows: [ParameterSource] = []
        for (path, shown) in files { rows += try reader.read(path, shownAs: shown) }
        // The file first: a reader of standard output that closes it early (`| head`) ends the
        // process with SIGPIPE, and the file must not be lost with it.
        if let out {
            let text = out.lowercased().hasSuffix(".md") ? ParameterSources.markdown(rows) : ParameterSources.csv(rows)
            try OutputCheck.write(text, to: out, option: "--out", force: force)
        }
        StandardOutput.write(ParameterSources.table(rows))
    }

    /// The files named, or the library's pathways, cells and synapses (shown relative to it).
    private func inputs() throws -> [(path: String, shown: String)] {
        if !files.isEmpty {
            for path in files where !path.hasSuffix(".ant") && !path.hasSuffix(".toml") {
                throw DiagnosticsError(.error("'\(path)' is neither a pathway (.ant) nor a synapse (.toml)",
                                              hint: "--sources lists the constants of pathway and synapse files"))
            }
            return files.map { ($0, $0) }
        }
        let library = try options.directory()
        var found: [(String, String)] = []
        for (subdirectory, ending) in [(nil, ".ant"), ("cells", ".ant"), ("synapses", ".ant"), ("synapses", ".toml")] as [(String?, String)] {
            let directory = subdirectory.map { (library as NSString).appendingPathComponent($0) } ?? library
            for path in try Library.files(in: directory, ending: ending) {
                found.append((path, (subdirectory.map { $0 + "/" } ?? "") + (path as NSString).lastPathComponent))
            }
        }
        let drugs = (library as NSString).appendingPathComponent(DrugLibrary.fileName)
        if FileManager.default.fileExists(atPath: drugs) { found.append((drugs, DrugLibrary.fileName)) }
        return found
    }
}

enum Library {
    /// Prints one line per file of `library/subdirectory` ending in `ending`: its name and
    /// what `describe` says of it (nil: the file does not load).
    static func list(_ library: String, _ subdirectory: String?, ending: String, describe: (String) -> String?) throws {
        let directory = subdirectory.map { (library as NSString).appendingPathComponent($0) } ?? library
        let rows = try files(in: directory, ending: ending).map { path in
            (stem(path), describe(path) ?? notLoading)
        }
        printTable(rows)
    }

    /// What a listing says of a file that does not load.
    static let notLoading = "(does not load: run kinapse simulate with it to see why)"

    static func files(in directory: String, ending: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw DiagnosticsError(.error("cannot read the directory '\(directory)'", hint: "pass --library DIR, or set KINAPSE_PATH=DIR"))
        }
        return names.filter { $0.hasSuffix(ending) }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// The first sentence of a pathway file's opening `//` comment, which by convention says
    /// what it is ("name: what it does. …"), without the name and cut to fit one line.
    static func firstComment(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var words: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("//") else { if t.isEmpty && words.isEmpty { continue } else { break } }
            let content = t.dropFirst(2).split(separator: " ")
            if content.isEmpty { if words.isEmpty { continue } else { break } }
            words += content
        }
        if let first = words.first, first == "\(stem(path)):" { words.removeFirst() }
        if let end = words.firstIndex(where: { $0.hasSuffix(".") }) { words = Array(words[...end]) }
        guard !words.isEmpty else { return nil }
        var sentence = words.joined(separator: " ")
        if sentence.count > maximumDescription {
            sentence = String(sentence.prefix(maximumDescription - 1))
            if let space = sentence.lastIndex(of: " ") { sentence = String(sentence[..<space]) }
            sentence += "…"
        }
        return sentence
    }

    static let maximumDescription = 110

    static func printTable(_ rows: [(String, String)]) {
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        for (name, text) in rows { print(name + String(repeating: " ", count: width - name.count) + text) }
    }
}
