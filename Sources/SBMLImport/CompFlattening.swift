import SourceDiagnostics

/// Flattens hierarchical models (the SBML `comp` package) into one core model, in the
/// XML domain, before conversion:
/// - every submodel's elements are instantiated with ids prefixed `sub__`;
/// - deletions remove the elements they point at (and rules that set them);
/// - `replacedElement` keeps the outer element and points references to the inner one
///   at it; `replacedBy` keeps the inner element under the outer id;
/// - ports resolve to the elements they name; external model files are read from the
///   model's directory (with the same safe parser; bounded nesting).
/// - references by metaid name the element's id, or (for deletions) the element itself;
/// - a reference to an element a submodel's own replacement renamed follows the rename
///   (chained replacedBy);
/// - a replaced element with a conversion factor `f` reads as `replacement / f`, and
///   what sets it sets the replacement to its value times `f`.
struct CompFlattener {
    static let compNamespacePrefix = "http://www.sbml.org/sbml/level3/version1/comp/version"
    static let lists = ["listOfFunctionDefinitions", "listOfUnitDefinitions", "listOfCompartments", "listOfSpecies",
                        "listOfParameters", "listOfInitialAssignments", "listOfRules", "listOfConstraints",
                        "listOfReactions", "listOfEvents"]

    struct Failure: Error { let diagnostic: Diagnostic }

    /// A model's core content, with ids relative to that model.
    struct Flat {
        var lists: [String: [XMLElement]] = [:]
        var conversionFactor: String?
        /// Ids of submodel elements that replacements renamed, to what they are now called
        /// (so an outer reference through this model finds them: chained replacedBy).
        var aliases: [String: String] = [:]
    }

    let document: XMLElement
    let directory: String
    var depth = 0

    static func isComp(_ e: XMLElement) -> Bool { e.namespace?.hasPrefix(compNamespacePrefix) == true }

    static func compAttribute(_ e: XMLElement, _ name: String) -> String? {
        e.attributes.first { $0.name == name && ($0.namespace?.hasPrefix(compNamespacePrefix) == true) }?.value
            ?? e.attribute(name)
    }

    static func unsupported(_ feature: String, _ e: XMLElement) -> Failure {
        Failure(diagnostic: SBMLConverter.unsupportedDiagnostic(feature, at: e.range))
    }

    /// The flattened main model of the document, as a `<model>` element.
    func flattenMain() throws(Failure) -> XMLElement {
        guard let model = document.child("model") else { throw Failure(diagnostic: .error("no <model>", at: document.range)) }
        let flat = try flatten(model, in: document, directory: directory, depth: 0)
        var children: [XMLElement] = []
        for name in Self.lists {
            guard let items = flat.lists[name], !items.isEmpty else { continue }
            children.append(Self.element(name, namespace: model.namespace, children: items, like: model))
        }
        var attributes = model.attributes.filter { $0.namespace == nil }
        attributes.removeAll { $0.name == "conversionFactor" }
        if let cf = flat.conversionFactor { attributes.append(.init(prefix: "", name: "conversionFactor", namespace: nil, value: cf)) }
        return XMLElement(name: "model", namespace: model.namespace, attributes: attributes, children: children,
                          textParts: Array(repeating: "", count: children.count + 1), range: model.range)
    }

    static func element(_ name: String, namespace: String?, children: [XMLElement], like: XMLElement) -> XMLElement {
        XMLElement(name: name, namespace: namespace, attributes: [], children: children,
                   textParts: Array(repeating: "", count: children.count + 1), range: like.range)
    }

