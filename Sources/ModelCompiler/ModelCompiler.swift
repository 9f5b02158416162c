public import SourceDiagnostics
public import PathwayModel
import Synchronization

/// Validates a pathway and compiles it into a `CompiledModel`: states, programs for the
/// right-hand side and the analytic Jacobian, event and discontinuity descriptions.
public enum ModelCompiler {
    /// Limits that keep hostile input from exhausting memory or the stack.
    public static let maximumFunctionNesting = 64
    /// Most state variables. With the sparse solver (KLU) a 20 000-species chain compiles
    /// and runs in 7 s of CPU and 160 MB (debug build); compile time and memory grow
    /// about linearly, so this bound keeps a hostile file to about a minute and 1 GB.
    /// (The dense solver has its own, lower bound: `LinearSolverChoice.maximumDenseStates`.)
    public static let maximumStateCount = 50_000

    public static func compile(_ pathway: Pathway) throws(DiagnosticsError) -> CompiledModel {
        compilations.withLock { $0[pathway.name, default: 0] += 1 }
        var compiler = Compilation(pathway: pathway)
        return try compiler.run()
    }

    /// How many times `compile` has run in this process, by model name: a white-box hook
    /// for tests that check a model is compiled once however many workers run it (by
    /// name, so tests running at the same time do not count each other's models).
    package static let compilations = Mutex<[String: Int]>([:])
    /// The same for the sensitivity programs (`CompiledModel.differentiated(with:)`).
    package static let differentiations = Mutex<[String: Int]>([:])
}

/// The state of one compilation. Stages run in order; each adds diagnostics and the
/// whole run throws once, at the end of the first stage that found errors.
struct Compilation {
    let pathway: Pathway
    var diagnostics = DiagnosticCollector()

    enum Role {
        case compartment(Int), species(Int), parameter(Int), reaction(Int)
    }
    var roles: [String: Role] = [:]
    var functions: [String: FunctionDefinition] = [:]
    var assignmentRuleFor: [String: Rule] = [:]
    var rateRuleFor: [String: Rule] = [:]

    // Slot layout.
    var slotCount = 1  // slot 0 is time
    var slotNames: [Int: String] = [0: "time"]
    /// Slot of each name's value as expressions see it.
    var valueSlot: [String: Int] = [:]
    var states: [StateVariable] = []
    var stateIndexOfSlot: [Int: Int] = [:]
    /// Index of the amount state behind each species concentration slot (event targets).
    var stateIndexOfConcentrationSlot: [Int: Int] = [:]
    /// Slots of the assigned values, once they are ordered.
    var assignedSlots: Set<Int> = []
    var symbolKinds: [String: SymbolKind] = [:]
    /// `delay(e, τ)` terms, one per distinct pair, and where each interval is written.
    var delayTerms: [DelayTerm] = []
    var delayRanges: [SourceRange?] = []
    /// Set while resolving a delayed expression's past, where `rateOf` is zero.
    var rateOfIsZero = false

    init(pathway: Pathway) { self.pathway = pathway }

    mutating func newSlot(_ name: String) -> Int {
        defer { slotCount += 1 }
        slotNames[slotCount] = name
        return slotCount
    }

    mutating func run() throws(DiagnosticsError) -> CompiledModel {
        declareSymbols()
        try diagnostics.throwIfErrors()
        classifyRules()
        try diagnostics.throwIfErrors()
        layOutSlots()
        if states.count > ModelCompiler.maximumStateCount {
            diagnostics.error("the model has \(states.count) state variables; the solver's limit is \(ModelCompiler.maximumStateCount)",
                              at: nil, hint: "split the model, or lump species that behave alike")
        }
        try diagnostics.throwIfErrors()
        let built = buildAssignedValues()
        try diagnostics.throwIfErrors()
        let order = orderAssigned(built)
        try diagnostics.throwIfErrors()
        let derivatives = buildDerivatives()
        try diagnostics.throwIfErrors()
        let events = buildEvents()
        try diagnostics.throwIfErrors()
        checkDelayIntervals()
        try diagnostics.throwIfErrors()
        let initialization = buildInitialization(order: order)
        try diagnostics.throwIfErrors()
        return assemble(order: order, derivatives: derivatives, events: events, initialization: initialization)
    }

