public import SourceDiagnostics

/// What a units check found: inconsistencies (warnings at the element, with a hint) and
/// the quantities whose units are not declared, so that expressions using them could
/// not be checked.
public struct UnitsReport: Sendable {
    public var diagnostics: [Diagnostic]
    public var undeclared: [String]
}

/// Dimensional analysis of an SBML model (Levels 2 and 3, core): every rate law, rule,
/// initial assignment, event assignment, event delay and priority is given units from
/// the quantities it reads and compared with the units it must have.
///
/// The rules follow SBML's unit semantics (Level 3 Version 2 §4.9, Level 2 Version 4 §4.13
/// and §3.4 on MathML units):
/// - a species is in substance per compartment size, or in substance when it has only
///   substance units or lives in a 0-D compartment; a reaction rate is in extent per time;
///   a rate rule's expression is in its variable's units per time;
/// - a number with `sbml:units` has those units; a bare number declares none: a product
///   or quotient with one is not checked (as in libSBML: `0.5·V` may be a rate in L/s),
///   and in sums and comparisons it matches anything (`1 + S/Km`);
/// - a quantity without declared units makes every expression that multiplies it
///   unknown: nothing is reported there (the report lists such quantities instead).
/// Sizes count: `1/ms` is not `1/s`, so a slip between µM and nM is found.
public enum SBMLUnitsChecker {
    public static func check(path: String) throws(DiagnosticsError) -> UnitsReport {
        try check(source: SourceFile.read(path: path))
    }

    public static func check(source: SourceFile) throws(DiagnosticsError) -> UnitsReport {
        let root = try XMLParser.parse(source)
        guard root.name == "sbml", let model = root.child("model") else {
            throw DiagnosticsError(.error("not an SBML model: the root element is <\(root.name)>", at: root.range))
        }
        var checker = UnitsChecker(level: Int(root.attribute("level") ?? "") ?? 3, model: model)
        checker.run()
        return UnitsReport(diagnostics: checker.diagnostics, undeclared: checker.undeclared)
    }
}

struct UnitsChecker {
    /// An expression's units (nil: not known) and, for constant expressions, its value
    /// (what an exponent needs); `bare` marks a number without `sbml:units`.
    struct Value {
        var unit: PhysicalUnit?
        var constant: Double?
        var bare = false

        static let unknown = Value(unit: nil, constant: nil)
        static func of(_ u: PhysicalUnit?) -> Value { Value(unit: u, constant: nil) }
    }

    let level: Int
    let model: XMLElement
    var definitions: [String: PhysicalUnit?] = [:]
    /// Units of every id the math may name (species, compartments, parameters, species
    /// references, reactions); nil when undeclared.
    var symbols: [String: PhysicalUnit?] = [:]
    var functions: [String: (parameters: [String], body: XMLElement)] = [:]
    var time: PhysicalUnit?
    var extent: PhysicalUnit?
    var diagnostics: [Diagnostic] = []
    var undeclared: [String] = []
    var reported = Set<String>()

    init(level: Int, model: XMLElement) {
        self.level = level
        self.model = model
    }

    // MARK: - Declarations

    /// A `units` attribute's value: a unit definition, a base unit, or (Level 2) one of
    /// the built-in `substance`, `volume`, `area`, `length`, `time`.
    func resolve(_ name: String?) -> PhysicalUnit? {
        guard let name, !name.isEmpty else { return nil }
        if let d = definitions[name] { return d }
        if let b = PhysicalUnit.base[name] { return b }
        if level == 2 {
            switch name {
            case "substance": return PhysicalUnit.base["mole"]
            case "volume": return PhysicalUnit.base["litre"]
            case "area": return .si(m: 2)
            case "length": return .si(m: 1)
            case "time": return PhysicalUnit.base["second"]
            default: return nil
            }
        }
        return nil
    }

    func number(_ e: XMLElement, _ name: String, default value: Double) -> Double {
        e.attribute(name).flatMap { Double(MathMLReader.trimmed($0)) } ?? value
    }