    /// Finds the definition a submodel instantiates: a model definition in this document
    /// or an external model definition (another file).
    func definition(_ ref: String, in doc: XMLElement, directory: String, at e: XMLElement,
                    depth: Int) throws(Failure) -> (XMLElement, XMLElement, String) {
        for d in doc.list("listOfModelDefinitions") where d.attribute("id") == ref { return (d, doc, directory) }
        if let main = doc.child("model"), main.attribute("id") == ref { return (main, doc, directory) }
        for x in doc.list("listOfExternalModelDefinitions") where Self.compAttribute(x, "id") == ref {
            guard let source = Self.compAttribute(x, "source") else { throw Self.unsupported("external model definition without a source", x) }
            guard !source.contains("://") || source.hasPrefix("file:") else {
                throw Self.unsupported("external model '\(source)' (only local files are read)", x)
            }
            let name = source.hasPrefix("file:") ? String(source.dropFirst(5)) : source
            let path = name.hasPrefix("/") ? name : (directory.isEmpty ? name : directory + "/" + name)
            let other: XMLElement
            do { other = try XMLParser.parse(try SourceFile.read(path: path)) } catch {
                throw Failure(diagnostic: error.diagnostics.first ?? .error("cannot read '\(path)'", at: x.range))
            }
            let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            guard let modelRef = Self.compAttribute(x, "modelRef") else {
                guard let main = other.child("model") else { throw Failure(diagnostic: .error("comp: '\(path)' has no <model>", at: x.range)) }
                return (main, other, dir)
            }
            return try definition(modelRef, in: other, directory: dir, at: x, depth: depth)
        }
        throw Failure(diagnostic: .error("comp: no model definition '\(ref)'", at: e.range))
    }

    /// The id a port or id reference names inside a model (following nested sBaseRefs
    /// into sub-submodels: `a` then `b` → `a__b`; the last may be a metaid, looked up in
    /// `document`).
    static func target(of ref: XMLElement, in model: XMLElement, document: XMLElement? = nil) throws(Failure) -> String {
        var id: String
        if let idRef = compAttribute(ref, "idRef") {
            id = idRef
        } else if let portRef = compAttribute(ref, "portRef") {
            guard let port = model.list("listOfPorts").first(where: { compAttribute($0, "id") == portRef }) else {
                throw Failure(diagnostic: .error("comp: no port '\(portRef)'", at: ref.range))
            }
            return try target(of: port, in: model)
        } else if let meta = compAttribute(ref, "metaIdRef") {
            guard let element = element(withMetaid: meta, in: model) else {
                throw Failure(diagnostic: .error("comp: no element with metaid '\(meta)'", at: ref.range))
            }
            // An element without an id (a rule, an event assignment) is named by its metaid,
            // and so is a local parameter, whose id means another thing outside its reaction.
            guard let elementId = element.attribute("id"), element.name != "localParameter" else {
                if ref.child("sBaseRef") != nil { throw unsupported("a nested comp reference into an element without an id", ref) }
                return metaidPrefix + meta
            }
            id = elementId
        } else if compAttribute(ref, "unitRef") != nil {
            return ""  // units carry no meaning for simulation
        } else {
            throw Failure(diagnostic: .error("comp: reference without a target", at: ref.range))
        }
        if let nested = ref.child("sBaseRef") {
            // Into a submodel of that model: find its definition to resolve ports.
            guard let sub = model.list("listOfSubmodels").first(where: { compAttribute($0, "id") == id }) else {
                throw unsupported("a nested comp reference into '\(id)', which is not a submodel", nested)
            }
            _ = sub
            // Deeper references name submodels of submodels: a, b, c → a__b__c.
            var level: XMLElement? = nested
            while let current = level {
                if let inner = compAttribute(current, "idRef") {
                    id += "__" + inner
                } else if let meta = compAttribute(current, "metaIdRef"), current.child("sBaseRef") == nil {
                    guard let document, let element = element(withMetaid: meta, in: document) else {
                        throw unsupported("a nested comp reference by metaid to an element outside this file", current)
                    }
                    // Metaids keep their value when submodels are instantiated, so an element
                    // without an id is still found by it.
                    guard let elementId = element.attribute("id"), element.name != "localParameter" else { return metaidPrefix + meta }
                    id += "__" + elementId
                } else {
                    throw unsupported("nested comp references by port", current)
                }
                level = current.child("sBaseRef")
            }
        }
        return id
    }

    /// How `target(of:in:)` names an element that has a metaid but no id.
    static let metaidPrefix = "metaid:"

