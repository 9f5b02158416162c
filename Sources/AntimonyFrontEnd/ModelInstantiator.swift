import SourceDiagnostics
import PathwayModel

/// Walks the main model's statements in source order, descending into each submodel where
/// it is instantiated, and records what every statement says about every name.
///
/// Statement order matters as in Antimony: a later value replaces an earlier one, a
/// submodel must exist before its parts are named, and `is` merges two names at the point
/// where it is written.
struct ModelInstantiator {
    /// The model whose statements are being walked, and where it sits in the main model.
    struct Scope {
        /// Submodel names from the main model down to this instance (empty for the main model).
        var path: [String]
        var modelName: String
        /// Definition order of the code being walked; only models defined earlier may be used.
        var sequence: Int

        func key(_ parts: [String]) -> String { (path + parts).joined(separator: ".") }
    }

    let program: Program
    private(set) var table = SymbolTable()
    private(set) var sink: DiagnosticSink
    private var activeModels: [String] = []
    /// Indices in `program.models` of the models instantiated as submodels, at any depth.
    private(set) var submodelModels: Set<Int> = []
    /// Names (as written, dotted or not) already resolved in the scope at `resolvedPath`,
    /// with their canonical keys. A generated 11,000-species model mentions each name many
    /// times, and resolving one from scratch costs several string hashes and allocations.
    /// A successful resolution only changes when `is` merges symbols, which clears this;
    /// failures are never remembered, so each one is still reported where it occurs.
    private var resolvedNames: [String: String] = [:]
    private var resolvedPath: [String] = []

    init(program: Program, sink: DiagnosticSink) {
        self.program = program
        self.sink = sink
    }

    // MARK: - Choosing the model

    /// Which model to simulate, following Antimony's `GetMainModule`: the model marked `*`,
    /// else the last model defined. Top-level statements form Antimony's `__main`, which
    /// Antimony simulates only when no model is defined at all; when both exist the choice
    /// would differ from a reader's expectation, so that is an error.
    mutating func instantiateMainModel() -> String {
        let marked = program.models.last(where: { $0.definition.isMarkedMain })
        if let firstTopLevel = program.mainStatements.first {
            if let model = marked ?? program.models.last {
                let why = marked != nil ? "marked with '*'" : "the last model defined"
                sink.error("statements outside a model are ignored by Antimony here, because it simulates model '\(model.definition.name)' (\(why)); move them into a model, e.g. 'model *main() … end'",
                           at: firstTopLevel.range)
                return model.definition.name
            }
            for main in program.mainStatements {
                apply(main.statement, in: Scope(path: [], modelName: "__main", sequence: main.sequence))
            }
            return "__main"
        }
        guard let model = marked ?? program.models.last else { return "__main" }
        activeModels.append(model.definition.name)
        let scope = Scope(path: [], modelName: model.definition.name, sequence: model.sequence)
        for name in model.definition.interface { table.touch(scope.key(name.parts), at: name.range) }
        for statement in model.definition.body { apply(statement, in: scope) }
        return model.definition.name
    }

    // MARK: - Statements

    private mutating func apply(_ statement: Statement, in scope: Scope) {
        guard !sink.isFull else { return }
        switch statement {
        case .declaration(let declaration):
            declare(declaration, in: scope)
        case .value(let name, let definition):
            guard let key = resolve(name, in: scope) else { return }
            if name.hasDollar { setConstness(.constant, of: key, at: name.range) }
            setValue(definition, of: key, named: name, in: scope)
        case .placement(let name, let compartment):
            guard let key = resolve(name, in: scope) else { return }
            place(key, in: compartment, scope: scope)
        case .reaction(let reaction):
            addReaction(reaction, in: scope)
        case .event(let event):
            addEvent(event, in: scope)
        case .submodel(let submodel):
            instantiate(submodel, in: scope)
        case .synonym(let first, let second):
            makeSynonyms(first, second, in: scope)
        case .displayName(let name, let text):
            guard let key = resolve(name, in: scope) else { return }
            table.update(key) { $0.displayName = text }
        }
    }