    mutating func readDefinitions() {
        for d in model.list("listOfUnitDefinitions") where d.name == "unitDefinition" {
            guard let id = d.attribute("id") else { continue }
            var product: PhysicalUnit? = .dimensionless
            for u in d.list("listOfUnits") where u.name == "unit" {
                guard let kind = u.attribute("kind"), let base = PhysicalUnit.base[kind], let p = product else {
                    product = nil
                    continue
                }
                let size = number(u, "multiplier", default: 1) * pow10(number(u, "scale", default: 0)) * base.multiplier
                let exponent = number(u, "exponent", default: 1)
                var one = base
                one.multiplier = size
                product = p * one.power(exponent)
            }
            definitions[id] = product
        }
    }

    func pow10(_ x: Double) -> Double { x == 0 ? 1 : PhysicalUnit(multiplier: 10).power(x).multiplier }

    /// Model-wide units: Level 3 attributes of `<model>`; Level 2's built-in names.
    func modelUnit(_ attribute: String, level2 name: String) -> PhysicalUnit? {
        level == 2 ? resolve(name) : resolve(model.attribute(attribute))
    }

    mutating func readSymbols() {
        time = modelUnit("timeUnits", level2: "time")
        let substance = modelUnit("substanceUnits", level2: "substance")
        extent = level == 2 ? substance : resolve(model.attribute("extentUnits"))
        if time == nil { undeclared.append("the model's time units") }
        if extent == nil { undeclared.append("the model's extent units") }

        var dimensions: [String: Double] = [:]
        for c in model.list("listOfCompartments") where c.name == "compartment" {
            guard let id = c.attribute("id") else { continue }
            let d = number(c, "spatialDimensions", default: level == 2 ? 3 : .nan)
            dimensions[id] = d
            var u = resolve(c.attribute("units"))
            if u == nil {
                switch d {
                case 3: u = modelUnit("volumeUnits", level2: "volume")
                case 2: u = modelUnit("areaUnits", level2: "area")
                case 1: u = modelUnit("lengthUnits", level2: "length")
                case 0: u = .dimensionless
                default: u = nil
                }
            }
            symbols[id] = u
            if u == nil { undeclared.append("compartment '\(id)'") }
        }
        for s in model.list("listOfSpecies") where s.name == "species" {
            guard let id = s.attribute("id"), let compartment = s.attribute("compartment") else { continue }
            let amount = resolve(s.attribute("substanceUnits")) ?? substance
            let onlySubstance = s.attribute("hasOnlySubstanceUnits") == "true" || dimensions[compartment] == 0
            var u = amount
            if !onlySubstance, let a = amount {
                u = symbols[compartment].flatMap { $0 }.map { a / $0 }
            }
            symbols[id] = u
            if u == nil { undeclared.append("species '\(id)'") }
        }
        for p in model.list("listOfParameters") where p.name == "parameter" {
            guard let id = p.attribute("id") else { continue }
            let u = resolve(p.attribute("units"))
            symbols[id] = u
            if u == nil { undeclared.append("parameter '\(id)'") }
        }
        for r in model.list("listOfReactions") where r.name == "reaction" {
            guard let id = r.attribute("id") else { continue }
            symbols[id] = level == 3 ? extent.flatMap { e in time.map { e / $0 } } : nil
            for list in ["listOfReactants", "listOfProducts"] {
                for ref in r.list(list) { if let refId = ref.attribute("id") { symbols[refId] = .dimensionless } }
            }
        }
        for f in model.list("listOfFunctionDefinitions") where f.name == "functionDefinition" {
            guard let id = f.attribute("id"), var node = f.child("math")?.children.first(where: { $0.name != "annotation" }) else { continue }
            if node.name == "semantics", let first = node.children.first { node = first }
            guard node.name == "lambda" else { continue }
            let parameters = node.children.filter { $0.name == "bvar" }.compactMap { $0.child("ci").map { MathMLReader.trimmed($0.text) } }
            guard let body = node.children.last(where: { $0.name != "bvar" && $0.name != "annotation" }) else { continue }
            functions[id] = (parameters, body)
        }
    }

    // MARK: - Checks