    /// The element of a model (at any depth of its lists) with this metaid.
    static func element(withMetaid meta: String, in model: XMLElement) -> XMLElement? {
        var stack = [model]
        while let e = stack.popLast() {
            if e.attribute("metaid") == meta { return e }
            if e.name == "math" || e.name == "annotation" || e.name == "notes" { continue }
            stack.append(contentsOf: e.children)
        }
        return nil
    }

    func flatten(_ model: XMLElement, in doc: XMLElement, directory: String, depth: Int) throws(Failure) -> Flat {
        guard depth < 16 else { throw Self.unsupported("comp submodels nested deeper than 16 levels (a cycle?)", model) }
        var flat = Flat()
        flat.conversionFactor = model.attribute("conversionFactor")
        var rename: [String: String] = [:]
        var removed = Set<String>()
        var subLists: [String: [XMLElement]] = [:]
        /// Replaced elements with a conversion factor: outer value = inner value × factor.
        var scaled: [String: String] = [:]
        var subAliases: [String: [String: String]] = [:]

        for sub in model.list("listOfSubmodels") where sub.name == "submodel" {
            guard let sid = Self.compAttribute(sub, "id"), let ref = Self.compAttribute(sub, "modelRef") else {
                throw Failure(diagnostic: .error("comp: submodel without id or modelRef", at: sub.range))
            }
            let timeFactor = Self.compAttribute(sub, "timeConversionFactor")
            let extentFactor = Self.compAttribute(sub, "extentConversionFactor")
            let (definition, defDoc, defDir) = try self.definition(ref, in: doc, directory: directory, at: sub, depth: depth)
            var inner = try flatten(definition, in: defDoc, directory: defDir, depth: depth + 1)
            subAliases[sid] = inner.aliases
            // Deletions, by id relative to the definition.
            var deleted = Set<String>()
            for d in sub.list("listOfDeletions") where d.name == "deletion" {
                deleted.insert(try Self.target(of: d, in: definition, document: defDoc))
            }
            if !deleted.isEmpty { inner = Self.removing(deleted, from: inner) }
            // Species of the submodel inherit its model-wide conversion factor.
            var ids = Set<String>()
            for (_, items) in inner.lists { for e in items { Self.collectIds(e, into: &ids) } }
            var prefix: [String: String] = [:]
            for id in ids { prefix[id] = "\(sid)__\(id)" }
            // Reads of a reaction the outer model replaces take the replacement's factor only.
            var replacedReactions = Set<String>()
            for r in model.list("listOfReactions") {
                for e in r.list("listOfReplacedElements") where e.name == "replacedElement" && Self.compAttribute(e, "submodelRef") == sid
                    && Self.compAttribute(e, "deletion") == nil {
                    replacedReactions.insert(try subTarget(e, sid, model: model, doc: doc, directory: directory, depth: depth, aliases: inner.aliases))
                }
            }
            let reactions = Set((inner.lists["listOfReactions"] ?? []).compactMap { $0.attribute("id").map { prefix[$0] ?? $0 } })
                .subtracting(replacedReactions)
            for (name, items) in inner.lists {
                subLists[name, default: []] += items.map { e in
                    var renamed = Self.rename(e, prefix, shadowed: [])
                    if timeFactor != nil || extentFactor != nil {
                        renamed = Self.convertingUnits(renamed, time: timeFactor, extent: extentFactor, reactions: reactions)
                    }
                    if name == "listOfSpecies", let cf = inner.conversionFactor, renamed.attribute("conversionFactor") == nil {
                        renamed = Self.withAttribute(renamed, "conversionFactor", prefix[cf] ?? cf)
                    }
                    return renamed
                }
            }
        }

        // This model's own elements and their replacements.
        var own: [String: [XMLElement]] = [:]
        for name in Self.lists { own[name] = model.list(name) }
        var dropOwn = Set<String>()
        /// Local parameters replaced by an outer element: metaid → the outer id.
        var localReplacements: [String: String] = [:]
        func visitReplacements(_ e: XMLElement) throws(Failure) {
            guard let id = e.attribute("id") else { return }
            for r in e.list("listOfReplacedElements") where r.name == "replacedElement" {
                if Self.compAttribute(r, "deletion") != nil { continue }
                guard let s = Self.compAttribute(r, "submodelRef") else { continue }
                let t = try subTarget(r, s, model: model, doc: doc, directory: directory, depth: depth, aliases: subAliases[s] ?? [:])
                if t.isEmpty { continue }
                if let m = t.range(of: Self.metaidPrefix) {
                    let meta = String(t[m.upperBound...])
                    guard Self.isLocalParameter(meta, in: subLists["listOfReactions"] ?? []) else {
                        throw Self.unsupported("replacing an element that has no id", r)
                    }
                    localReplacements[meta] = id
                    continue
                }
                removed.insert(t)
                rename[t] = id
                if let cf = Self.compAttribute(r, "conversionFactor") { scaled[t] = cf }
            }
            if let r = e.child("replacedBy"), Self.isComp(r), let s = Self.compAttribute(r, "submodelRef") {
                let t = try subTarget(r, s, model: model, doc: doc, directory: directory, depth: depth, aliases: subAliases[s] ?? [:])
                dropOwn.insert(id)
                rename[t] = id
            }
        }
        for name in Self.lists {
            for e in own[name] ?? [] {
                try visitReplacements(e)
                if name == "listOfReactions" {
                    for list in ["listOfReactants", "listOfProducts", "listOfModifiers"] { for ref in e.list(list) { try visitReplacements(ref) } }
                }
            }
        }
        // Assemble: submodel elements (minus replaced ones, renamed), then own elements.
        for name in Self.lists {
            var items: [XMLElement] = []
            // Rules and initial assignments of the outer model win over a submodel's for the
            // same (replaced) variable; otherwise the submodel's are kept, redirected.
            let ownTargets = Set((own[name] ?? []).compactMap { e in (e.attribute("variable") ?? e.attribute("symbol")).map { e.name + " " + $0 } })
            for e in subLists[name] ?? [] {
                if let id = e.attribute("id"), removed.contains(id) { continue }
                if let v = e.attribute("variable") ?? e.attribute("symbol"), ownTargets.contains(e.name + " " + (rename[v] ?? v)) { continue }
                let e = Self.replacingLocalParameters(e, localReplacements)
                items.append(Self.rename(Self.scalingWrites(e, scaled), rename, shadowed: [], scaled: scaled))
            }
            for e in own[name] ?? [] {
                if let id = e.attribute("id"), dropOwn.contains(id) { continue }
                if let v = e.attribute("variable") ?? e.attribute("symbol"), dropOwn.contains(v) {
                    // A rule for an element replaced by a submodel's: the submodel's rule wins if it has one.
                    if items.contains(where: { ($0.attribute("variable") ?? $0.attribute("symbol")) == v && $0.name == e.name }) { continue }
                }
                items.append(Self.rename(Self.stripComp(e), rename, shadowed: []))
            }
            flat.lists[name] = items
        }
        if let cf = flat.conversionFactor { flat.conversionFactor = rename[cf] ?? cf }
        for (sid, aliases) in subAliases {
            for (old, new) in aliases { flat.aliases["\(sid)__\(old)"] = rename["\(sid)__\(new)"] ?? "\(sid)__\(new)" }
        }
        for (old, new) in rename { flat.aliases[old] = new }
        return flat
    }