    private mutating func declare(_ declaration: Declaration, in scope: Scope) {
        for item in declaration.names {
            guard let key = resolve(item.name, in: scope) else { continue }
            if let kind = declaration.kind {
                let symbolKind: SymbolKind = switch kind {
                case .species: .species
                case .compartment: .compartment
                case .parameter: .parameter
                }
                setKind(symbolKind, of: key, named: item.name, reason: "declared as \(symbolKind.phrase)")
            }
            if declaration.substanceOnly {
                setKind(.species, of: key, named: item.name, reason: "declared as a species")
                table.update(key) { $0.substanceOnly = true }
            }
            if let constness = declaration.constness ?? (item.name.hasDollar ? .constant : nil) {
                setConstness(constness, of: key, at: item.name.range)
            }
            if let compartment = item.compartment { place(key, in: compartment, scope: scope) }
            if let value = item.value { setValue(value, of: key, named: item.name, in: scope) }
        }
    }

    private mutating func setValue(_ definition: ValueDefinition, of key: String, named name: NameReference, in scope: Scope) {
        guard let record = table[key] else { return }
        switch record.kind {
        case .event, .submodel:
            sink.error("'\(name.dotted)' is \(record.kind.phrase) and cannot be given a value", at: definition.range)
            return
        case .reaction where definition.kind != .initial:
            sink.error("the rate law of reaction '\(name.dotted)' is set with '=', not with a rule", at: definition.range)
            return
        default: break
        }
        let resolved = ValueDefinition(kind: definition.kind, expression: resolve(definition.expression, in: scope),
                                       range: definition.range)
        switch definition.kind {
        case .initial:
            table.update(key) { $0.value = resolved }
        case .assignmentRule:
            if let rateRule = record.rateRule {
                sink.error("'\(name.dotted)' already has a rate rule (at \(rateRule.range.startLocation)); a name can have only one rule",
                           at: definition.range)
                return
            }
            table.update(key) { $0.value = resolved }
        case .rateRule:
            if let value = record.value, value.kind == .assignmentRule {
                sink.error("'\(name.dotted)' already has an assignment rule (at \(value.range.startLocation)); a name can have only one rule",
                           at: definition.range)
                return
            }
            table.update(key) { $0.rateRule = resolved }
        }
    }

    private mutating func place(_ key: String, in compartment: NameReference, scope: Scope) {
        guard let compartmentKey = resolve(compartment, in: scope) else { return }
        setKind(.compartment, of: compartmentKey, named: compartment, reason: "used as a compartment ('in')")
        table.update(key) { $0.compartment = (compartmentKey, compartment.range) }
    }

    private mutating func addReaction(_ reaction: ReactionStatement, in scope: Scope) {
        let key: String
        if let label = reaction.label {
            guard let labelKey = resolve(label, in: scope) else { return }
            if let existing = table[labelKey], existing.reaction != nil {
                sink.error("reaction '\(label.dotted)' is already defined", at: label.range)
                sink.note("'\(label.dotted)' was first defined here", at: existing.kindOrigin?.range ?? existing.firstRange)
                return
            }
            key = labelKey
        } else {
            key = table.touch(automaticKey("_J", in: scope), at: reaction.range)
        }
        let display = reaction.label ?? NameReference(parts: [key], range: reaction.range)
        setKind(.reaction, of: key, named: display, reason: "defined as a reaction")
        func participants(_ list: [ReactionParticipant]) -> [ReactionRecord.Participant] {
            list.compactMap { participant in
                guard let participantKey = resolve(participant.name, in: scope) else { return nil }
                setKind(.species, of: participantKey, named: participant.name, reason: "used as a species in a reaction")
                if participant.name.hasDollar { setConstness(.constant, of: participantKey, at: participant.name.range) }
                return .init(key: participantKey, stoichiometry: participant.stoichiometry, range: participant.name.range)
            }
        }
        let record = ReactionRecord(reactants: participants(reaction.reactants), products: participants(reaction.products),
                                    isReversible: reaction.isReversible, rateRange: reaction.rateRange)
        let rate = reaction.rate.map { ValueDefinition(kind: .initial, expression: resolve($0, in: scope), range: reaction.rateRange) }
        table.update(key) { symbol in
            symbol.reaction = record
            if let rate { symbol.value = rate }
        }
    }

