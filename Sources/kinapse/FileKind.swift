import Foundation
import SourceDiagnostics

/// What an input file is, judged by its content where the extension could mislead: an
/// SBML file named `.ant`, a synapse passed where a pathway was expected, a pathway
/// passed to `stdp`. Reading stops at the first lines that decide.
enum FileKind: String {
    case pathway = "a pathway (Antimony)"
    case sbml = "an SBML model"
    case synapse = "a synapse definition"
    case protocolFile = "an induction protocol"
    case fitProblem = "a fit problem"
    case petabProblem = "a PEtab problem"
    case parameters = "a parameter file"
    case data = "a data table (CSV)"
    case otherTOML = "a TOML file of unknown kind"

    /// Which command takes a file of this kind.
    var usage: String {
        switch self {
        case .pathway, .sbml: "simulate it with 'kinapse simulate FILE --t-end T'"
        case .synapse: "simulate it with 'kinapse simulate FILE --protocol NAME', or sweep it with 'kinapse stdp FILE'"
        case .protocolFile: "a protocol is applied to a synapse: 'kinapse simulate SYNAPSE.toml --protocol FILE'"
        case .fitProblem, .petabProblem: "fit it with 'kinapse fit FILE'"
        case .parameters: "parameters are applied with 'kinapse simulate MODEL --params FILE'"
        case .data: "draw it with 'kinapse plot FILE', or name it as an experiment's data in a fit problem"
        case .otherTOML: "see docs/file-formats.md for the synapse, protocol and fit problem formats"
        }
    }

    /// The kind of the file at `path`, or nil when it cannot be read.
    static func of(path: String) -> FileKind? {
        guard let file = SourceFile.readIfPresent(path: path) else { return nil }
        return of(text: file.text, path: path)
    }

    static func of(text: String, path: String) -> FileKind {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let meaningful = lines.filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("//") }
        guard let first = meaningful.first else { return path.lowercased().hasSuffix(".toml") ? .otherTOML : .pathway }
        if first.hasPrefix("<") { return .sbml }
        if meaningful.contains(where: { $0.hasPrefix("format_version:") }) { return .petabProblem }
        let tables = Set(meaningful.filter { $0.hasPrefix("[") }.map { line in
            String(line.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" && $0 != "." }))
        })
        let keys = Set(meaningful.compactMap { line -> String? in
            guard let equals = line.firstIndex(of: "=") else { return nil }
            return line[..<equals].trimmingCharacters(in: .whitespaces)
        })
        if tables.contains("experiments") { return .fitProblem }
        if tables.contains("release") || tables.contains("stimuli") { return .synapse }
        if tables.contains("baseline") || tables.contains("induction") || tables.contains("follow_up") { return .protocolFile }
        if tables.contains("parameters") || tables.contains("observation_parameters") { return .parameters }
        if !tables.isEmpty || (keys.contains("model") && keys.contains("description")) { return .otherTOML }
        if looksLikeCSVHeader(first) { return .data }
        return .pathway
    }

    /// `time,A,B` or `time (s),ipsc (pA)`: comma-separated names, none of Antimony's punctuation.
    static func looksLikeCSVHeader(_ line: String) -> Bool {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 2, !line.contains("="), !line.contains(";"), !line.contains("->"), !line.contains(":") else { return false }
        let firstWord = fields[0].split(separator: " ").first.map(String.init) ?? ""
        let declarations: Set<String> = ["species", "var", "const", "compartment", "function", "model", "module", "import", "unit", "formula", "substanceOnly"]
        return !declarations.contains(firstWord)
    }
}