    // MARK: - Symbols

    mutating func declare(_ name: String, _ role: Role, range: SourceRange?) {
        if let existing = roles[name] {
            let what: String
            switch existing {
            case .compartment: what = "a compartment"
            case .species: what = "a species"
            case .parameter: what = "a parameter"
            case .reaction: what = "a reaction"
            }
            diagnostics.error("'\(name)' is already defined as \(what)", at: range)
            return
        }
        if name == "time" {
            diagnostics.error("'time' is reserved for the simulation time and cannot be redefined", at: range)
            return
        }
        roles[name] = role
    }

    mutating func declareSymbols() {
        for (i, c) in pathway.compartments.enumerated() { declare(c.id, .compartment(i), range: c.range) }
        for (i, s) in pathway.species.enumerated() { declare(s.id, .species(i), range: s.range) }
        for (i, p) in pathway.parameters.enumerated() { declare(p.id, .parameter(i), range: p.range) }
        for (i, r) in pathway.reactions.enumerated() { declare(r.id, .reaction(i), range: r.range) }
        for f in pathway.functions {
            if functions[f.id] != nil || roles[f.id] != nil {
                diagnostics.error("'\(f.id)' is defined more than once", at: f.range)
            }
            functions[f.id] = f
        }
        for s in pathway.species {
            guard case .compartment = roles[s.compartment] else {
                diagnostics.error("species '\(s.id)' is in '\(s.compartment)', which is not a compartment", at: s.range,
                                  hint: Suggestions.didYouMean(s.compartment, among: pathway.compartments.map(\.id)))
                continue
            }
        }
        for r in pathway.reactions {
            for ref in r.reactants + r.products {
                guard case .species = roles[ref.species] else {
                    diagnostics.error("'\(ref.species)' in reaction '\(r.id)' is not a species", at: ref.range ?? r.range,
                                      hint: Suggestions.didYouMean(ref.species, among: pathway.species.map(\.id)))
                    continue
                }
                if ref.stoichiometryExpression == nil, !ref.stoichiometry.isFinite || ref.stoichiometry < 0 {
                    diagnostics.error("stoichiometry of '\(ref.species)' in reaction '\(r.id)' must be a non-negative number",
                                      at: ref.range ?? r.range)
                }
            }
        }
    }

    func isBoundaryOrConstant(_ s: Species) -> Bool { s.isBoundary || s.isConstant }

    /// A boundary or constant species (no rules, concentration units) in a compartment
    /// whose size can change: integrated as an amount that nothing changes, so that its
    /// concentration follows the size as SBML requires (the amount is what is fixed).
    func keepsAmount(_ s: Species) -> Bool {
        guard isBoundaryOrConstant(s), !s.hasOnlySubstanceUnits,
              assignmentRuleFor[s.id] == nil, rateRuleFor[s.id] == nil,
              case .compartment(let ci)? = roles[s.compartment] else { return false }
        let c = pathway.compartments[ci]
        return !c.isConstant || assignmentRuleFor[c.id] != nil || rateRuleFor[c.id] != nil
    }

