import Foundation
import SourceDiagnostics
import AntimonyFrontEnd
import ConfigFiles
import SynapseModel

/// Where a constant's value comes from, as its comment says.
enum SourceKind: String, CaseIterable {
    /// An author–year reference (`Bhalla & Iyengar 1999`) or a DOI, or a bracketed key
    /// (`[BI99]`) that a comment of the same file defines by one.
    case cited
    /// "fitted to …", "fitted: …" or "fitted (…)": fitted, and to what.
    case fitted
    /// "assumption…", with the reason.
    case assumption
    /// A value set to the model's computed resting state ("resting steady state"): derived,
    /// not chosen, so left out of the sourced fraction.
    case computed
    /// A module's default that every model instantiating the module, among the files read,
    /// replaces (`OverriddenDefaults`): no model uses it, and the value used is counted where
    /// the importer writes it, so counting the default too would count one quantity twice.
    case overridden
    /// None of the above.
    case missing
}

/// One numeric constant of a shipped file and what its comment says of its source.
struct ParameterSource {
    let file: String
    let line: Int
    let column: Int
    let name: String
    let value: Double
    let role: String
    let unit: String
    let kind: SourceKind
    /// The comment that decided `kind` (the one after the value, else the heading above it).
    let comment: String
}

/// Reads the constants of pathway (`.ant`) and synapse (`.toml`) files with their comments and
/// classifies each comment's source.
///
/// The comment that counts is the one after the value on its line; when that one names no
/// source, the comment paragraph heading the block of value lines the constant stands in.
/// Of the markers `fitted to` (or `fitted:`, `fitted (`), `assumption`, `steady state`/`resting state`/`computed` and a
/// citation, the one written first decides, so "assumption: …; [BI99] has 20 uM" is an
/// assumption and "[BI99] 1/s; resting steady state" is cited.
struct ParameterSources {
    /// Which module defaults the importers among the files read all replace.
    var overridden = OverriddenDefaults()

    /// The constants of `path`, shown as `shownPath` (a path relative to the library, so
    /// that the table reads the same on every machine).
    func read(_ path: String, shownAs shownPath: String) throws -> [ParameterSource] {
        if (path as NSString).lastPathComponent == DrugLibrary.fileName { return try readConfig(path, shownAs: shownPath, drugLibrary: true) }
        if path.lowercased().hasSuffix(".toml") { return try readConfig(path, shownAs: shownPath, drugLibrary: false) }
        let listing = try WrittenConstants.read(path: path)
        let keys = definedKeys(listing.comments)
        return listing.constants.map { c in
            row(shownPath, c.range, c.name, c.value, role: c.role.rawValue, trailing: c.trailingComment, heading: c.headingComment,
                keys: keys, position: c.positionOnLine, of: c.countOnLine, overridden: overridden.isOverridden(c))
        }
    }

    /// Top-level tables of a synapse file whose numbers are not constants of the synapse:
    /// `[blockers.*]` are manipulations the file names, `[solver]` settings of the numerical
    /// method (tolerances), chosen by convergence studies, not by any source about the synapse.
    static let tablesWithoutConstants: Set<String> = ["blockers", "solver"]

