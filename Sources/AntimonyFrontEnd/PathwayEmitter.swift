import SourceDiagnostics
import PathwayModel

/// Turns the symbol table of the flattened main model into a `Pathway`: decides what each
/// remaining undetermined name is, assigns flat ids (`A.x` becomes `A_x`), and checks what
/// can only be checked once every statement has been read.
struct PathwayEmitter {
    /// Libantimony joins submodel paths with `_` when it flattens (`Registry::m_cc`).
    static let flatSeparator = "_"
    /// Antimony's compartment for species declared in none (`DEFAULTCOMP`), of size 1.
    static let defaultCompartment = "default_compartment"

    private let table: SymbolTable
    private let functions: [FunctionDeclaration]
    private var sink: DiagnosticSink
    private var flatIds: [String: String] = [:]
    private var speciesIds: Set<String> = []

    static func emit(name: String, table: SymbolTable, functions: [FunctionDeclaration],
                     into sink: inout DiagnosticSink) -> Pathway {
        var emitter = PathwayEmitter(table: table, functions: functions, sink: sink)
        let pathway = emitter.build(name: name)
        sink = emitter.sink
        return pathway
    }

    private init(table: SymbolTable, functions: [FunctionDeclaration], sink: DiagnosticSink) {
        self.table = table
        self.functions = functions
        self.sink = sink
    }

    private mutating func build(name: String) -> Pathway {
        var pathway = Pathway(name: name)
        let records = table.orderedRecords
        assignFlatIds(records)
        speciesIds = Set(records.filter { $0.kind == .species }.map { flatId($0.key) })

        let needsDefaultCompartment = records.contains { $0.kind == .species && $0.compartment == nil }
        if needsDefaultCompartment, !records.contains(where: { $0.key == Self.defaultCompartment }) {
            pathway.compartments.append(Compartment(id: Self.defaultCompartment, size: .number(1)))
        }

        for record in records {
            let id = flatId(record.key)
            switch record.kind {
            case .compartment:
                if record.compartment != nil {
                    sink.error("unsupported: compartments inside compartments ('\(record.key) in …')",
                               at: record.compartment?.range)
                }
                let isDefault = record.key == Self.defaultCompartment
                let size = initialValue(of: record) ?? (isDefault && record.value == nil ? .number(1) : nil)
                if let literal = size.flatMap(Self.literalValue), literal <= 0, let value = record.value {
                    sink.error("compartment '\(record.key)' has size \(literal): a compartment's size must be positive",
                               at: value.range, hint: "species concentrations are amounts divided by this size (e.g. '\(record.key) = 1')")
                }
                pathway.compartments.append(Compartment(id: id, size: size, isConstant: isConstant(record),
                                                        range: record.firstRange))
            case .species:
                let hasAssignmentRule = record.value?.kind == .assignmentRule
                pathway.species.append(Species(
                    id: id,
                    compartment: record.compartment.map { flatId($0.key) } ?? Self.defaultCompartment,
                    initialValue: initialValue(of: record),
                    initialIsAmount: record.substanceOnly,
                    hasOnlySubstanceUnits: record.substanceOnly,
                    // `$S`/`const S` make a boundary species, and Antimony makes any species
                    // set by an assignment rule one too; it never marks species constant.
                    isBoundary: record.constness == .constant || hasAssignmentRule,
                    isConstant: false,
                    range: record.firstRange))
            case .parameter, .unknown:
                if let placement = record.compartment {
                    sink.error("only species can be placed in a compartment, and '\(record.key)' is not a species",
                               at: placement.range)
                }
                pathway.parameters.append(Parameter(id: id, value: initialValue(of: record),
                                                    isConstant: isConstant(record), range: record.firstRange))
            case .reaction:
                if let reaction = reaction(from: record) { pathway.reactions.append(reaction) }
            case .event:
                if let event = record.event { pathway.events.append(self.event(id: id, from: event, range: record.firstRange)) }
            case .submodel:
                break
            }
            if record.kind != .reaction, let value = record.value, value.kind == .assignmentRule {
                pathway.assignmentRules.append(Rule(variable: id, expression: flat(value.expression), range: value.range))
            }
            if let rateRule = record.rateRule {
                pathway.rateRules.append(Rule(variable: id, expression: flat(rateRule.expression), range: rateRule.range))
            }
            if let displayName = record.displayName { pathway.displayNames[id] = displayName }
        }
        checkRateRulesOnReactingSpecies(pathway)
        for function in functions { pathway.functions.append(functionDefinition(function)) }
        return pathway
    }