    mutating func classifyRules() {
        for rule in pathway.assignmentRules {
            if assignmentRuleFor[rule.variable] != nil {
                diagnostics.error("'\(rule.variable)' has two assignment rules", at: rule.range)
            }
            assignmentRuleFor[rule.variable] = rule
        }
        for rule in pathway.rateRules {
            if rateRuleFor[rule.variable] != nil {
                diagnostics.error("'\(rule.variable)' has two rate rules", at: rule.range)
            }
            if assignmentRuleFor[rule.variable] != nil {
                diagnostics.error("'\(rule.variable)' has both an assignment rule and a rate rule", at: rule.range)
            }
            rateRuleFor[rule.variable] = rule
        }
        for rule in pathway.assignmentRules + pathway.rateRules {
            switch roles[rule.variable] {
            case .reaction?:
                diagnostics.error("'\(rule.variable)' is a reaction; its rate is set by its rate law, not by a rule", at: rule.range)
            case nil:
                diagnostics.error("rule for unknown symbol '\(rule.variable)'", at: rule.range)
            default: break
            }
        }
        // A species changed by reactions cannot also be set by a rule: the two would fight.
        var inReaction: [String: Reaction] = [:]
        for r in pathway.reactions {
            for ref in r.reactants + r.products where inReaction[ref.species] == nil { inReaction[ref.species] = r }
        }
        for s in pathway.species where !isBoundaryOrConstant(s) {
            guard let r = inReaction[s.id] else { continue }
            if let rule = rateRuleFor[s.id] {
                diagnostics.error("species '\(s.id)' is changed both by a rate rule and by reaction '\(r.id)'", at: rule.range,
                                  hint: "make it a boundary species ($\(s.id)) if the rule alone should set it")
            }
            if let rule = assignmentRuleFor[s.id] {
                diagnostics.error("species '\(s.id)' is set both by an assignment rule and by reaction '\(r.id)'", at: rule.range,
                                  hint: "make it a boundary species ($\(s.id)) if the rule alone should set it")
            }
        }
    }

    // MARK: - Slots

    mutating func layOutSlots() {
        // Plain values first (parameters, compartments, boundary species), so that the
        // memory image is one contiguous block of model constants.
        for c in pathway.compartments where assignmentRuleFor[c.id] == nil && rateRuleFor[c.id] == nil {
            valueSlot[c.id] = newSlot(c.id)
            symbolKinds[c.id] = .compartment
        }
        for p in pathway.parameters where assignmentRuleFor[p.id] == nil && rateRuleFor[p.id] == nil {
            valueSlot[p.id] = newSlot(p.id)
            symbolKinds[p.id] = .parameter
        }
        for s in pathway.species {
            symbolKinds[s.id] = isBoundaryOrConstant(s) ? .boundarySpecies : .species
            if assignmentRuleFor[s.id] == nil, rateRuleFor[s.id] == nil, isBoundaryOrConstant(s), !keepsAmount(s) {
                valueSlot[s.id] = newSlot(s.id)
            }
        }
        // States: floating species (as amounts), then rate-rule targets, in declaration order.
        for s in pathway.species where assignmentRuleFor[s.id] == nil {
            if rateRuleFor[s.id] != nil || s.hasOnlySubstanceUnits && !isBoundaryOrConstant(s) {
                let slot = newSlot(s.id)
                valueSlot[s.id] = slot
                stateIndexOfSlot[slot] = states.count
                states.append(StateVariable(name: s.id, slot: slot, kind: .raw))
            } else if !isBoundaryOrConstant(s) || keepsAmount(s) {
                let amountSlot = newSlot("amount(\(s.id))")
                let concentrationSlot = newSlot(s.id)
                valueSlot[s.id] = concentrationSlot
                stateIndexOfSlot[amountSlot] = states.count
                stateIndexOfConcentrationSlot[concentrationSlot] = states.count
                // The size slot is filled in once compartments have slots (below).
                states.append(StateVariable(name: s.id, slot: amountSlot, kind: .amount(concentrationSlot: concentrationSlot, sizeSlot: -1)))
            }
        }
        for c in pathway.compartments where rateRuleFor[c.id] != nil { addRawState(c.id, kind: .compartment) }
        for p in pathway.parameters where rateRuleFor[p.id] != nil { addRawState(p.id, kind: .parameter) }
        // Assigned values: rule targets and reaction rates.
        for rule in pathway.assignmentRules where valueSlot[rule.variable] == nil {
            valueSlot[rule.variable] = newSlot(rule.variable)
            if symbolKinds[rule.variable] == nil {
                if case .compartment? = roles[rule.variable] { symbolKinds[rule.variable] = .compartment } else { symbolKinds[rule.variable] = .parameter }
            }
        }
        for r in pathway.reactions {
            valueSlot[r.id] = newSlot(r.id)
            symbolKinds[r.id] = .reaction
        }
        // Now every compartment has a slot: point amount states at their compartment's size.
        for (i, state) in states.enumerated() {
            guard case .amount(let cs, _) = state.kind, case .species(let si)? = roles[state.name] else { continue }
            let compartment = pathway.species[si].compartment
            guard let sizeSlot = valueSlot[compartment] else { continue }
            states[i] = StateVariable(name: state.name, slot: state.slot, kind: .amount(concentrationSlot: cs, sizeSlot: sizeSlot))
        }
    }

