import SourceDiagnostics
import PathwayModel

/// SBML (Levels 2 and 3, core) → `Pathway`.
///
/// What the engine's pathway model lacks is expressed in what it has:
/// - initial assignments become the initial-value expressions they replace;
/// - local parameters become global ones named `reaction_local` (made unique);
/// - species references with an id become parameters of that id, so rules, events and
///   math can read and change them; variable stoichiometry and conversion factors
///   become stoichiometry expressions;
/// - species in 0-D compartments are counted in amounts;
/// - fast reactions are held at equilibrium (`FastReactions`).
/// Anything else is refused with `unsupported: …`.
struct SBMLConverter {
    let root: XMLElement
    var level = 3
    var version = 2
    var diagnostics = DiagnosticCollector()
    var pathway = Pathway(name: "model")
    var usedIds = Set<String>()
    /// The fbc constraints, when the model has any.
    var fluxBalance: FluxBalanceConstraints?
    /// Whether any reaction has a kinetic law (a pure flux-balance model has none).
    var hasKineticLaws = false
    /// SBML ids the pathway knows by another name (an element called `time`).
    var renamedIds: [String: String] = [:]

    init(root: XMLElement) { self.root = root }

    static func unsupportedDiagnostic(_ feature: String, at range: SourceRange?) -> Diagnostic {
        let location = range.map { " (at \($0.startLocation))" } ?? ""
        return .error("unsupported: \(feature)\(location)", at: range)
    }

    mutating func unsupported(_ feature: String, _ e: XMLElement) {
        diagnostics.add(Self.unsupportedDiagnostic(feature, at: e.range))
    }

    /// SBML `name` is the human-readable name (Antimony's `x is "…"`).
    mutating func keepName(of e: XMLElement, id: String) {
        if let name = e.attribute("name"), !name.isEmpty { pathway.displayNames[id] = name }
    }

    mutating func invalid(_ message: String, _ e: XMLElement) {
        diagnostics.error(message, at: e.range)
    }

    mutating func math(_ parent: XMLElement) -> Expression? {
        guard let m = parent.child("math") else { return nil }
        do { return try MathMLReader.read(math: m) } catch {
            diagnostics.add(error.diagnostic)
            return nil
        }
    }

