import SourceDiagnostics
import PathwayModel

/// What a symbol is. Set by declarations and by use; a second, different kind is an error.
enum SymbolKind: Equatable {
    case unknown, parameter, species, compartment, reaction, event, submodel

    var phrase: String {
        switch self {
        case .unknown: "undetermined"
        case .parameter: "a parameter"
        case .species: "a species"
        case .compartment: "a compartment"
        case .reaction: "a reaction"
        case .event: "an event"
        case .submodel: "a submodel"
        }
    }
}

struct ReactionRecord {
    struct Participant {
        var key: String
        var stoichiometry: Double
        var range: SourceRange
    }
    var reactants: [Participant]
    var products: [Participant]
    var isReversible: Bool
    /// Where the rate law is or should be; a missing rate is reported here.
    var rateRange: SourceRange
}

struct EventRecord {
    struct Assignment {
        var key: String
        var value: Expression
        var range: SourceRange
    }
    var trigger: Expression
    var delay: Expression?
    var priority: Expression?
    var initialValue: Bool
    var persistent: Bool
    var useValuesFromTriggerTime: Bool
    var assignments: [Assignment]
}

/// Everything known about one name of the flattened model. Expressions hold symbol keys
/// (dotted paths from the main model, "A.x"); they are turned into flat ids at the end,
/// after all synonyms are known.
struct SymbolRecord {
    var key: String
    /// Order of first appearance; output arrays (and so CSV columns) follow it.
    var order: Int
    var firstRange: SourceRange
    var kind: SymbolKind = .unknown
    var kindOrigin: (reason: String, range: SourceRange)?
    var constness: Constness?
    var constnessRange: SourceRange?
    var substanceOnly = false
    var compartment: (key: String, range: SourceRange)?
    /// The initial value or assignment rule (the last one written wins, as in Antimony);
    /// for a reaction, its rate law.
    var value: ValueDefinition?
    var rateRule: ValueDefinition?
    var displayName: String?
    var eventTargetRange: SourceRange?
    var reaction: ReactionRecord?
    var event: EventRecord?
}

/// The symbols of the model being flattened, with `is` synonyms as a union-find forest.
struct SymbolTable {
    private(set) var records: [String: SymbolRecord] = [:]
    /// For a key merged into another by `is`: the key it now stands for.
    private var aliases: [String: String] = [:]
    private var nextOrder = 0

    func contains(_ key: String) -> Bool { records[key] != nil || aliases[key] != nil }

    func canonical(_ key: String) -> String {
        if aliases.isEmpty { return key }  // most models have no `is`: skip the hashing
        var current = key
        while let next = aliases[current] { current = next }
        return current
    }

    subscript(key: String) -> SymbolRecord? { records[canonical(key)] }

    /// The canonical key for `key`, creating the symbol on first mention.
    @discardableResult
    mutating func touch(_ key: String, at range: SourceRange) -> String {
        let resolved = canonical(key)
        if records[resolved] == nil {
            records[resolved] = SymbolRecord(key: resolved, order: nextOrder, firstRange: range)
            nextOrder += 1
        }
        return resolved
    }

    mutating func update(_ key: String, _ change: (inout SymbolRecord) -> Void) {
        let resolved = canonical(key)
        guard records[resolved] != nil else { return }
        // In place: copying the record out and back cost a large share of loading big models.
        change(&records[resolved]!)
    }

    /// Canonical records in order of first appearance.
    /// Each record goes straight to its place (orders are distinct and below `nextOrder`):
    /// sorting moved the large records around, a measurable cost for 30,000 of them.
    var orderedRecords: [SymbolRecord] {
        var placed = [SymbolRecord?](repeating: nil, count: nextOrder)
        for record in records.values { placed[record.order] = record }
        return placed.compactMap { $0 }
    }

    /// Keys whose first component path is `prefix` (for "did you mean" among a submodel's parts).
    func keys(under prefix: String) -> [String] {
        (Array(records.keys) + Array(aliases.keys)).filter { $0.hasPrefix(prefix + ".") }
    }

    /// Makes `absorbed` another name for `survivor`; the survivor receives the merged record.
    mutating func alias(_ absorbed: String, to survivor: String, merged: SymbolRecord) {
        records[absorbed] = nil
        aliases[absorbed] = survivor
        records[survivor] = merged
    }
}