    mutating func addRawState(_ name: String, kind: SymbolKind) {
        let slot = newSlot(name)
        valueSlot[name] = slot
        symbolKinds[name] = kind
        stateIndexOfSlot[slot] = states.count
        states.append(StateVariable(name: name, slot: slot, kind: .raw))
    }

    // MARK: - Expressions

    /// Resolves names and built-ins, inlines user functions, and reports every problem
    /// (unknown names, wrong arity, division by a literal zero) at its place.
    mutating func resolve(_ e: Expression, context: SourceRange?, bound: [String: Symbolic] = [:], depth: Int = 0) -> Symbolic {
        switch e {
        case .number(let v): return .constant(v)
        case .time: return .slot(0)
        case .symbol(let name, let range):
            if let b = bound[name] { return b }
            if let s = valueSlot[name] { return .slot(s) }
            if let c = Builtins.constants[name] { return .constant(c) }
            if functions[name] != nil {
                diagnostics.error("'\(name)' is a function; call it with arguments", at: range ?? context)
            } else {
                let candidates = Array(valueSlot.keys) + Array(bound.keys)
                diagnostics.error("unknown symbol '\(name)'", at: range ?? context,
                                  hint: Suggestions.didYouMean(name, among: candidates))
            }
            return .constant(.nan)
        case .unary(let op, let a):
            let x = resolve(a, context: context, bound: bound, depth: depth)
            return .make(op == .negate ? .negate : .not, x)
        case .binary(let op, let a, let b):
            let x = resolve(a, context: context, bound: bound, depth: depth)
            let y = resolve(b, context: context, bound: bound, depth: depth)
            if op == .divide, case .number(0) = b {
                diagnostics.error("division by zero", at: b.anyRange ?? a.anyRange ?? context)
            }
            return .make(Self.binaryFunction(op), x, y)
        case .call(let name, let args, let range):
            return resolveCall(name, args, range: range ?? context, context: context, bound: bound, depth: depth)
        }
    }

    static func binaryFunction(_ op: Expression.BinaryOperator) -> Symbolic.BinaryFunction {
        switch op {
        case .add: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .divide: .divide
        case .power: .power
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        case .equal: .equal
        case .notEqual: .notEqual
        case .and: .and
        case .or: .or
        }
    }