    func subTarget(_ r: XMLElement, _ submodel: String, model: XMLElement, doc: XMLElement, directory: String,
                   depth: Int, aliases: [String: String]) throws(Failure) -> String {
        guard let sub = model.list("listOfSubmodels").first(where: { Self.compAttribute($0, "id") == submodel }),
              let ref = Self.compAttribute(sub, "modelRef") else {
            throw Failure(diagnostic: .error("comp: no submodel '\(submodel)'", at: r.range))
        }
        let (definition, definitionDocument, _) = try self.definition(ref, in: doc, directory: directory, at: sub, depth: depth)
        let t = try Self.target(of: r, in: definition, document: definitionDocument)
        return t.isEmpty ? "" : "\(submodel)__\(aliases[t] ?? t)"
    }

    /// A submodel's time and extent conversion factors: its time is `time / t`, its
    /// rates of change are divided by `t`, its reaction extents multiplied by `e`, its
    /// delays (of events and of the delay csymbol) multiplied by `t`, and its reads of
    /// its own `reactions`' rates multiplied by `t / e`.
    static func convertingUnits(_ e: XMLElement, time t: String?, extent x: String?, reactions: Set<String>) -> XMLElement {
        func mapMath(_ e: XMLElement, _ f: (XMLElement) -> XMLElement) -> XMLElement {
            let kids = e.children.map { c -> XMLElement in
                guard c.name == "math", let body = c.children.first(where: { $0.name != "annotation" }) else { return c }
                return XMLElement(name: c.name, namespace: c.namespace, attributes: c.attributes, children: [f(body)],
                                  textParts: ["", ""], range: c.range)
            }
            return XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes, children: kids,
                              textParts: e.textParts.count == kids.count + 1 ? e.textParts : Array(repeating: "", count: kids.count + 1), range: e.range)
        }
        func apply(_ op: String, _ a: XMLElement, _ factor: String) -> XMLElement {
            let ns = a.namespace
            let opElement = XMLElement(name: op, namespace: ns, attributes: [], children: [], textParts: [""], range: a.range)
            let ci = XMLElement(name: "ci", namespace: ns, attributes: [], children: [], textParts: [factor], range: a.range)
            return XMLElement(name: "apply", namespace: ns, attributes: [], children: [opElement, a, ci],
                              textParts: ["", "", "", ""], range: a.range)
        }
        // The submodel's math reads its own time and its own reaction rates, which are
        // the outer ones converted back: time / t and rate · t / x.
        func scaleReads(_ m: XMLElement) -> XMLElement {
            if let t, m.name == "csymbol", MathMLReader.trimmed(m.attribute("definitionURL") ?? "") == MathMLReader.timeURL {
                return apply("divide", m, t)
            }
            if m.name == "ci", reactions.contains(MathMLReader.trimmed(m.text)) {
                var rate = m
                if let x { rate = apply("divide", rate, x) }
                if let t { rate = apply("times", rate, t) }
                return rate
            }
            if m.children.isEmpty { return m }
            var kids = m.children.map(scaleReads)
            // A delay is a span of the submodel's time: outer span = inner span · t.
            if let t, m.name == "apply", kids.count == 3, kids[0].name == "csymbol",
               MathMLReader.trimmed(kids[0].attribute("definitionURL") ?? "") == MathMLReader.delayURL {
                kids[2] = apply("times", kids[2], t)
            }
            return XMLElement(name: m.name, namespace: m.namespace, attributes: m.attributes, children: kids,
                              textParts: m.textParts, range: m.range)
        }
        func walk(_ e: XMLElement) -> XMLElement {
            var out = e
            if e.name == "math" { return mapMath(XMLElement(name: "wrapper", namespace: nil, attributes: [], children: [e], textParts: ["", ""], range: e.range), scaleReads).children[0] }
            let kids = e.children.map(walk)
            out = XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes, children: kids,
                             textParts: e.textParts, range: e.range)
            switch e.name {
            case "rateRule": if let t { out = mapMath(out) { apply("divide", $0, t) } }
            case "kineticLaw":
                if let x { out = mapMath(out) { apply("times", $0, x) } }
                if let t { out = mapMath(out) { apply("divide", $0, t) } }
            case "delay": if let t { out = mapMath(out) { apply("times", $0, t) } }
            default: break
            }
            return out
        }
        return walk(e)
    }

    static func removing(_ ids: Set<String>, from flat: Flat) -> Flat {
        var out = flat
        for (name, items) in flat.lists {
            out.lists[name] = items.filter { e in
                if let id = e.attribute("id"), ids.contains(id) { return false }
                if let meta = e.attribute("metaid"), ids.contains(metaidPrefix + meta) { return false }
                if let v = e.attribute("variable") ?? e.attribute("symbol"), ids.contains(v) { return false }
                return true
            }.map { e in
                // Deleted event assignments and reaction parts disappear from their parents.
                let e = withoutMetaids(ids, e)
                guard e.name == "event" else { return e }
                return filteredChildren(e) { child in
                    guard child.name == "listOfEventAssignments" else { return child }
                    return filteredChildren(child) { a in
                        let deleted = a.attribute("variable").map { ids.contains($0) } == true
                            || a.attribute("metaid").map { ids.contains(metaidPrefix + $0) } == true
                        return deleted ? nil : a
                    }
                }
            }
        }
        return out
    }

    static func isLocalParameter(_ meta: String, in reactions: [XMLElement]) -> Bool {
        reactions.contains { r in
            r.child("kineticLaw")?.list("listOfLocalParameters").contains { $0.attribute("metaid") == meta } == true
        }
    }

    /// A reaction whose local parameters named (by metaid) in `replacements` are gone, its
    /// kinetic law reading the outer elements that replace them instead.
    static func replacingLocalParameters(_ reaction: XMLElement, _ replacements: [String: String]) -> XMLElement {
        guard !replacements.isEmpty, let law = reaction.child("kineticLaw") else { return reaction }
        var renames: [String: String] = [:]
        for p in law.list("listOfLocalParameters") {
            if let meta = p.attribute("metaid"), let new = replacements[meta], let id = p.attribute("id") { renames[id] = new }
        }
        guard !renames.isEmpty else { return reaction }
        let kept = filteredChildren(law) { child in
            guard child.name == "listOfLocalParameters" else { return child }
            return filteredChildren(child) { p in p.attribute("metaid").flatMap { replacements[$0] } == nil ? p : nil }
        }
        let renamed = rename(kept, renames, shadowed: [])
        return filteredChildren(reaction) { $0.name == "kineticLaw" ? renamed : $0 }
    }

    /// `e` without the descendants (outside math) that deletions name by metaid: an
    /// event's delay.
    static func withoutMetaids(_ ids: Set<String>, _ e: XMLElement) -> XMLElement {
        guard ids.contains(where: { $0.hasPrefix(metaidPrefix) }), e.name != "math" else { return e }
        return filteredChildren(e) { child in
            if let meta = child.attribute("metaid"), ids.contains(metaidPrefix + meta) { return nil }
            return withoutMetaids(ids, child)
        }
    }

    static func filteredChildren(_ e: XMLElement, _ transform: (XMLElement) -> XMLElement?) -> XMLElement {
        let kids = e.children.compactMap(transform)
        return XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes, children: kids,
                          textParts: Array(repeating: "", count: kids.count + 1), range: e.range)
    }

    static func collectIds(_ e: XMLElement, into ids: inout Set<String>) {
        if let id = e.attribute("id") { ids.insert(id) }
        for c in e.children where c.name.hasPrefix("listOf") && c.name != "listOfLocalParameters" && c.name != "listOfParameters" {
            for item in c.children { collectIds(item, into: &ids) }
        }
    }

    static func withAttribute(_ e: XMLElement, _ name: String, _ value: String) -> XMLElement {
        var attributes = e.attributes.filter { !($0.name == name && $0.prefix.isEmpty) }
        attributes.append(.init(prefix: "", name: name, namespace: nil, value: value))
        return XMLElement(name: e.name, namespace: e.namespace, attributes: attributes, children: e.children,
                          textParts: e.textParts, range: e.range)
    }

    /// Drops comp children (replacement lists) from an element.
    static func stripComp(_ e: XMLElement) -> XMLElement {
        guard e.children.contains(where: isComp) || e.children.contains(where: { $0.children.contains(where: isComp) }) else { return e }
        var kids: [XMLElement] = []
        for c in e.children where !isComp(c) { kids.append(c.name.hasPrefix("listOf") ? stripComp(c) : stripComp(c)) }
        return XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes.filter { !($0.namespace?.hasPrefix(compNamespacePrefix) ?? false) },
                          children: kids, textParts: Array(repeating: "", count: kids.count + 1), range: e.range)
    }

    static let referenceAttributes: Set<String> = ["id", "compartment", "species", "variable", "symbol", "conversionFactor"]

    /// `math` times `factor` (or divided by it).
    static func scaling(_ math: XMLElement, by factor: String, dividing: Bool) -> XMLElement {
        guard let body = math.children.first(where: { $0.name != "annotation" }) else { return math }
        let ns = body.namespace
        let op = XMLElement(name: dividing ? "divide" : "times", namespace: ns, attributes: [], children: [], textParts: [""], range: body.range)
        let ci = XMLElement(name: "ci", namespace: ns, attributes: [], children: [], textParts: [factor], range: body.range)
        let product = XMLElement(name: "apply", namespace: ns, attributes: [], children: [op, body, ci], textParts: ["", "", "", ""], range: body.range)
        return XMLElement(name: math.name, namespace: math.namespace, attributes: math.attributes, children: [product],
                          textParts: ["", ""], range: math.range)
    }

    /// Rules, initial and event assignments that set a replaced element with a conversion
    /// factor set the replacement to their value times the factor.
    static func scalingWrites(_ e: XMLElement, _ scaled: [String: String]) -> XMLElement {
        if scaled.isEmpty || e.name == "math" { return e }
        let target = e.attribute("variable") ?? e.attribute("symbol")
        let factor = target.flatMap { scaled[$0] }
        let kids = e.children.map { c in
            if c.name == "math" { return factor.map { scaling(c, by: $0, dividing: false) } ?? c }
            return scalingWrites(c, scaled)
        }
        return XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes, children: kids,
                          textParts: e.textParts.count == kids.count + 1 ? e.textParts : Array(repeating: "", count: kids.count + 1),
                          range: e.range)
    }

    /// Renames ids in reference attributes and `<ci>`/function names in math, except
    /// names bound locally (lambda arguments, local parameters). A name in `scaled` (a
    /// replaced element with a conversion factor) reads as the replacement divided by it.
    static func rename(_ e: XMLElement, _ map: [String: String], shadowed: Set<String>,
                       scaled: [String: String] = [:]) -> XMLElement {
        if map.isEmpty { return e }
        var shadowed = shadowed
        if e.name == "kineticLaw" {
            for list in ["listOfLocalParameters", "listOfParameters"] { for p in e.list(list) { if let id = p.attribute("id") { shadowed.insert(id) } } }
        }
        if e.name == "lambda" {
            for b in e.children where b.name == "bvar" { if let ci = b.child("ci") { shadowed.insert(MathMLReader.trimmed(ci.text)) } }
        }
        if e.name == "ci" {
            let name = MathMLReader.trimmed(e.text)
            guard !shadowed.contains(name), let new = map[name] else { return e }
            let renamed = XMLElement(name: e.name, namespace: e.namespace, attributes: e.attributes, children: [],
                                     textParts: [new], range: e.range)
            guard let factor = scaled[name] else { return renamed }
            let wrapper = XMLElement(name: "math", namespace: e.namespace, attributes: [], children: [renamed], textParts: ["", ""], range: e.range)
            return scaling(wrapper, by: factor, dividing: true).children[0]
        }
        let isLocal = e.name == "localParameter" || (e.name == "parameter" && shadowed.contains(e.attribute("id") ?? ""))
        let attributes = e.attributes.map { a -> XMLElement.Attribute in
            guard a.prefix.isEmpty, referenceAttributes.contains(a.name), !(isLocal && a.name == "id"),
                  let new = map[a.value] else { return a }
            return .init(prefix: a.prefix, name: a.name, namespace: a.namespace, value: new)
        }
        let kids = e.children.map { rename($0, map, shadowed: shadowed, scaled: scaled) }
        return XMLElement(name: e.name, namespace: e.namespace, attributes: attributes, children: kids,
                          textParts: e.textParts, range: e.range)
    }
}