    private mutating func addEvent(_ event: EventStatement, in scope: Scope) {
        let key: String
        if let label = event.label {
            guard let labelKey = resolve(label, in: scope) else { return }
            if let existing = table[labelKey], existing.event != nil {
                sink.error("event '\(label.dotted)' is already defined", at: label.range)
                sink.note("'\(label.dotted)' was first defined here", at: existing.kindOrigin?.range ?? existing.firstRange)
                return
            }
            key = labelKey
        } else {
            key = table.touch(automaticKey("_E", in: scope), at: event.range)
        }
        let display = event.label ?? NameReference(parts: [key], range: event.range)
        setKind(.event, of: key, named: display, reason: "defined as an event")
        let delay = event.delay.map { resolve($0, in: scope) }
        let trigger = resolve(event.trigger, in: scope)
        let priority = event.priority.map { resolve($0, in: scope) }
        var assignments: [EventRecord.Assignment] = []
        for assignment in event.assignments {
            guard let target = resolve(assignment.target, in: scope) else { continue }
            table.update(target) { if $0.eventTargetRange == nil { $0.eventTargetRange = assignment.target.range } }
            assignments.append(.init(key: target, value: resolve(assignment.value, in: scope), range: assignment.target.range))
        }
        let record = EventRecord(trigger: trigger, delay: delay, priority: priority,
                                 initialValue: event.initialValue ?? true, persistent: event.persistent ?? true,
                                 useValuesFromTriggerTime: event.useValuesFromTriggerTime ?? true, assignments: assignments)
        table.update(key) { $0.event = record }
    }

    /// Antimony's numbering of unnamed reactions and events (`Module::AddNewNumberedVariable`):
    /// the first of `_J0`, `_J1`, … not yet used in this model.
    private func automaticKey(_ base: String, in scope: Scope) -> String {
        var number = 0
        while table.contains(scope.key(["\(base)\(number)"])) { number += 1 }
        return scope.key(["\(base)\(number)"])
    }

    // MARK: - Submodels and synonyms

    private mutating func instantiate(_ submodel: SubmodelStatement, in scope: Scope) {
        let name = submodel.name.parts[0]
        let key = scope.key([name])
        if let existing = table[key] {
            sink.error("'\(name)' cannot be a submodel: it is already \(existing.kind == .unknown ? "used as a name" : existing.kind.phrase)",
                       at: submodel.name.range)
            sink.note("'\(name)' first appears here", at: existing.firstRange)
            return
        }
        guard let index = program.modelIndex[submodel.modelName] else {
            sink.error("unknown model '\(submodel.modelName)'", at: submodel.modelNameRange,
                       hint: Suggestions.didYouMean(submodel.modelName, among: program.modelIndex.keys))
            return
        }
        let model = program.models[index]
        if activeModels.contains(submodel.modelName) || submodel.modelName == scope.modelName {
            sink.error("model '\(submodel.modelName)' cannot contain itself", at: submodel.modelNameRange)
            return
        }
        if model.sequence > scope.sequence {
            sink.error("model '\(submodel.modelName)' is used before it is defined; Antimony needs it defined first",
                       at: submodel.modelNameRange)
            sink.note("'\(submodel.modelName)' is defined here", at: model.definition.nameRange)
            return
        }
        table.touch(key, at: submodel.name.range)
        setKind(.submodel, of: key, named: submodel.name, reason: "defined as a submodel")
        submodelModels.insert(index)

        let child = Scope(path: scope.path + [name], modelName: submodel.modelName, sequence: model.sequence)
        let interface = model.definition.interface
        for part in interface { table.touch(child.key(part.parts), at: part.range) }
        activeModels.append(submodel.modelName)
        for statement in model.definition.body { apply(statement, in: child) }
        activeModels.removeLast()

        for (position, argument) in submodel.arguments.enumerated() {
            guard position < interface.count else {
                let names = interface.map(\.dotted).joined(separator: ", ")
                sink.error("model '\(submodel.modelName)' takes \(interface.count) argument(s) (\(names)), but \(submodel.arguments.count) are given",
                           at: argumentRange(argument))
                break
            }
            let inner = NameReference(parts: [name] + interface[position].parts, range: argumentRange(argument))
            switch argument {
            case .name(let outer):
                makeSynonyms(inner, outer, in: scope)
            case .number(let value, let range):
                guard let innerKey = resolve(inner, in: scope) else { continue }
                setValue(ValueDefinition(kind: .initial, expression: .number(value), range: range),
                         of: innerKey, named: inner, in: scope)
            }
        }
    }