    mutating func resolveCall(_ name: String, _ args: [Expression], range: SourceRange?, context: SourceRange?,
                              bound: [String: Symbolic], depth: Int) -> Symbolic {
        if name == "rateOf", functions[name] == nil {
            if rateOfIsZero { return .zero }
            return resolveRateOf(args, range: range, context: context, bound: bound, depth: depth)
        }
        if name == "delay", functions[name] == nil {
            return resolveDelay(args, range: range, context: context, bound: bound, depth: depth)
        }
        if let f = functions[name] {
            guard args.count == f.parameters.count else {
                diagnostics.error("function '\(name)' takes \(f.parameters.count) argument\(f.parameters.count == 1 ? "" : "s") but was given \(args.count)", at: range)
                return .constant(.nan)
            }
            guard depth < ModelCompiler.maximumFunctionNesting else {
                diagnostics.error("function '\(name)' calls itself, directly or through other functions (or nests deeper than \(ModelCompiler.maximumFunctionNesting) calls)", at: range)
                return .constant(.nan)
            }
            var inner: [String: Symbolic] = [:]
            for (p, a) in zip(f.parameters, args) { inner[p] = resolve(a, context: context, bound: bound, depth: depth) }
            // Function bodies see only their arguments and global names (SBML semantics).
            return resolve(f.body, context: f.range ?? range, bound: inner, depth: depth + 1)
        }
        if Builtins.unsupported.contains(name) {
            diagnostics.error("unsupported: the function '\(name)' is not implemented yet", at: range)
            return .constant(.nan)
        }
        guard let arity = Builtins.arity(of: name) else {
            diagnostics.error("unknown function '\(name)'", at: range,
                              hint: Suggestions.didYouMean(name, among: Builtins.allNames + Array(functions.keys)))
            return .constant(.nan)
        }
        guard arity.accepts(args.count) else {
            diagnostics.error("'\(name)' takes \(arity.text) but was given \(args.count)", at: range)
            return .constant(.nan)
        }
        let xs = args.map { resolve($0, context: context, bound: bound, depth: depth) }
        if let f = Builtins.unary[name] { return .make(f, xs[0]) }
        if let f = Builtins.binary[name] { return .make(f, xs[0], xs[1]) }
        if name == "minus" { return xs[0] - xs[1] }
        if name == "divide" { return xs[0] / xs[1] }
        // SBML Level 3 Version 2 functions, written with the operations the engine has:
        // quotient truncates a/b toward zero, rem keeps the dividend's sign (as C fmod).
        if name == "quotient" || name == "rem" {
            let ratio = xs[0] / xs[1]
            let truncated = Symbolic.select(.make(.greaterEqual, ratio, .zero), then: .make(.floor, ratio), else: .make(.ceil, ratio))
            return name == "quotient" ? truncated : xs[0] - xs[1] * truncated
        }
        if name == "implies" { return .make(.or, .make(.not, xs[0]), xs[1]) }
        if let (f, _) = Builtins.variadic[name] {
            if xs.isEmpty {
                switch f {
                case .and, .multiply: return .one
                default: return .zero
                }
            }
            return xs.dropFirst().reduce(xs[0]) { .make(f, $0, $1) }
        }
        if name == "piecewise" {
            // piecewise(value1, condition1, value2, condition2, …, otherwise)
            var result: Symbolic = xs.count % 2 == 1 ? xs[xs.count - 1] : .constant(.nan)
            var i = (xs.count / 2) * 2 - 2
            while i >= 0 {
                result = .select(xs[i + 1], then: xs[i], else: result)
                i -= 2
            }
            return result
        }
        diagnostics.error("unknown function '\(name)'", at: range)
        return .constant(.nan)
    }

    // MARK: - Assigned values

    mutating func buildAssignedValues() -> [AssignedValue] {
        var out: [AssignedValue] = []
        for state in states {
            guard case .amount(let cs, let sizeSlot) = state.kind else { continue }
            out.append(AssignedValue(name: state.name, slot: cs, expression: .slot(state.slot) / .slot(sizeSlot), kind: .concentration))
        }
        for rule in pathway.assignmentRules {
            guard let slot = valueSlot[rule.variable] else { continue }
            out.append(AssignedValue(name: rule.variable, slot: slot,
                                     expression: resolve(rule.expression, context: rule.range), kind: .rule))
        }
        for r in pathway.reactions {
            out.append(AssignedValue(name: r.id, slot: valueSlot[r.id]!,
                                     expression: resolve(r.rate, context: r.range), kind: .reactionRate))
        }
        return out
    }