    // MARK: - Pieces

    /// The value of a literal number, negated or not; nil for anything computed.
    private static func literalValue(_ e: Expression) -> Double? {
        switch e {
        case .number(let v): v
        case .unary(.negate, let inner): literalValue(inner).map { -$0 }
        default: nil
        }
    }

    private func initialValue(of record: SymbolRecord) -> Expression? {
        guard let value = record.value, value.kind == .initial else { return nil }
        return flat(value.expression)
    }

    /// Parameters and compartments are constant unless declared `var` or changed by a rule
    /// or an event; declaring such a name `const` is a contradiction.
    private mutating func isConstant(_ record: SymbolRecord) -> Bool {
        let change: (String, SourceRange)? =
            if let value = record.value, value.kind == .assignmentRule { ("an assignment rule", value.range) }
            else if let rateRule = record.rateRule { ("a rate rule", rateRule.range) }
            else if let target = record.eventTargetRange { ("an event", target) }
            else { nil }
        if let change, record.constness == .constant {
            sink.error("'\(record.key)' is declared constant but is changed by \(change.0)", at: change.1)
            sink.note("'\(record.key)' is declared constant here", at: record.constnessRange)
        }
        return change == nil && record.constness != .variable
    }

    private mutating func reaction(from record: SymbolRecord) -> Reaction? {
        guard let data = record.reaction else { return nil }
        guard let rate = record.value?.expression else {
            sink.error("expected a rate law after ';' in reaction '\(record.key)'", at: data.rateRange)
            return nil
        }
        let reactants = merged(data.reactants)
        let products = merged(data.products)
        let participants = Set((reactants + products).map(\.species))
        let flatRate = flat(rate)
        var modifiers: [String] = []
        for symbol in orderedSymbols(of: flatRate) where speciesIds.contains(symbol) && !participants.contains(symbol) {
            modifiers.append(symbol)
        }
        return Reaction(id: flatId(record.key), reactants: reactants, products: products, modifiers: modifiers,
                        rate: flatRate, isReversible: data.isReversible, range: record.kindOrigin?.range ?? record.firstRange)
    }

    /// Species named twice on one side count once with the stoichiometries added, as
    /// Antimony's `ReactantList::GetStoichiometryFor` does.
    private func merged(_ participants: [ReactionRecord.Participant]) -> [SpeciesReference] {
        var result: [SpeciesReference] = []
        for participant in participants {
            let id = flatId(participant.key)
            if let index = result.firstIndex(where: { $0.species == id }) {
                result[index].stoichiometry += participant.stoichiometry
            } else {
                result.append(SpeciesReference(species: id, stoichiometry: participant.stoichiometry, range: participant.range))
            }
        }
        return result
    }

    private func event(id: String, from data: EventRecord, range: SourceRange) -> Event {
        Event(id: id, trigger: flat(data.trigger), delay: data.delay.map(flat), priority: data.priority.map(flat),
              initialValue: data.initialValue, persistent: data.persistent,
              useValuesFromTriggerTime: data.useValuesFromTriggerTime,
              assignments: data.assignments.map {
                  Event.Assignment(variable: flatId($0.key), expression: flat($0.value), range: $0.range)
              },
              range: range)
    }