    mutating func run() {
        readDefinitions()
        readSymbols()
        let perTime: (PhysicalUnit?) -> PhysicalUnit? = { [time] u in u.flatMap { u in time.map { u / $0 } } }
        for r in model.list("listOfReactions") where r.name == "reaction" {
            guard let law = r.child("kineticLaw"), let math = law.child("math") else { continue }
            let id = r.attribute("id") ?? "?"
            var local: [String: Value] = [:]
            for p in law.list("listOfLocalParameters") + law.list("listOfParameters")
            where p.name == "localParameter" || p.name == "parameter" {
                guard let pid = p.attribute("id") else { continue }
                let u = resolve(p.attribute("units"))
                local[pid] = .of(u)
                if u == nil { undeclared.append("local parameter '\(pid)' of reaction '\(id)'") }
            }
            // Level 2 Versions 1–2 let a kinetic law override the model's substance and time units.
            let lawTime = resolve(law.attribute("timeUnits")) ?? time
            let lawExtent = resolve(law.attribute("substanceUnits")) ?? extent
            let expected = lawExtent.flatMap { e in lawTime.map { e / $0 } }
            expect(math, bindings: local, toBe: expected, at: law,
                   what: "the rate law of reaction '\(id)'", target: "a reaction rate (extent per time)")
        }
        for r in model.list("listOfRules") {
            guard let math = r.child("math") else { continue }
            switch r.name {
            case "assignmentRule":
                guard let v = r.attribute("variable") else { continue }
                expect(math, toBe: symbols[v] ?? nil, at: r, what: "the assignment rule for '\(v)'", target: "'\(v)'")
            case "rateRule":
                guard let v = r.attribute("variable") else { continue }
                expect(math, toBe: perTime(symbols[v] ?? nil), at: r, what: "the rate rule for '\(v)'",
                       target: "the rate of '\(v)' (its units per time)")
            default:
                _ = units(of: math, bindings: [:])
            }
        }
        for ia in model.list("listOfInitialAssignments") where ia.name == "initialAssignment" {
            guard let v = ia.attribute("symbol"), let math = ia.child("math") else { continue }
            expect(math, toBe: symbols[v] ?? nil, at: ia, what: "the initial assignment to '\(v)'", target: "'\(v)'")
        }
        for e in model.list("listOfEvents") where e.name == "event" {
            if let math = e.child("trigger")?.child("math") { _ = units(of: math, bindings: [:]) }
            if let d = e.child("delay"), let math = d.child("math") {
                expect(math, toBe: time, at: d, what: "the event delay", target: "time")
            }
            if let p = e.child("priority"), let math = p.child("math") {
                expect(math, toBe: .dimensionless, at: p, what: "the event priority", target: "a priority")
            }
            for a in e.list("listOfEventAssignments") where a.name == "eventAssignment" {
                guard let v = a.attribute("variable"), let math = a.child("math") else { continue }
                expect(math, toBe: symbols[v] ?? nil, at: a, what: "the event assignment to '\(v)'", target: "'\(v)'")
            }
        }
    }

    mutating func report(_ message: String, at e: XMLElement, hint: String? = nil) {
        let key = "\(e.range.start):\(message)"
        guard reported.insert(key).inserted else { return }
        diagnostics.append(Diagnostic(.warning, "units: " + message, at: e.range, hints: hint.map { [$0] } ?? []))
    }

    /// Compares a `<math>`'s units with what its element requires.
    mutating func expect(_ math: XMLElement, bindings: [String: Value] = [:], toBe expected: PhysicalUnit?,
                         at owner: XMLElement, what: String, target: String) {
        let value = units(of: math, bindings: bindings)
        guard let expected, let actual = value.unit, !actual.matches(expected) else { return }
        let required = expected.isDimensionless ? "\(target) must be dimensionless" : "\(target) is in \(expected)"
        let hint = blame(math, bindings: bindings, actual: actual, expected: expected)
            ?? "check the units of the quantities it reads"
        report("\(what) has units \(actual), but \(required)", at: owner, hint: hint)
    }

