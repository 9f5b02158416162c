public import PathwayModel

/// `Pathway` → SBML Level 3 Version 2 core.
///
/// What SBML expresses differently from the pathway model:
/// - initial values (and compartment sizes) that are expressions become
///   `listOfInitialAssignments` (never for a symbol an assignment rule defines);
/// - a computed stoichiometry becomes a species reference with an id, `constant="false"`,
///   set by an assignment rule;
/// - names the compiler resolves as built-in constants (`pi`, `INF`, …) become their
///   MathML elements unless the model declares them; `log` is the natural log.
/// Output is deterministic: declaration order, fixed attribute order, numbers written in
/// Swift's shortest round-trip form.
public enum SBMLWriter {
    public static let namespace = "http://www.sbml.org/sbml/level3/version2/core"
    static let mathNamespace = "http://www.w3.org/1998/Math/MathML"
    static let timeURL = "http://www.sbml.org/sbml/symbols/time"
    static let rateOfURL = "http://www.sbml.org/sbml/symbols/rateOf"
    static let delayURL = "http://www.sbml.org/sbml/symbols/delay"
    static let avogadroURL = "http://www.sbml.org/sbml/symbols/avogadro"

    public static func write(_ pathway: Pathway) -> String {
        var w = Writer(pathway: pathway)
        w.document()
        return w.out
    }

    /// The MathML of one expression (`<math>` included), for tests and tools.
    public static func mathML(_ e: Expression, declared: Set<String> = [], functions: Set<String> = []) -> String {
        var w = Writer(pathway: Pathway(name: "m"))
        w.declared = declared
        w.functionNames = functions
        w.math(e, indent: 0)
        return w.out
    }

    /// Escapes text for XML content and attribute values. Unlike the figures' escaper
    /// (`Plotting.XML.escape`), which keeps whitespace as it is and shows forbidden
    /// characters as U+FFFD, this one encodes tab, newline and carriage return as character
    /// references (an attribute value would otherwise have them normalised to spaces, and
    /// SBML notes and names must round-trip) and drops forbidden control characters.
    public static func escape(_ s: String) -> String {
        var r = ""
        r.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            case "'": r += "&apos;"
            case "\n": r += "&#10;"
            case "\r": r += "&#13;"
            case "\t": r += "&#9;"
            default:
                // Control characters are not allowed in XML 1.0; drop them.
                if ch.value < 0x20 { continue }
                r.unicodeScalars.append(ch)
            }
        }
        return r
    }

    /// Shortest round-trip text of a finite Double, split for `<cn>`:
    /// (mantissa, exponent) when the text is in e-notation.
    static func numberParts(_ v: Double) -> (mantissa: String, exponent: String?) {
        if v == v.rounded(), abs(v) < 2_147_483_648, !(v == 0 && v.sign == .minus) { return (String(Int64(v)), nil) }
        let text = "\(v)"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var exponent = String(text[text.index(after: e)...])
            if exponent.hasPrefix("+") { exponent.removeFirst() }
            return (String(text[..<e]), exponent)
        }
        return (text, nil)
    }
}

private struct Writer {
    let pathway: Pathway
    var out = ""
    /// Names the model declares (they shadow built-in constants).
    var declared: Set<String> = []
    var functionNames: Set<String> = []

    init(pathway: Pathway) {
        self.pathway = pathway
        var names = Set<String>()
        for c in pathway.compartments { names.insert(c.id) }
        for s in pathway.species { names.insert(s.id) }
        for p in pathway.parameters { names.insert(p.id) }
        for r in pathway.reactions { names.insert(r.id) }
        declared = names
        functionNames = Set(pathway.functions.map(\.id))
    }

    mutating func line(_ indent: Int, _ text: String) {
        out += String(repeating: "  ", count: indent) + text + "\n"
    }

    static func attr(_ name: String, _ value: String) -> String { " \(name)=\"\(SBMLWriter.escape(value))\"" }
    static func attr(_ name: String, _ value: Bool) -> String { " \(name)=\"\(value ? "true" : "false")\"" }
    static func attr(_ name: String, _ value: Double) -> String { " \(name)=\"\(SBMLWriter.escape(numberText(value)))\"" }