    /// Numbers of a synapse file outside `tablesWithoutConstants`, and of each `[blockers.X]`
    /// table the drug's own constants (`concentration`, and `ic50`, `hill` where the synapse
    /// gives its own: values a paper reports); a blocker's `set` values are the full block it
    /// stands for, a manipulation rather than a constant. Every number of the drug library
    /// (`drugLibrary`): each drug's ic50 and hill at each target, written once for all synapses.
    private func readConfig(_ path: String, shownAs shownPath: String, drugLibrary: Bool) throws -> [ParameterSource] {
        let file = try SourceFile.read(path: path)
        let (table, comments) = try ConfigReader.readKeepingComments(file)
        var numbers: [(name: String, value: Double, range: SourceRange)] = []
        func collect(_ t: ConfigTable, _ prefix: String) {
            for entry in t.entries where drugLibrary || !(prefix.isEmpty && Self.tablesWithoutConstants.contains(entry.key)) {
                let name = prefix.isEmpty ? entry.key : prefix + "." + entry.key
                switch entry.value.kind {
                case .number(let v): numbers.append((name, v, entry.keyRange))
                case .table(let inner): collect(inner, name)
                default: break
                }
            }
        }
        collect(table, "")
        if !drugLibrary, case .table(let blockers)? = table["blockers"]?.kind {
            for blocker in blockers.entries {
                guard case .table(let drug) = blocker.value.kind else { continue }
                for entry in drug.entries where ["concentration", "ic50", "hill"].contains(entry.key) {
                    if case .number(let v) = entry.value.kind { numbers.append(("blockers.\(blocker.key).\(entry.key)", v, entry.keyRange)) }
                }
            }
        }
        let lineOf = { (r: SourceRange) in r.startLocation.line }
        // A line of a TOML file holds code when a key or a value starts on it.
        var codeLines = Set(numbers.map { lineOf($0.range) })
        for (i, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.drop(while: { $0 == " " || $0 == "\t" })
            if !t.isEmpty, t.first != "#" { codeLines.insert(i + 1) }
        }
        let attachment = CommentAttachment(comments: comments, codeLines: codeLines, valueLines: Set(numbers.map { lineOf($0.range) }))
        let keys = definedKeys(comments)
        // An inline table can hold several numbers on one line (a step's amplitude and width),
        // whose comment lists one unit each, in order.
        var perLine: [Int: Int] = [:], seenOnLine: [Int: Int] = [:]
        for n in numbers { perLine[lineOf(n.range), default: 0] += 1 }
        return numbers.map { n in
            let line = lineOf(n.range)
            defer { seenOnLine[line, default: 0] += 1 }
            return row(shownPath, n.range, n.name, n.value, role: drugLibrary ? "drug constant" : "synapse constant", trailing: attachment.trailing(line: line),
                       heading: attachment.heading(line: line), keys: keys, position: seenOnLine[line, default: 0],
                       of: perLine[line, default: 1])
        }
    }

    /// One row: the source and unit its comments give a constant, the `position`-th of `count` on its line.
    private func row(_ file: String, _ range: SourceRange, _ name: String, _ value: Double, role: String, trailing: String?,
                     heading: String?, keys: Set<String>, position: Int, of count: Int, overridden: Bool = false) -> ParameterSource {
        let location = range.startLocation
        let (written, comment) = decide(trailing: trailing, heading: heading, keys: keys)
        let kind: SourceKind = overridden ? .overridden : written
        return ParameterSource(file: file, line: location.line, column: location.column, name: name, value: value, role: role,
                               unit: unit(in: comment, position: position, of: count), kind: kind, comment: comment)
    }

    // MARK: - Classification

    private func decide(trailing: String?, heading: String?, keys: Set<String>) -> (SourceKind, String) {
        if let trailing {
            let kind = classify(trailing, keys: keys)
            if kind != .missing || heading == nil { return (kind, trailing) }
        }
        guard let heading else { return (.missing, "") }
        let kind = classify(heading, keys: keys)
        return (kind, kind == .missing ? (trailing ?? heading) : heading)
    }

    /// The kind whose marker comes first in `text`.
    func classify(_ text: String, keys: Set<String>) -> SourceKind {
        let lowered = text.lowercased()
        var first: (offset: Int, kind: SourceKind)?
        func consider(_ offset: Int?, _ kind: SourceKind) {
            guard let offset else { return }
            if first == nil || offset < first!.offset { first = (offset, kind) }
        }
        func offset(of phrase: String) -> Int? {
            lowered.range(of: phrase).map { lowered.distance(from: lowered.startIndex, to: $0.lowerBound) }
        }
        consider(["fitted to", "fitted:", "fitted ("].compactMap(offset(of:)).min(), .fitted)
        consider(offset(of: "assumption"), .assumption)
        consider(["steady state", "resting state", "rest of the", "computed"].compactMap(offset(of:)).min(), .computed)
        consider(citationOffset(in: text, keys: keys), .cited)
        return first?.kind ?? .missing
    }