    /// A hint naming the first parameter among the expression's top-level factors, with the
    /// units it would need for the expression to come out right.
    func blame(_ math: XMLElement, bindings: [String: Value], actual: PhysicalUnit, expected: PhysicalUnit) -> String? {
        var factors: [(String, Double)] = []
        func walk(_ e: XMLElement, _ sign: Double) {
            switch e.name {
            case "math", "semantics":
                if let first = e.children.first(where: { $0.name != "annotation" && $0.name != "annotation-xml" }) { walk(first, sign) }
            case "ci": factors.append((MathMLReader.trimmed(e.text), sign))
            case "apply":
                guard let head = e.children.first else { return }
                let args = Array(e.children.dropFirst())
                if head.name == "times" { for a in args { walk(a, sign) } }
                if head.name == "divide", args.count == 2 { walk(args[0], sign); walk(args[1], -sign) }
            default: break
            }
        }
        walk(math, 1)
        let parameterIds = Set(model.list("listOfParameters").compactMap { $0.attribute("id") })
        for (name, sign) in factors where bindings[name] != nil || parameterIds.contains(name) {
            guard let has = bindings[name]?.unit ?? symbols[name] ?? nil else { continue }
            let needed = has * (expected / actual).power(sign)
            return "'\(name)' has units \(has) but is used as \(needed)"
        }
        return nil
    }

    // MARK: - Expressions

    mutating func units(of math: XMLElement, bindings: [String: Value]) -> Value {
        guard let first = math.children.first(where: { $0.name != "annotation" && $0.name != "annotation-xml" }) else { return .unknown }
        return units(first, bindings, depth: 0)
    }

    /// All of `values` must agree where known; returns the first known one.
    mutating func agree(_ values: [Value], at e: XMLElement, _ what: String) -> Value {
        let known = values.compactMap(\.unit)
        guard let first = known.first else {
            return values.count == 1 ? values[0] : Value(unit: nil, constant: nil, bare: values.allSatisfy(\.bare))
        }
        if let other = known.dropFirst().first(where: { !$0.matches(first) }) {
            report("\(what) have different units: \(first) and \(other)", at: e,
                   hint: "terms that are added, compared or chosen between must have the same units")
        }
        return .of(first)
    }

    mutating func dimensionless(_ v: Value, at e: XMLElement, _ what: String) {
        if let u = v.unit, !u.isDimensionless {
            report("the argument of \(what) has units \(u); it must be dimensionless", at: e,
                   hint: "divide it by a reference quantity in the same units")
        }
    }

    mutating func units(_ e: XMLElement, _ bindings: [String: Value], depth: Int) -> Value {
        guard depth < MathMLReader.maximumNesting else { return .unknown }
        switch e.name {
        case "cn":
            let value = (try? MathMLReader.expression(e)).flatMap { x -> Double? in if case .number(let v) = x { v } else { nil } }
            if let name = e.attributes.first(where: { $0.name == "units" })?.value {
                return Value(unit: resolve(name), constant: value)
            }
            return Value(unit: nil, constant: value, bare: true)
        case "ci":
            let name = MathMLReader.trimmed(e.text)
            if let b = bindings[name] { return b }
            return .of(symbols[name] ?? nil)
        case "csymbol":
            return MathMLReader.trimmed(e.attribute("definitionURL") ?? "") == MathMLReader.timeURL ? .of(time) : .unknown
        case "true", "false", "pi", "exponentiale":
            return Value(unit: .dimensionless, constant: nil)
        case "semantics":
            guard let first = e.children.first(where: { $0.name != "annotation" && $0.name != "annotation-xml" }) else { return .unknown }
            return units(first, bindings, depth: depth + 1)
        case "piecewise":
            var values: [Value] = []
            for c in e.children {
                if c.name == "piece", c.children.count == 2 {
                    values.append(units(c.children[0], bindings, depth: depth + 1))
                    _ = units(c.children[1], bindings, depth: depth + 1)
                } else if c.name == "otherwise", let v = c.children.first {
                    values.append(units(v, bindings, depth: depth + 1))
                }
            }
            return agree(values, at: e, "the cases of this piecewise")
        case "apply":
            return apply(e, bindings, depth: depth)
        default:
            return .unknown
        }
    }