    /// Topological order of the assigned values; a cycle is an error naming its members.
    mutating func orderAssigned(_ values: [AssignedValue]) -> [AssignedValue] {
        var bySlot: [Int: Int] = [:]
        for (i, v) in values.enumerated() { bySlot[v.slot] = i }
        var mark = [UInt8](repeating: 0, count: values.count)  // 0 new, 1 on stack, 2 done
        var order: [AssignedValue] = []
        var reported = false
        // Iterative depth-first search: deep rule chains must not overflow the stack.
        for root in values.indices where mark[root] == 0 {
            var stack: [(node: Int, deps: [Int], next: Int)] = [(root, dependencies(values[root], bySlot), 0)]
            mark[root] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].deps.count {
                    let d = stack[top].deps[stack[top].next]
                    stack[top].next += 1
                    if mark[d] == 1 {
                        if !reported {
                            reported = true
                            let cycleStart = stack.firstIndex { $0.node == d } ?? 0
                            let names = stack[cycleStart...].map { values[$0.node].name } + [values[d].name]
                            let rule = pathway.assignmentRules.first { $0.variable == values[d].name }
                            let reaction = pathway.reactions.first { $0.id == values[d].name }
                            diagnostics.error("cyclic definition: " + names.joined(separator: " → "),
                                              at: rule?.range ?? reaction?.range,
                                              hint: "assignment rules must not depend on themselves, directly or indirectly")
                        }
                    } else if mark[d] == 0 {
                        mark[d] = 1
                        stack.append((d, dependencies(values[d], bySlot), 0))
                    }
                } else {
                    mark[stack[top].node] = 2
                    order.append(values[stack[top].node])
                    stack.removeLast()
                }
            }
        }
        assignedSlots = Set(order.map(\.slot))
        return order
    }

    func dependencies(_ v: AssignedValue, _ bySlot: [Int: Int]) -> [Int] {
        v.expression.slots.compactMap { bySlot[$0] }.sorted()
    }

    // MARK: - Derivatives

    mutating func buildDerivatives() -> [Symbolic] {
        var stoichiometry: [String: [(reaction: String, coefficient: Symbolic)]] = [:]
        for r in pathway.reactions {
            // Net stoichiometry per species, in order of first mention. A list, not a
            // dictionary: reactions name a few species, and hashing their names was a
            // measurable part of compiling an 11,000-reaction model.
            var net: [(species: String, coefficient: Symbolic)] = []
            func coefficient(_ ref: SpeciesReference) -> Symbolic {
                guard let e = ref.stoichiometryExpression else { return .constant(ref.stoichiometry) }
                return resolve(e, context: ref.range ?? r.range)
            }
            func add(_ ref: SpeciesReference, _ combine: (Symbolic, Symbolic) -> Symbolic) {
                if let k = net.firstIndex(where: { $0.species == ref.species }) {
                    net[k].coefficient = combine(net[k].coefficient, coefficient(ref))
                } else {
                    net.append((ref.species, combine(.zero, coefficient(ref))))
                }
            }
            for ref in r.reactants { add(ref, -) }
            for ref in r.products { add(ref, +) }
            for (s, c) in net where c != .zero { stoichiometry[s, default: []].append((r.id, c)) }
        }
        var out: [Symbolic] = []
        for state in states {
            if case .raw = state.kind, let rule = rateRuleFor[state.name] {
                out.append(resolve(rule.expression, context: rule.range))
                continue
            }
            if case .species(let si)? = roles[state.name], isBoundaryOrConstant(pathway.species[si]) {
                out.append(.zero)  // reactions do not change boundary or constant species
                continue
            }
            // A species changed by reactions: d(amount)/dt = Σ stoichiometry · rate.
            var sum: Symbolic = .zero
            for term in stoichiometry[state.name] ?? [] {
                sum = sum + term.coefficient * .slot(valueSlot[term.reaction]!)
            }
            out.append(sum)
        }
        return out
    }
}