    func bool(_ e: XMLElement, _ name: String) -> Bool? {
        switch e.attribute(name) {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }

    mutating func double(_ e: XMLElement, _ name: String) -> Double? {
        guard let text = e.attribute(name) else { return nil }
        do { return try MathMLReader.number(text, e) } catch {
            invalid("attribute \(name)=\"\(text)\" is not a number", e)
            return nil
        }
    }

    func uniqueName(_ base: String) -> String {
        if !usedIds.contains(base) { return base }
        var i = 2
        while usedIds.contains("\(base)_\(i)") { i += 1 }
        return "\(base)_\(i)"
    }

    // MARK: - Document

    mutating func convert() throws(DiagnosticsError) -> Pathway {
        guard root.name == "sbml" else {
            throw DiagnosticsError(.error("not an SBML file: the root element is <\(root.name)>, not <sbml>", at: root.range))
        }
        level = Int(root.attribute("level") ?? "") ?? 0
        version = Int(root.attribute("version") ?? "") ?? 0
        guard level == 2 || level == 3 else {
            throw DiagnosticsError(Self.unsupportedDiagnostic("SBML Level \(root.attribute("level") ?? "?") (Levels 2 and 3 are read)", at: root.range))
        }
        for a in root.attributes where a.name == "required" && !a.prefix.isEmpty && a.value == "true"
            && a.namespace?.hasPrefix(CompFlattener.compNamespacePrefix) != true
            && a.namespace?.hasPrefix(FluxBalanceReader.namespacePrefix) != true {
            diagnostics.add(Self.unsupportedDiagnostic("the SBML package '\(a.prefix)'", at: root.range))
        }
        try diagnostics.throwIfErrors()
        guard var model = root.child("model") else {
            throw DiagnosticsError(.error("the SBML file has no <model>", at: root.range))
        }
        if model.children.contains(where: CompFlattener.isComp) || root.children.contains(where: CompFlattener.isComp) {
            let path = root.range.file.path
            let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            do { model = try CompFlattener(document: root, directory: directory).flattenMain() } catch {
                throw DiagnosticsError(error.diagnostic)
            }
        }
        for c in model.children where c.namespace != root.namespace && c.namespace != nil {
            if c.name == "annotation" || c.name == "notes" || FluxBalanceReader.isFluxBalance(c) { continue }
            unsupported("package element <\(c.name)>", c)
        }
        // `time` names the simulation time in the engine; in SBML it is a legal id, and
        // `<ci>time</ci>` reads the element (the time is a csymbol).
        collectIds(model)
        if usedIds.contains("time") {
            var name = "time_"
            while usedIds.contains(name) { name += "_" }
            model = CompFlattener.rename(model, ["time": name], shadowed: [])
            renamedIds["time"] = name
            usedIds.insert(name)
        }
        pathway.name = model.attribute("id") ?? "model"
        convert(model)
        if FluxBalanceReader.uses(model) {
            var reader = FluxBalanceReader(diagnostics: diagnostics)
            fluxBalance = reader.read(model, pathway: pathway)
            diagnostics = reader.diagnostics
        }
        try diagnostics.throwIfErrors()
        return pathway
    }

    mutating func collectIds(_ model: XMLElement) {
        func visit(_ e: XMLElement, depth: Int) {
            if let id = e.attribute("id") { usedIds.insert(id) }
            guard depth < 6 else { return }
            for c in e.children where c.name != "math" && c.name != "annotation" && c.name != "notes" { visit(c, depth: depth + 1) }
        }
        visit(model, depth: 0)
    }

    mutating func convert(_ model: XMLElement) {
        collectIds(model)
        let modelConversionFactor = model.attribute("conversionFactor")

        // Function definitions.
        for f in model.list("listOfFunctionDefinitions") where f.name == "functionDefinition" {
            guard let id = f.attribute("id") else { invalid("function definition without an id", f); continue }
            guard let m = f.child("math"), let first = m.children.first(where: { $0.name != "annotation" }) else {
                // No math: the function is undefined; calls yield NaN.
                pathway.functions.append(FunctionDefinition(id: id, parameters: [], body: .number(.nan), range: f.range))
                continue
            }
            do {
                let (parameters, body) = try MathMLReader.lambda(first)
                pathway.functions.append(FunctionDefinition(id: id, parameters: parameters, body: body, range: f.range))
            } catch { diagnostics.add(error.diagnostic) }
        }

        // Targets of initial assignments and rules, to know which values are defined.
        var initialAssignment: [String: (Expression, XMLElement)] = [:]
        for ia in model.list("listOfInitialAssignments") where ia.name == "initialAssignment" {
            guard let symbol = ia.attribute("symbol") else { invalid("initial assignment without a symbol", ia); continue }
            if let e = math(ia) { initialAssignment[symbol] = (e, ia) }
        }
        var ruleTargets = Set<String>()
        var algebraic: [(Expression, SourceRange?)] = []
        for r in model.list("listOfRules") {
            switch r.name {
            case "assignmentRule", "rateRule":
                guard let v = r.attribute("variable") else { invalid("rule without a variable", r); continue }
                ruleTargets.insert(v)
            case "algebraicRule":
                if let e = math(r) { algebraic.append((e, r.range)) }
            default: break
            }
        }

        // Compartments.
        var zeroDimensional = Set<String>()
        for c in model.list("listOfCompartments") where c.name == "compartment" {
            guard let id = c.attribute("id") else { invalid("compartment without an id", c); continue }
            keepName(of: c, id: id)
            let dimensions = double(c, "spatialDimensions") ?? (level == 2 ? 3 : .nan)
            var size: Expression? = (double(c, "size") ?? double(c, "volume")).map { .number($0) }
            // A 0-D compartment has no size; its species are counted in amounts. (If a size
            // is given anyway, the suite treats it like any other, e.g. case 01809.)
            if dimensions == 0 && size == nil && initialAssignment[id] == nil { zeroDimensional.insert(id) }
            if let (e, _) = initialAssignment[id] { size = e }
            if size == nil {
                // Level 2 and 0-D compartments default to 1; otherwise undefined.
                size = .number(level == 2 || dimensions == 0 ? 1 : .nan)
            }
            let constant = bool(c, "constant") ?? (level == 2)
            pathway.compartments.append(Compartment(id: id, size: size, isConstant: constant, range: c.range))
        }

        // Species.
        var speciesConversionFactor: [String: String] = [:]
        var speciesInfo: [String: Species] = [:]
        for s in model.list("listOfSpecies") where s.name == "species" {
            guard let id = s.attribute("id"), let compartment = s.attribute("compartment") else {
                invalid("species without an id or compartment", s); continue
            }
            keepName(of: s, id: id)
            var hasOnlySubstanceUnits = bool(s, "hasOnlySubstanceUnits") ?? false
            if zeroDimensional.contains(compartment) { hasOnlySubstanceUnits = true }
            var initial: Expression?
            var isAmount = false
            if let a = double(s, "initialAmount") {
                initial = .number(a)
                isAmount = true
            } else if let c = double(s, "initialConcentration") {
                initial = .number(c)
                if zeroDimensional.contains(compartment) { isAmount = true }
            }
            if let (e, _) = initialAssignment[id] {
                initial = e
                isAmount = hasOnlySubstanceUnits
            }
            if initial == nil { initial = .number(.nan) }
            if let cf = s.attribute("conversionFactor") ?? modelConversionFactor { speciesConversionFactor[id] = cf }
            let species = Species(id: id, compartment: compartment, initialValue: initial, initialIsAmount: isAmount,
                                  hasOnlySubstanceUnits: hasOnlySubstanceUnits,
                                  isBoundary: bool(s, "boundaryCondition") ?? false,
                                  isConstant: bool(s, "constant") ?? false, range: s.range)
            pathway.species.append(species)
            speciesInfo[id] = species
        }

        // Parameters.
        for p in model.list("listOfParameters") where p.name == "parameter" {
            guard let id = p.attribute("id") else { invalid("parameter without an id", p); continue }
            keepName(of: p, id: id)
            var value: Expression? = double(p, "value").map { .number($0) }
            if let (e, _) = initialAssignment[id] { value = e }
            if value == nil { value = .number(.nan) }
            pathway.parameters.append(Parameter(id: id, value: value, isConstant: bool(p, "constant") ?? (level == 2), range: p.range))
        }

        // Reactions.
        var fastReactions: [Int] = []
        for r in model.list("listOfReactions") where r.name == "reaction" {
            guard let id = r.attribute("id") else { invalid("reaction without an id", r); continue }
            keepName(of: r, id: id)
            if bool(r, "fast") == true { fastReactions.append(pathway.reactions.count) }
            var renames: [String: Expression] = [:]
            let law = r.child("kineticLaw")
            if law != nil { hasKineticLaws = true }
            if let law {
                for p in law.list("listOfLocalParameters") + law.list("listOfParameters")
                where p.name == "localParameter" || p.name == "parameter" {
                    guard let local = p.attribute("id") else { continue }
                    let name = uniqueName("\(id)_\(local)")
                    usedIds.insert(name)
                    renames[local] = .symbol(name, p.range)
                    pathway.parameters.append(Parameter(id: name, value: .number(double(p, "value") ?? .nan), isConstant: true, range: p.range))
                }
            }
            let rate = law.flatMap { math($0) }?.substituting(renames) ?? .number(0)
            func references(_ list: String) -> [SpeciesReference] {
                var out: [SpeciesReference] = []
                for ref in r.list(list) where ref.name == "speciesReference" {
                    guard let species = ref.attribute("species") else { invalid("species reference without a species", ref); continue }
                    var stoichiometry: Expression?
                    if let sm = ref.child("stoichiometryMath") {
                        stoichiometry = math(sm)
                    } else if let refId = ref.attribute("id") {
                        // Named: readable and changeable as a parameter.
                        var value: Expression = .number(double(ref, "stoichiometry") ?? (level == 2 ? 1 : .nan))
                        if let (e, _) = initialAssignment[refId] { value = e }
                        pathway.parameters.append(Parameter(id: refId, value: value, isConstant: bool(ref, "constant") ?? true,
                                                            range: ref.range))
                        stoichiometry = .symbol(refId, ref.range)
                    } else {
                        // Level 3 leaves a missing stoichiometry undefined; like other tools, use 1.
                        stoichiometry = .number(double(ref, "stoichiometry") ?? 1)
                    }
                    var e = stoichiometry ?? .number(1)
                    if let cf = speciesConversionFactor[species] { e = .binary(.multiply, e, .symbol(cf, ref.range)) }
                    if case .number(let v) = e, v >= 0 {
                        out.append(SpeciesReference(species: species, stoichiometry: v, range: ref.range))
                    } else {
                        out.append(SpeciesReference(species: species, stoichiometryExpression: e, range: ref.range))
                    }
                }
                return out
            }
            let reactants = references("listOfReactants")
            let products = references("listOfProducts")
            let modifiers = r.list("listOfModifiers").compactMap { $0.attribute("species") }
            pathway.reactions.append(Reaction(id: id, reactants: reactants, products: products, modifiers: modifiers,
                                              rate: rate, isReversible: bool(r, "reversible") ?? true, range: r.range))
        }

        // Rules.
        for r in model.list("listOfRules") {
            guard r.name == "assignmentRule" || r.name == "rateRule", let v = r.attribute("variable") else { continue }
            guard let e = math(r) else { continue }  // no math: the rule has no effect
            let rule = Rule(variable: v, expression: e, range: r.range)
            if r.name == "assignmentRule" { pathway.assignmentRules.append(rule) } else { pathway.rateRules.append(rule) }
        }

        if !algebraic.isEmpty {
            let eventTargets = Set(model.list("listOfEvents").flatMap { $0.list("listOfEventAssignments") }.compactMap { $0.attribute("variable") })
            switch AlgebraicRuleSolver(pathway: pathway, eventTargets: eventTargets).solve(algebraic, usedIds: &usedIds) {
            case .solved(let solution):
                pathway.assignmentRules += solution.assignmentRules
                pathway.rateRules += solution.rateRules
                pathway.parameters += solution.parameters
                for (v, value) in solution.initialValues {
                    if let i = pathway.parameters.firstIndex(where: { $0.id == v }) { pathway.parameters[i].value = value }
                    if let i = pathway.compartments.firstIndex(where: { $0.id == v }) { pathway.compartments[i].size = value }
                }
            case .unsupported(let feature, let range): diagnostics.add(Self.unsupportedDiagnostic(feature, at: range))
            }
        }

        // Species whose rate rule sets their concentration, by compartment: the state is the
        // concentration, so an event resizing the compartment must keep the amount.
        let rateRuleSpecies = Set(pathway.rateRules.map(\.variable))
        var concentrationStates: [String: [String]] = [:]
        for s in pathway.species where rateRuleSpecies.contains(s.id) && !s.hasOnlySubstanceUnits {
            concentrationStates[s.compartment, default: []].append(s.id)
        }

        // Events.
        for (n, e) in model.list("listOfEvents").enumerated() where e.name == "event" {
            let id = e.attribute("id") ?? "event\(n + 1)"
            // An event without a trigger (L3v2) or without trigger math never fires.
            let triggerElement = e.child("trigger")
            let trigger = triggerElement.flatMap { math($0) } ?? .number(0)
            let delay = e.child("delay").flatMap { math($0) }
            let priority = e.child("priority").flatMap { math($0) }
            var assignments: [Event.Assignment] = []
            for a in e.list("listOfEventAssignments") where a.name == "eventAssignment" {
                guard let v = a.attribute("variable") else { invalid("event assignment without a variable", a); continue }
                guard let value = math(a) else { continue }
                assignments.append(Event.Assignment(variable: v, expression: value, range: a.range))
            }
            for resize in assignments {
                guard let species = concentrationStates[resize.variable] else { continue }
                // Values are taken when the assignments run only without a delay or with
                // useValuesFromTriggerTime false; otherwise the old size is not known then.
                if delay != nil && bool(e, "useValuesFromTriggerTime") != false {
                    unsupported("a delayed event resizing a compartment whose species '\(species[0])' has a rate rule", e)
                    break
                }
                // New concentration = (assigned or current concentration) · old size / new size.
                let size = Expression.symbol(resize.variable, resize.range)
                for s in species {
                    let scale = { (c: Expression) in Expression.binary(.divide, .binary(.multiply, c, size), resize.expression) }
                    if let k = assignments.firstIndex(where: { $0.variable == s }) {
                        assignments[k].expression = scale(assignments[k].expression)
                    } else {
                        assignments.append(Event.Assignment(variable: s, expression: scale(.symbol(s, resize.range)), range: resize.range))
                    }
                }
            }
            pathway.events.append(Event(
                id: id, trigger: trigger, delay: delay, priority: priority,
                initialValue: triggerElement.flatMap { bool($0, "initialValue") } ?? true,
                persistent: triggerElement.flatMap { bool($0, "persistent") } ?? true,
                useValuesFromTriggerTime: bool(e, "useValuesFromTriggerTime") ?? true,
                assignments: assignments, range: e.range))
        }

        if !fastReactions.isEmpty {
            var rewriter = FastReactions(pathway: pathway, usedIds: usedIds)
            do {
                pathway = try rewriter.rewrite(fastReactions)
                usedIds = rewriter.usedIds
            } catch {
                diagnostics.add(Self.unsupportedDiagnostic(error.feature, at: error.range))
            }
        }
    }
}