    /// A function body may use only its parameters (and `time`): it is a self-contained
    /// SBML function definition.
    private mutating func functionDefinition(_ function: FunctionDeclaration) -> FunctionDefinition {
        let parameters = Set(function.parameters.map(\.name))
        for (name, range) in orderedSymbolRanges(of: function.body)
        where !parameters.contains(name) && !BuiltinNames.constants.contains(name) {
            sink.error("'\(name)' in function '\(function.name)' is not one of its parameters (\(function.parameters.map(\.name).joined(separator: ", ")))",
                       at: range)
        }
        return FunctionDefinition(id: function.name, parameters: function.parameters.map(\.name), body: function.body,
                                  range: function.nameRange)
    }

    /// SBML forbids a rate rule on a species that reactions also change, unless it is a
    /// boundary species.
    private mutating func checkRateRulesOnReactingSpecies(_ pathway: Pathway) {
        for rule in pathway.rateRules {
            guard let species = pathway.species.first(where: { $0.id == rule.variable }), !species.isBoundary,
                  let reaction = pathway.reactions.first(where: { r in
                      (r.reactants + r.products).contains { $0.species == species.id }
                  }) else { continue }
            sink.error("species '\(species.id)' has a rate rule and also takes part in reaction '\(reaction.id)'; mark it fixed ('$\(species.id)' or 'const species \(species.id)') or drop one",
                       at: rule.range)
        }
    }

    // MARK: - Flat ids

    private mutating func assignFlatIds(_ records: [SymbolRecord]) {
        // Flat id → the key that took it (keys, not records: copying 30,000 records into a
        // growing dictionary was a fifth of the emitter's time on a large model).
        var owners: [String: String] = [:]
        owners.reserveCapacity(records.count)
        flatIds.reserveCapacity(records.count)
        for record in records where record.kind != .submodel {
            let id = record.key.replacingDots(with: Self.flatSeparator)
            if let other = owners.updateValue(record.key, forKey: id) {
                sink.error("'\(record.key)' and '\(other)' would both be called '\(id)' in the flattened model; rename one",
                           at: record.firstRange)
            }
            flatIds[record.key] = id
        }
    }

    private func flatId(_ key: String) -> String {
        let canonical = table.canonical(key)
        return flatIds[canonical] ?? canonical.replacingDots(with: Self.flatSeparator)
    }

    /// The expression with symbol keys replaced by flat ids (built-in constants unchanged).
    private func flat(_ expression: Expression) -> Expression {
        switch expression {
        case .number, .time: expression
        case .symbol(let key, let range):
            BuiltinNames.constants.contains(key) ? expression : .symbol(flatId(key), range)
        case .unary(let op, let operand): .unary(op, flat(operand))
        case .binary(let op, let left, let right): .binary(op, flat(left), flat(right))
        case .call(let name, let arguments, let range): .call(name, arguments.map(flat), range)
        }
    }
}

/// Symbols in order of first appearance (`Expression.symbols` is an unordered set).
func orderedSymbols(of expression: Expression) -> [String] {
    orderedSymbolRanges(of: expression).map(\.name)
}

func orderedSymbolRanges(of expression: Expression) -> [(name: String, range: SourceRange?)] {
    var result: [(name: String, range: SourceRange?)] = []
    // A rate law names a handful of symbols: a linear scan beats hashing until it does not.
    var seen = Set<String>()
    func isNew(_ name: String) -> Bool {
        if result.count < 16 { return !result.contains { $0.name == name } }
        if seen.isEmpty { seen = Set(result.map(\.name)) }
        return seen.insert(name).inserted
    }
    func visit(_ e: Expression) {
        switch e {
        case .number, .time: break
        case .symbol(let name, let range):
            if isNew(name) { result.append((name, range)) }
        case .unary(_, let operand): visit(operand)
        case .binary(_, let left, let right):
            visit(left)
            visit(right)
        case .call(_, let arguments, _): arguments.forEach(visit)
        }
    }
    visit(expression)
    return result
}

extension String {
    fileprivate func replacingDots(with separator: String) -> String {
        guard utf8.contains(UInt8(ascii: ".")) else { return self }
        return split(separator: ".", omittingEmptySubsequences: false).joined(separator: separator)
    }
}