    /// A Double as an SBML attribute value (`INF`, `-INF`, `NaN` are XML Schema doubles).
    static func numberText(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "INF" : "-INF" }
        let (m, e) = SBMLWriter.numberParts(v)
        return e.map { "\(m)e\($0)" } ?? m
    }

    func nameAttr(_ id: String) -> String {
        pathway.displayNames[id].map { Self.attr("name", $0) } ?? ""
    }

    // MARK: - Document

    mutating func document() {
        let p = pathway
        // Symbols an assignment rule defines take no initial assignment (SBML forbids both).
        let ruled = Set(p.assignmentRules.map(\.variable))
        var changed = ruled.union(p.rateRules.map(\.variable))
        for e in p.events { for a in e.assignments { changed.insert(a.variable) } }

        var initialAssignments: [(String, Expression)] = []
        var extraParameters: [(id: String, rule: Expression)] = []
        var usedIds = declared.union(p.events.map(\.id)).union(functionNames)

        line(0, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        line(0, "<sbml xmlns=\"\(SBMLWriter.namespace)\" level=\"3\" version=\"2\">")
        let modelId = Self.isSId(p.name) ? p.name : "model"
        line(1, "<model" + Self.attr("id", modelId) + ">")

        if !p.functions.isEmpty {
            line(2, "<listOfFunctionDefinitions>")
            for f in p.functions {
                line(3, "<functionDefinition" + Self.attr("id", f.id) + nameAttr(f.id) + ">")
                line(4, "<math xmlns=\"\(SBMLWriter.mathNamespace)\">")
                line(5, "<lambda>")
                for a in f.parameters { line(6, "<bvar><ci> \(SBMLWriter.escape(a)) </ci></bvar>") }
                expression(f.body, indent: 6, bound: Set(f.parameters))
                line(5, "</lambda>")
                line(4, "</math>")
                line(3, "</functionDefinition>")
            }
            line(2, "</listOfFunctionDefinitions>")
        }

        if !p.compartments.isEmpty {
            line(2, "<listOfCompartments>")
            for c in p.compartments {
                var a = Self.attr("id", c.id) + nameAttr(c.id)
                switch c.size {
                case .number(let v)?: a += Self.attr("size", v)
                case let e?: if !ruled.contains(c.id) { initialAssignments.append((c.id, e)) }
                case nil: break
                }
                a += Self.attr("constant", c.isConstant && !changed.contains(c.id))
                line(3, "<compartment" + a + "/>")
            }
            line(2, "</listOfCompartments>")
        }

        if !p.species.isEmpty {
            line(2, "<listOfSpecies>")
            for s in p.species {
                var a = Self.attr("id", s.id) + nameAttr(s.id) + Self.attr("compartment", s.compartment)
                switch s.initialValue {
                case .number(let v)?:
                    a += Self.attr(s.initialIsAmount ? "initialAmount" : "initialConcentration", v)
                case let e?:
                    if !ruled.contains(s.id) {
                        // An initial assignment sets the species' own value (amount when
                        // hasOnlySubstanceUnits, concentration otherwise).
                        var value = e
                        if s.initialIsAmount && !s.hasOnlySubstanceUnits {
                            value = .binary(.divide, e, .symbol(s.compartment, nil))
                        } else if !s.initialIsAmount && s.hasOnlySubstanceUnits {
                            value = .binary(.multiply, e, .symbol(s.compartment, nil))
                        }
                        initialAssignments.append((s.id, value))
                    }
                case nil: break
                }
                a += Self.attr("hasOnlySubstanceUnits", s.hasOnlySubstanceUnits)
                a += Self.attr("boundaryCondition", s.isBoundary)
                a += Self.attr("constant", s.isConstant)
                line(3, "<species" + a + "/>")
            }
            line(2, "</listOfSpecies>")
        }

        // Computed stoichiometries: named species references, set by assignment rules.
        var stoichiometryIds: [String: String] = [:]  // "reaction#r3" / "reaction#p0" → id
        for r in p.reactions {
            for (kind, refs) in [("r", r.reactants), ("p", r.products)] {
                for (i, ref) in refs.enumerated() {
                    guard let e = ref.stoichiometryExpression else { continue }
                    var id = "\(r.id)_stoich_\(ref.species)"
                    if usedIds.contains(id) {
                        var n = 2
                        while usedIds.contains("\(id)_\(n)") { n += 1 }
                        id = "\(id)_\(n)"
                    }
                    usedIds.insert(id)
                    stoichiometryIds["\(r.id)#\(kind)\(i)"] = id
                    extraParameters.append((id, e))
                }
            }
        }

        if !p.parameters.isEmpty {
            line(2, "<listOfParameters>")
            for q in p.parameters {
                var a = Self.attr("id", q.id) + nameAttr(q.id)
                switch q.value {
                case .number(let v)?: a += Self.attr("value", v)
                case let e?: if !ruled.contains(q.id) { initialAssignments.append((q.id, e)) }
                case nil: break
                }
                a += Self.attr("constant", q.isConstant && !changed.contains(q.id))
                line(3, "<parameter" + a + "/>")
            }
            line(2, "</listOfParameters>")
        }

        if !initialAssignments.isEmpty {
            line(2, "<listOfInitialAssignments>")
            for (symbol, e) in initialAssignments {
                line(3, "<initialAssignment" + Self.attr("symbol", symbol) + ">")
                math(e, indent: 4)
                line(3, "</initialAssignment>")
            }
            line(2, "</listOfInitialAssignments>")
        }

        if !p.assignmentRules.isEmpty || !p.rateRules.isEmpty || !extraParameters.isEmpty {
            line(2, "<listOfRules>")
            for r in p.assignmentRules {
                line(3, "<assignmentRule" + Self.attr("variable", r.variable) + ">")
                math(r.expression, indent: 4)
                line(3, "</assignmentRule>")
            }
            for (id, e) in extraParameters {
                line(3, "<assignmentRule" + Self.attr("variable", id) + ">")
                math(e, indent: 4)
                line(3, "</assignmentRule>")
            }
            for r in p.rateRules {
                line(3, "<rateRule" + Self.attr("variable", r.variable) + ">")
                math(r.expression, indent: 4)
                line(3, "</rateRule>")
            }
            line(2, "</listOfRules>")
        }

        if !p.reactions.isEmpty {
            line(2, "<listOfReactions>")
            for r in p.reactions {
                line(3, "<reaction" + Self.attr("id", r.id) + nameAttr(r.id) + Self.attr("reversible", r.isReversible) + ">")
                for (kind, list, refs) in [("r", "listOfReactants", r.reactants), ("p", "listOfProducts", r.products)] where !refs.isEmpty {
                    line(4, "<\(list)>")
                    for (i, ref) in refs.enumerated() {
                        if let id = stoichiometryIds["\(r.id)#\(kind)\(i)"] {
                            line(5, "<speciesReference" + Self.attr("id", id) + Self.attr("species", ref.species)
                                 + Self.attr("constant", false) + "/>")
                        } else {
                            line(5, "<speciesReference" + Self.attr("species", ref.species)
                                 + Self.attr("stoichiometry", ref.stoichiometry) + Self.attr("constant", true) + "/>")
                        }
                    }
                    line(4, "</\(list)>")
                }
                if !r.modifiers.isEmpty {
                    line(4, "<listOfModifiers>")
                    for m in r.modifiers { line(5, "<modifierSpeciesReference" + Self.attr("species", m) + "/>") }
                    line(4, "</listOfModifiers>")
                }
                line(4, "<kineticLaw>")
                math(r.rate, indent: 5)
                line(4, "</kineticLaw>")
                line(3, "</reaction>")
            }
            line(2, "</listOfReactions>")
        }

        if !p.events.isEmpty {
            line(2, "<listOfEvents>")
            for e in p.events {
                let id = Self.isSId(e.id) ? Self.attr("id", e.id) : ""
                line(3, "<event" + id + nameAttr(e.id) + Self.attr("useValuesFromTriggerTime", e.useValuesFromTriggerTime) + ">")
                line(4, "<trigger" + Self.attr("initialValue", e.initialValue) + Self.attr("persistent", e.persistent) + ">")
                math(e.trigger, indent: 5)
                line(4, "</trigger>")
                if let d = e.delay {
                    line(4, "<delay>")
                    math(d, indent: 5)
                    line(4, "</delay>")
                }
                if let pr = e.priority {
                    line(4, "<priority>")
                    math(pr, indent: 5)
                    line(4, "</priority>")
                }
                if !e.assignments.isEmpty {
                    line(4, "<listOfEventAssignments>")
                    for a in e.assignments {
                        line(5, "<eventAssignment" + Self.attr("variable", a.variable) + ">")
                        math(a.expression, indent: 6)
                        line(5, "</eventAssignment>")
                    }
                    line(4, "</listOfEventAssignments>")
                }
                line(3, "</event>")
            }
            line(2, "</listOfEvents>")
        }

        line(1, "</model>")
        line(0, "</sbml>")
    }

    static func isSId(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.isASCII && f.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    // MARK: - MathML

    mutating func math(_ e: Expression, indent: Int) {
        line(indent, "<math xmlns=\"\(SBMLWriter.mathNamespace)\">")
        expression(e, indent: indent + 1, bound: [])
        line(indent, "</math>")
    }

    static let constantElements: [String: String] = [
        "pi": "<pi/>", "exponentiale": "<exponentiale/>", "true": "<true/>", "false": "<false/>",
        "INF": "<infinity/>", "inf": "<infinity/>", "infinity": "<infinity/>",
        "NaN": "<notanumber/>", "nan": "<notanumber/>", "notanumber": "<notanumber/>",
    ]

    /// Built-in functions of one argument, by pathway name → MathML element.
    static let unaryElements: [String: String] = [
        "exp": "exp", "ln": "ln", "log": "ln", "abs": "abs", "fabs": "abs", "floor": "floor",
        "ceil": "ceiling", "ceiling": "ceiling", "factorial": "factorial", "not": "not",
        "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot",
        "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sech": "sech", "csch": "csch", "coth": "coth",
        "asin": "arcsin", "arcsin": "arcsin", "acos": "arccos", "arccos": "arccos", "atan": "arctan", "arctan": "arctan",
        "asinh": "arcsinh", "arcsinh": "arcsinh", "acosh": "arccosh", "arccosh": "arccosh",
        "atanh": "arctanh", "arctanh": "arctanh",
        "arcsec": "arcsec", "arccsc": "arccsc", "arccot": "arccot",
        "arcsech": "arcsech", "arccsch": "arccsch", "arccoth": "arccoth",
    ]

    /// Built-ins of two or more arguments that map onto one MathML operator.
    static let naryElements: [String: String] = [
        "pow": "power", "power": "power", "gt": "gt", "lt": "lt", "geq": "geq", "leq": "leq", "eq": "eq", "neq": "neq",
        "min": "min", "max": "max", "and": "and", "or": "or", "xor": "xor", "plus": "plus", "times": "times",
        "minus": "minus", "divide": "divide", "rem": "rem", "quotient": "quotient", "implies": "implies",
    ]

    static func binaryElement(_ op: Expression.BinaryOperator) -> String {
        switch op {
        case .add: "plus"
        case .subtract: "minus"
        case .multiply: "times"
        case .divide: "divide"
        case .power: "power"
        case .less: "lt"
        case .lessEqual: "leq"
        case .greater: "gt"
        case .greaterEqual: "geq"
        case .equal: "eq"
        case .notEqual: "neq"
        case .and: "and"
        case .or: "or"
        }
    }

    mutating func apply(_ head: String, _ args: [Expression], indent: Int, bound: Set<String>, qualifier: String? = nil) {
        line(indent, "<apply>")
        line(indent + 1, head)
        if let qualifier { line(indent + 1, qualifier) }
        for a in args { expression(a, indent: indent + 1, bound: bound) }
        line(indent, "</apply>")
    }

    mutating func number(_ v: Double, indent: Int) {
        if v.isNaN { line(indent, "<notanumber/>"); return }
        if v.isInfinite {
            if v > 0 { line(indent, "<infinity/>") } else {
                line(indent, "<apply>"); line(indent + 1, "<minus/>"); line(indent + 1, "<infinity/>"); line(indent, "</apply>")
            }
            return
        }
        let (m, e) = SBMLWriter.numberParts(v)
        if let e {
            line(indent, "<cn type=\"e-notation\"> \(m) <sep/> \(e) </cn>")
        } else if !m.contains(".") && !m.contains("e") && m != "-0.0" {
            line(indent, "<cn type=\"integer\"> \(m) </cn>")
        } else {
            line(indent, "<cn> \(m) </cn>")
        }
    }

    mutating func expression(_ e: Expression, indent: Int, bound: Set<String>) {
        switch e {
        case .number(let v):
            number(v, indent: indent)
        case .time:
            line(indent, "<csymbol encoding=\"text\" definitionURL=\"\(SBMLWriter.timeURL)\"> time </csymbol>")
        case .symbol(let name, _):
            if !bound.contains(name) && !declared.contains(name) {
                if let c = Self.constantElements[name] { line(indent, c); return }
                if name == "time" {
                    line(indent, "<csymbol encoding=\"text\" definitionURL=\"\(SBMLWriter.timeURL)\"> time </csymbol>")
                    return
                }
                if name == "avogadro" {
                    line(indent, "<csymbol encoding=\"text\" definitionURL=\"\(SBMLWriter.avogadroURL)\"> avogadro </csymbol>")
                    return
                }
            }
            line(indent, "<ci> \(SBMLWriter.escape(name)) </ci>")
        case .unary(let op, let a):
            apply(op == .negate ? "<minus/>" : "<not/>", [a], indent: indent, bound: bound)
        case .binary(let op, let a, let b):
            apply("<\(Self.binaryElement(op))/>", [a, b], indent: indent, bound: bound)
        case .call(let name, let args, _):
            call(name, args, indent: indent, bound: bound)
        }
    }

    mutating func call(_ name: String, _ args: [Expression], indent: Int, bound: Set<String>) {
        if functionNames.contains(name) {
            apply("<ci> \(SBMLWriter.escape(name)) </ci>", args, indent: indent, bound: bound)
            return
        }
        switch (name, args.count) {
        case (let n, 1) where Self.unaryElements[n] != nil:
            apply("<\(Self.unaryElements[n]!)/>", args, indent: indent, bound: bound)
        case ("log10", 1):
            apply("<log/>", args, indent: indent, bound: bound, qualifier: "<logbase><cn type=\"integer\"> 10 </cn></logbase>")
        case ("log2", 1):
            apply("<log/>", args, indent: indent, bound: bound, qualifier: "<logbase><cn type=\"integer\"> 2 </cn></logbase>")
        case ("sqrt", 1):
            apply("<root/>", args, indent: indent, bound: bound)
        case ("sqr", 1):
            apply("<power/>", [args[0], .number(2)], indent: indent, bound: bound)
        case ("root", 2):
            // Antimony root(n, x): the n-th root of x.
            line(indent, "<apply>")
            line(indent + 1, "<root/>")
            line(indent + 1, "<degree>")
            expression(args[0], indent: indent + 2, bound: bound)
            line(indent + 1, "</degree>")
            expression(args[1], indent: indent + 1, bound: bound)
            line(indent, "</apply>")
        case ("rateOf", 1):
            apply("<csymbol encoding=\"text\" definitionURL=\"\(SBMLWriter.rateOfURL)\"> rateOf </csymbol>", args, indent: indent, bound: bound)
        case ("delay", 2):
            apply("<csymbol encoding=\"text\" definitionURL=\"\(SBMLWriter.delayURL)\"> delay </csymbol>", args, indent: indent, bound: bound)
        case ("piecewise", let n) where n >= 1:
            line(indent, "<piecewise>")
            var i = 0
            while i + 1 < n {
                line(indent + 1, "<piece>")
                expression(args[i], indent: indent + 2, bound: bound)
                expression(args[i + 1], indent: indent + 2, bound: bound)
                line(indent + 1, "</piece>")
                i += 2
            }
            if i < n {
                line(indent + 1, "<otherwise>")
                expression(args[i], indent: indent + 2, bound: bound)
                line(indent + 1, "</otherwise>")
            }
            line(indent, "</piecewise>")
        case (let n, _) where Self.naryElements[n] != nil:
            apply("<\(Self.naryElements[n]!)/>", args, indent: indent, bound: bound)
        default:
            // Unknown names are written as calls; the importer reads them back the same way.
            apply("<ci> \(SBMLWriter.escape(name)) </ci>", args, indent: indent, bound: bound)
        }
    }
}
