public import SourceDiagnostics
public import PathwayModel

/// The flux-balance part of an SBML model (the fbc package, versions 1 and 2): bounds on
/// reaction fluxes and linear objectives over them. Bounds are expressions (fbc v2 names a
/// parameter, which rules and initial assignments may set), evaluated at the start.
public struct FluxBalanceConstraints: Sendable {
    public struct Term: Sendable, Hashable {
        public var reaction: String
        public var coefficient: Double
    }

    public struct Objective: Sendable {
        public var id: String
        public var maximize: Bool
        public var terms: [Term]
        public var range: SourceRange?
    }

    /// Lower and upper bounds per reaction id; several bounds on one side all hold.
    public var lowerBounds: [String: [Expression]] = [:]
    public var upperBounds: [String: [Expression]] = [:]
    public var objectives: [Objective] = []
    public var activeObjective: String?
    /// fbc v2's `strict`: every bound constant and finite, every reaction bounded.
    public var isStrict = false
    /// Where the constraints were read (the model element), for diagnostics.
    public var range: SourceRange?

    /// The objective to optimise (fbc requires `activeObjective` whenever there is one).
    public var active: Objective? { objectives.first { $0.id == activeObjective } }
}

/// Reads `fbc:` elements and attributes beside the core model the converter reads.
struct FluxBalanceReader {
    static let namespacePrefix = "http://www.sbml.org/sbml/level3/version1/fbc/version"

    static func isFluxBalance(_ e: XMLElement) -> Bool { e.namespace?.hasPrefix(namespacePrefix) == true }

    /// An fbc attribute, prefixed (as the specification writes it) or, on an fbc element, bare.
    static func attribute(_ e: XMLElement, _ name: String) -> String? {
        e.attributes.first { $0.name == name && $0.namespace?.hasPrefix(namespacePrefix) == true }?.value
            ?? (isFluxBalance(e) ? e.attribute(name) : nil)
    }

    /// Whether the model uses fbc at all: objectives, v1 flux bounds or v2 bound attributes.
    static func uses(_ model: XMLElement) -> Bool {
        model.children.contains { isFluxBalance($0) && ($0.name == "listOfObjectives" || $0.name == "listOfFluxBounds") }
            || model.list("listOfReactions").contains { attribute($0, "lowerFluxBound") != nil || attribute($0, "upperFluxBound") != nil }
    }

    var diagnostics: DiagnosticCollector

    mutating func read(_ model: XMLElement, pathway: Pathway) -> FluxBalanceConstraints {
        var out = FluxBalanceConstraints()
        out.range = model.range
        out.isStrict = Self.attribute(model, "strict") == "true"
        let reactions = Set(pathway.reactions.map(\.id))
        let values = Set(pathway.parameters.map(\.id))

        // fbc v1: <fluxBound reaction operation value>, any number per reaction.
        for b in model.children where Self.isFluxBalance(b) && b.name == "listOfFluxBounds" {
            for bound in b.children where bound.name == "fluxBound" {
                guard let reaction = Self.attribute(bound, "reaction"), reactions.contains(reaction) else {
                    diagnostics.error("flux bound on an unknown reaction '\(Self.attribute(bound, "reaction") ?? "")'", at: bound.range,
                                      hint: "fbc:reaction must name a reaction of the model")
                    continue
                }
                guard let text = Self.attribute(bound, "value"), let value = try? MathMLReader.number(text, bound) else {
                    diagnostics.error("flux bound without a numeric fbc:value", at: bound.range)
                    continue
                }
                switch Self.attribute(bound, "operation") {
                case "lessEqual", "less": out.upperBounds[reaction, default: []].append(.number(value))
                case "greaterEqual", "greater": out.lowerBounds[reaction, default: []].append(.number(value))
                case "equal":
                    out.lowerBounds[reaction, default: []].append(.number(value))
                    out.upperBounds[reaction, default: []].append(.number(value))
                case let op:
                    diagnostics.error("flux bound operation '\(op ?? "")' is not lessEqual, greaterEqual or equal", at: bound.range)
                }
            }
        }

        // fbc v2: each reaction names at most one parameter per side.
        for r in model.list("listOfReactions") where r.name == "reaction" {
            guard let id = r.attribute("id") else { continue }
            for (attribute, side) in [("lowerFluxBound", \FluxBalanceConstraints.lowerBounds), ("upperFluxBound", \.upperBounds)] {
                guard let name = Self.attribute(r, attribute) else { continue }
                guard values.contains(name) else {
                    diagnostics.error("fbc:\(attribute)=\"\(name)\" names no parameter", at: r.range,
                                      hint: "a flux bound is the id of a parameter in listOfParameters")
                    continue
                }
                out[keyPath: side][id, default: []].append(.symbol(name, r.range))
            }
        }

        for list in model.children where Self.isFluxBalance(list) && list.name == "listOfObjectives" {
            out.activeObjective = Self.attribute(list, "activeObjective")
            for o in list.children where o.name == "objective" {
                guard let id = Self.attribute(o, "id") ?? o.attribute("id") else {
                    diagnostics.error("objective without an id", at: o.range)
                    continue
                }
                let maximize: Bool
                switch Self.attribute(o, "type") {
                case "maximize": maximize = true
                case "minimize": maximize = false
                case let type:
                    diagnostics.error("objective '\(id)' has type '\(type ?? "")', not maximize or minimize", at: o.range)
                    continue
                }
                var terms: [FluxBalanceConstraints.Term] = []
                for f in o.list("listOfFluxObjectives") where f.name == "fluxObjective" {
                    guard let reaction = Self.attribute(f, "reaction"), reactions.contains(reaction) else {
                        diagnostics.error("flux objective on an unknown reaction '\(Self.attribute(f, "reaction") ?? "")'", at: f.range)
                        continue
                    }
                    guard let text = Self.attribute(f, "coefficient"), let c = try? MathMLReader.number(text, f), c.isFinite else {
                        diagnostics.error("flux objective on '\(reaction)' without a finite fbc:coefficient", at: f.range)
                        continue
                    }
                    terms.append(.init(reaction: reaction, coefficient: c))
                }
                out.objectives.append(.init(id: id, maximize: maximize, terms: terms, range: o.range))
            }
            if !out.objectives.isEmpty && out.active == nil {
                diagnostics.error("fbc:activeObjective=\"\(out.activeObjective ?? "")\" names no objective", at: list.range,
                                  hint: "objectives: " + out.objectives.map(\.id).joined(separator: ", "))
            }
        }
        return out
    }
}