    private func argumentRange(_ argument: SubmodelArgument) -> SourceRange {
        switch argument {
        case .name(let name): name.range
        case .number(_, let range): range
        }
    }

    /// `first is second` (Antimony `Variable::Synchronize`): the two become one symbol. The
    /// second's definitions win where both have one. The survivor keeps the second's name,
    /// except that a name of this model always wins over a submodel's part (`A.S is S` and
    /// `S is A.S` both leave `S`).
    private mutating func makeSynonyms(_ first: NameReference, _ second: NameReference, in scope: Scope) {
        guard let firstKey = resolve(first, in: scope), let secondKey = resolve(second, in: scope) else { return }
        let a = table.canonical(firstKey), b = table.canonical(secondKey)
        guard a != b, let left = table[a], let right = table[b] else { return }
        let unmergeable: [SymbolKind] = [.reaction, .event, .submodel]
        if unmergeable.contains(left.kind) || unmergeable.contains(right.kind) {
            sink.error("unsupported: 'is' between reactions, events or submodels", at: first.range)
            return
        }
        if left.kind != .unknown, right.kind != .unknown, left.kind != right.kind {
            sink.error("'\(first.dotted)' is \(left.kind.phrase) and '\(second.dotted)' is \(right.kind.phrase); they cannot be the same symbol",
                       at: first.range)
            return
        }
        var merged = right
        if merged.kind == .unknown {
            merged.kind = left.kind
            merged.kindOrigin = left.kindOrigin
        }
        merged.value = right.value ?? left.value
        merged.rateRule = right.rateRule ?? left.rateRule
        if let value = merged.value, value.kind == .assignmentRule, let rateRule = merged.rateRule {
            sink.error("'\(first.dotted)' and '\(second.dotted)' cannot be the same symbol: one has an assignment rule and the other a rate rule (at \(rateRule.range.startLocation))",
                       at: first.range)
            return
        }
        merged.constness = right.constness ?? left.constness
        merged.constnessRange = right.constnessRange ?? left.constnessRange
        merged.displayName = right.displayName ?? left.displayName
        merged.compartment = right.compartment ?? left.compartment
        merged.substanceOnly = left.substanceOnly || right.substanceOnly
        merged.eventTargetRange = right.eventTargetRange ?? left.eventTargetRange
        if left.order < right.order {
            merged.order = left.order
            merged.firstRange = left.firstRange
        }
        let depth = { (key: String) in key.split(separator: ".").count - scope.path.count }
        let survivor = depth(a) == 1 && depth(b) > 1 ? a : b
        merged.key = survivor
        table.alias(survivor == a ? b : a, to: survivor, merged: merged)
        resolvedNames.removeAll()
    }

    // MARK: - Names

    private mutating func setKind(_ kind: SymbolKind, of key: String, named name: NameReference, reason: String) {
        guard let record = table[key] else { return }
        if record.kind == .unknown {
            table.update(key) {
                $0.kind = kind
                $0.kindOrigin = (reason, name.range)
            }
        } else if record.kind != kind {
            sink.error("'\(name.dotted)' cannot be \(kind.phrase): it is already \(record.kind.phrase)", at: name.range)
            if let origin = record.kindOrigin { sink.note("'\(name.dotted)' is \(origin.reason) here", at: origin.range) }
        }
    }