    /// `Name 1999`, `Name et al. 1999`, `Name & Name 1999`, `Name, Name & Name 1999`,
    /// `Name et al. (1999)`: a capitalised surname list followed by a year. A surname may
    /// carry particles (`De Koninck`, `van der Walt`).
    let authorYear: Regex<AnyRegexOutput> = {
        let name = #"(?:(?:[Dd]e|[Dd]el|[Dd]en|[Dd]er|[Dd]i|[Dd]a|[Dd]u|[Ll]a|[Ll]e|[Vv]an|[Vv]on) )*[A-Z][A-Za-z'\-]+"#
        return try! Regex(name + #"(?: et al\.?|(?:,? (?:&|and) "# + name + #")|(?:, "# + name + #")+(?:,? (?:&|and) "# + name
                          + #")?)?,? \(?(?:19|20)[0-9]{2}[a-z]?\b"#)
    }()

    /// A DOI (`doi:10.1089/ars.2010.3297`), which names one publication as well as its authors do.
    let doi = try! Regex(#"(?:doi:\s?)?10\.[0-9]{4,9}/[^\s,;)]+"#)

    /// A bracketed list of keys, each ending in a two-digit year and perhaps followed by a
    /// place in the source: `[BI99]`, `[Gol06, BIOMD0000000118]`, `[Pos08 Fig. 2b]`.
    let bracketedKeys = try! Regex(#"\[([^\]\n]+)\]"#)
    let keyPattern = try! Regex(#"^[A-Za-z][A-Za-z0-9&+.\-]*[0-9]{2}[a-z]?$"#)

    private func keys(in match: Regex<AnyRegexOutput>.Match) -> [String] {
        (match.output[1].substring ?? "").split(separator: ",").compactMap { item in
            item.split(separator: " ").first.map(String.init).flatMap { $0.wholeMatch(of: keyPattern) != nil ? $0 : nil }
        }
    }

    private func citationOffset(in text: String, keys defined: Set<String>) -> Int? {
        var offsets: [Int] = []
        for pattern in [authorYear, doi] {
            if let match = text.firstMatch(of: pattern) { offsets.append(text.distance(from: text.startIndex, to: match.range.lowerBound)) }
        }
        if let match = text.matches(of: bracketedKeys).first(where: { keys(in: $0).contains(where: defined.contains) }) {
            offsets.append(text.distance(from: text.startIndex, to: match.range.lowerBound))
        }
        return offsets.min()
    }

    /// Keys that a comment paragraph of the file (consecutive comment lines) defines: a key
    /// followed at once by an author–year reference, as in a sources list
    /// (`[BI99]   Bhalla & Iyengar 1999, Science 283:381`).
    func definedKeys(_ comments: [SourceComment]) -> Set<String> {
        var paragraphs: [String] = []
        var lastLine = -2
        for comment in comments {
            if comment.line == lastLine + 1, !comment.text.isEmpty, !paragraphs.isEmpty {
                paragraphs[paragraphs.count - 1] += " " + comment.text
            } else {
                paragraphs.append(comment.text)
            }
            lastLine = comment.line
        }
        var keys = Set<String>()
        for paragraph in paragraphs {
            let found = paragraph.matches(of: bracketedKeys)
            for (i, match) in found.enumerated() {
                let end = i + 1 < found.count ? found[i + 1].range.lowerBound : paragraph.endIndex
                let entry = paragraph[match.range.upperBound..<end].drop(while: { $0 == " " || $0 == "=" || $0 == ":" })
                if [authorYear, doi].contains(where: { entry.firstMatch(of: $0)?.range.lowerBound == entry.startIndex }) {
                    keys.formUnion(self.keys(in: match))
                }
            }
        }
        return keys
    }

    // MARK: - Units

    /// A unit: `1/s`, `uM`, `1/(uM*s)`, `1/(mM ms)`, `uM/s`, `nS`, `mV`, `um^3`.
    let unitPattern = try! Regex(
        #"^(?:1/\([A-Za-z0-9^* ]+\)|(?:uM|nM|mM|pM|ms|s|min|h|mV|mS|nS|pS|uS|pA|nA|pF|uF|Hz|um|mm|cm|1)(?:\^-?[0-9]+)?(?:[*/](?:\([A-Za-z0-9^* ]+\)|(?:uM|nM|mM|pM|ms|s|min|h|mV|mS|nS|pS|uS|pA|nA|pF|uF|Hz|um|mm|cm)(?:\^-?[0-9]+)?))*)(?=$|[\s),;:])"#)

    /// The units a comment declares: every clause (between `,` and `;`, a leading
    /// `[KEY]` aside) that starts with a unit. With several constants on one line, the
    /// comment's units are read in the order of the constants, when there are as many.
    func unit(in comment: String, position: Int, of count: Int) -> String {
        var units: [String] = []
        for clause in comment.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            var words = clause.drop(while: { $0 == " " })
            if words.first == "[", let close = words.firstIndex(of: "]") { words = words[words.index(after: close)...].drop(while: { $0 == " " }) }
            if let match = String(words).firstMatch(of: unitPattern) { units.append(String(match.output[0].substring ?? "")) }
        }
        if count == 1 { return units.first ?? "" }
        return units.count == count ? units[position] : ""
    }

    // MARK: - Output

    struct Summary {
        var counts: [SourceKind: Int] = [:]
        var total: Int { counts.values.reduce(0, +) }
        /// Constants whose source counts: all but those set to a computed resting state and
        /// module defaults every importer replaces.
        var counted: Int { total - (counts[.computed] ?? 0) - (counts[.overridden] ?? 0) }
        /// Cited only: a value fitted to data is not a sourced value (the library's rule).
        var sourced: Int { counts[.cited] ?? 0 }
        var fraction: Double { counted == 0 ? 1 : Double(sourced) / Double(counted) }

        init(_ rows: [ParameterSource]) { for row in rows { counts[row.kind, default: 0] += 1 } }

        var line: String {
            let parts = SourceKind.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }
            return "\(total) constants: " + parts.joined(separator: ", ")
                + String(format: "; sourced (cited) %d of %d = %.1f %%", sourced, counted, 100 * fraction)
        }
    }

    static func table(_ rows: [ParameterSource]) -> String {
        let cells = rows.map { r in ["\(r.file):\(r.line):\(r.column)", r.name, number(r.value), r.unit, r.kind.rawValue, oneLine(r.comment, limit: 90)] }
        let header = ["location", "name", "value", "unit", "source", "comment"]
        let widths = (0..<header.count).map { i in ([header] + cells).map { $0[i].count }.max() ?? 0 }
        func row(_ c: [String]) -> String {
            zip(c, widths).enumerated().map { i, p in i == c.count - 1 ? p.0 : p.0.padding(toLength: p.1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return ([row(header)] + cells.map(row)).joined(separator: "\n") + "\n" + Summary(rows).line + "\n"
    }

    static func csv(_ rows: [ParameterSource]) -> String {
        var out = "file,line,column,name,value,unit,role,source,comment\n"
        for r in rows {
            out += [r.file, "\(r.line)", "\(r.column)", r.name, number(r.value), r.unit, r.role, r.kind.rawValue, r.comment]
                .map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The docs table: one section per file, then the summary.
    static func markdown(_ rows: [ParameterSource]) -> String {
        var out = """
            # Parameter sources

            Generated by `kinapse pathways --sources --out docs/parameter-sources.md`; a test
            fails when this file is not what the command writes. Every numeric constant of the
            shipped pathway, cell and synapse files and of the drug library (`drugs.toml`, each
            drug's ic50 and hill at its targets, written once), with what its comment says of its source:
            `cited` (an author–year reference, or a `[KEY]` a comment of the same file defines by
            one), `fitted` ("fitted to …"), `assumption` ("assumption: why"), `computed` (set to
            the model's resting steady state; not counted) or `missing`. The comment that counts
            is the one after the value, else the comment paragraph heading its block of values;
            the first marker in it decides.

            Two more kinds of number are left out of the sourced fraction. `overridden`: a
            default of a module (a cell, component or pathway model) that every shipped model
            instantiating the module replaces, by setting it or by binding it to a value of its
            own; the flattener decides this, and a default is overridden when its module is
            instantiated in some top-level model (a file no other file imports) and no
            top-level model keeps its value. No model uses such a value, and the one used is
            counted where its importer writes it. And the `[solver]` tolerances of synapse
            files, settings of the numerical method rather than constants of the synapse, which
            are not listed at all.

            **Summary:** \(Summary(rows).line)


            """
        var currentFile = ""
        for r in rows {
            if r.file != currentFile {
                currentFile = r.file
                out += "\n## \(r.file)\n\n\(Summary(rows.filter { $0.file == currentFile }).line)\n\n"
                    + "| line | name | value | unit | source | comment |\n|---:|---|---:|---|---|---|\n"
            }
            out += "| \(r.line) | `\(r.name)` | \(number(r.value)) | \(r.unit) | \(r.kind.rawValue) | \(oneLine(r.comment, limit: nil).replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        return out
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    private static func oneLine(_ s: String, limit: Int?) -> String {
        let flat = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard let limit, flat.count > limit else { return flat }
        return String(flat.prefix(limit - 1)) + "…"
    }

    private static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