    mutating func apply(_ e: XMLElement, _ bindings: [String: Value], depth: Int) -> Value {
        guard let head = e.children.first else { return .unknown }
        let operands = e.children.dropFirst().filter { !["degree", "logbase", "bvar"].contains($0.name) }
        var args: [Value] = []
        for o in operands { args.append(units(o, bindings, depth: depth + 1)) }
        func qualifier(_ name: String) -> Value? {
            guard let q = e.children.first(where: { $0.name == name }), let x = q.children.first else { return nil }
            return units(x, bindings, depth: depth + 1)
        }
        func folded(_ op: (Double, Double) -> Double) -> Double? {
            guard let first = args.first?.constant else { return nil }
            var r = first
            for a in args.dropFirst() { guard let c = a.constant else { return nil }; r = op(r, c) }
            return r
        }
        switch head.name {
        case "plus":
            var v = agree(args, at: e, "the terms of this sum")
            v.constant = folded(+)
            return v
        case "minus":
            var v = agree(args, at: e, "the terms of this difference")
            v.constant = args.count == 1 ? args[0].constant.map { -$0 } : folded(-)
            return v
        case "times":
            // Numbers times numbers are still a number: they declare nothing. A bare number
            // among other factors may carry units (`0.5·V` a rate in L/s), so, as in libSBML,
            // a product or quotient with one is not checked (its units stay unknown).
            if args.allSatisfy(\.bare) { return Value(unit: nil, constant: folded(*), bare: true) }
            var product: PhysicalUnit? = .dimensionless
            for a in args { product = product.flatMap { p in a.unit.map { p * $0 } } }
            return Value(unit: product, constant: folded(*))
        case "divide":
            guard args.count == 2 else { return .unknown }
            if args.allSatisfy(\.bare) { return Value(unit: nil, constant: folded(/), bare: true) }
            let u = args[0].unit.flatMap { a in args[1].unit.map { a / $0 } }
            return Value(unit: u, constant: folded(/))
        case "power", "root":
            let base = args.first ?? .unknown
            let exponent: Value
            if head.name == "power" {
                guard args.count == 2 else { return .unknown }
                exponent = args[1]
            } else {
                let degree = qualifier("degree") ?? Value(unit: .dimensionless, constant: 2)
                exponent = Value(unit: degree.unit, constant: degree.constant.map { 1 / $0 }, bare: degree.bare)
            }
            dimensionless(exponent, at: e, "an exponent")
            guard let b = base.unit else { return .unknown }
            if let n = exponent.constant { return Value(unit: b.power(n), constant: nil) }
            if !b.isDimensionless {
                report("a quantity in \(b) is raised to a power that is not a constant number", at: e,
                       hint: "the result's units would depend on the exponent's value; make the base dimensionless")
            }
            return .of(b.isDimensionless ? .dimensionless : nil)
        case "exp", "ln", "log", "sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "sech", "csch", "coth",
             "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arcsec", "arccsc", "arccot",
             "arcsech", "arccsch", "arccoth", "factorial":
            for a in args { dimensionless(a, at: e, "<\(head.name)/>") }
            if let base = qualifier("logbase") { dimensionless(base, at: e, "the base of <log/>") }
            return Value(unit: .dimensionless, constant: nil)
        case "abs", "floor", "ceiling":
            return args.first ?? .unknown
        case "max", "min":
            return agree(args, at: e, "the arguments of <\(head.name)/>")
        case "rem":
            return agree(args, at: e, "the arguments of <rem/>")
        case "quotient":
            guard args.count == 2 else { return .unknown }
            return .of(args[0].unit.flatMap { a in args[1].unit.map { a / $0 } })
        case "eq", "neq", "gt", "lt", "geq", "leq":
            _ = agree(args, at: e, "the compared quantities")
            return Value(unit: .dimensionless, constant: nil)
        case "and", "or", "xor", "not", "implies":
            return Value(unit: .dimensionless, constant: nil)
        case "csymbol":
            let url = MathMLReader.trimmed(head.attribute("definitionURL") ?? "")
            if url == MathMLReader.delayURL, args.count == 2 {
                if let t = time, let u = args[1].unit, !u.matches(t) {
                    report("the delay has units \(u), but time is in \(t)", at: e, hint: "a delay is a time interval in the model's time units")
                }
                return args[0]
            }
            if url == MathMLReader.rateOfURL, let a = args.first {
                return .of(a.unit.flatMap { u in time.map { u / $0 } })
            }
            return .unknown
        case "ci":
            let name = MathMLReader.trimmed(head.text)
            guard let f = functions[name], f.parameters.count == args.count else { return .unknown }
            let inner = Dictionary(zip(f.parameters, args), uniquingKeysWith: { a, _ in a })
            // A function body sees only its arguments, never the model's quantities.
            let saved = symbols
            symbols = [:]
            defer { symbols = saved }
            return units(f.body, inner, depth: depth + 1)
        default:
            return .unknown
        }
    }
}