    private mutating func setConstness(_ constness: Constness, of key: String, at range: SourceRange) {
        table.update(key) {
            $0.constness = constness
            $0.constnessRange = range
        }
    }

    /// The canonical key of a name used in `scope`, creating the symbol on first mention.
    /// A dotted name must name a part of a submodel that already exists.
    private mutating func resolve(_ name: NameReference, in scope: Scope) -> String? {
        let written = name.parts.count == 1 ? name.parts[0] : name.dotted
        if let key = remembered(written, in: scope) { return key }
        let key = resolveAfresh(name, in: scope)
        if let key { resolvedNames[written] = key }
        return key
    }

    /// The canonical key `written` resolved to earlier in `scope`, if any.
    private mutating func remembered(_ written: String, in scope: Scope) -> String? {
        if scope.path != resolvedPath {
            resolvedNames.removeAll(keepingCapacity: true)
            resolvedPath = scope.path
            return nil
        }
        return resolvedNames[written]
    }

    private mutating func resolveAfresh(_ name: NameReference, in scope: Scope) -> String? {
        if name.parts.count == 1 {
            let part = name.parts[0]
            if let reason = BuiltinNames.reservation(of: part) {
                sink.error("\(reason) and cannot be used as a name here", at: name.range)
                return nil
            }
            if program.modelIndex[part] != nil {
                sink.error("'\(part)' is the name of a model; it cannot also name a value (write 'A: \(part)()' to use the model)",
                           at: name.range)
                return nil
            }
            if program.functionIndex[part] != nil {
                sink.error("'\(part)' is a function; call it as '\(part)(…)'", at: name.range)
                return nil
            }
            return table.touch(scope.key(name.parts), at: name.range)
        }
        for length in 1..<name.parts.count {
            let owner = name.parts[0..<length].joined(separator: ".")
            guard table[scope.key(Array(name.parts[0..<length]))]?.kind == .submodel else {
                sink.error("'\(owner)' is not a submodel, so '\(name.dotted)' does not exist", at: name.range)
                return nil
            }
        }
        let key = scope.key(name.parts)
        guard table.contains(key) else {
            let owner = name.parts.dropLast().joined(separator: ".")
            let ownerKey = scope.key(Array(name.parts.dropLast()))
            let parts = table.keys(under: ownerKey).map { String($0.dropFirst(ownerKey.count + 1)) }
            sink.error("submodel '\(owner)' has no '\(name.parts.last ?? "")'", at: name.range,
                       hint: Suggestions.didYouMean(name.parts.last ?? "", among: parts))
            return nil
        }
        return table.canonical(key)
    }

    /// The expression with every name replaced by its symbol key. Built-in constants and
    /// function names stay as written.
    private mutating func resolve(_ expression: Expression, in scope: Scope) -> Expression {
        switch expression {
        case .number, .time:
            return expression
        case .symbol(let name, let range):
            guard let range else { return expression }
            let key: String
            if let known = remembered(name, in: scope) {
                key = known  // never a built-in constant: those are not remembered
            } else {
                guard !BuiltinNames.constants.contains(name) else { return expression }
                let reference = NameReference(parts: name.split(separator: ".").map(String.init), range: range)
                guard let resolved = resolve(reference, in: scope) else { return expression }
                key = resolved
            }
            if let kind = table[key]?.kind, kind == .submodel || kind == .event {
                sink.error("'\(name)' is \(kind.phrase) and has no value", at: range)
            }
            return .symbol(key, range)
        case .unary(let op, let operand):
            return .unary(op, resolve(operand, in: scope))
        case .binary(let op, let left, let right):
            let resolvedLeft = resolve(left, in: scope)
            return .binary(op, resolvedLeft, resolve(right, in: scope))
        case .call(let name, let arguments, let range):
            var resolved: [Expression] = []
            for argument in arguments { resolved.append(resolve(argument, in: scope)) }
            return .call(name, resolved, range)
        }
    }
}
