public import SourceDiagnostics
import PathwayModel

/// A number written as a value in a pathway file (a parameter, an initial value, a
/// compartment size or a submodel's argument), with the comments that belong to it.
public struct WrittenConstant: Sendable {
    public enum Role: String, Sendable {
        case parameter
        case initialValue = "initial value"
        case compartmentSize = "compartment size"
        case argument = "submodel argument"
    }

    /// The name as written (`k1`, `A.k1`); a submodel argument is `instance(position)`.
    public let name: String
    public let value: Double
    public let role: Role
    /// The model it is written in; nil outside any model.
    public let model: String?
    /// Where the name is (or the number, for a submodel argument).
    public let range: SourceRange
    /// Where the definition is: its operator (`=` of `k = 2`), or the number for a submodel
    /// argument. A flattened model remembers each value by this range (`OverriddenDefaults`).
    public let definitionRange: SourceRange
    /// The comment after it on its line.
    public let trailingComment: String?
    /// The comment paragraph directly above the run of value lines it stands in.
    public let headingComment: String?
    /// Its place among the constants written on the same line (0-based), and their number,
    /// so that a comment listing one unit per value can be read position by position.
    public let positionOnLine: Int
    public let countOnLine: Int
}

/// Lists the numeric constants of one pathway file, with their comments, without resolving
/// imports or names: what the file itself says about each number it writes.
public enum WrittenConstants {
    public struct Listing: Sendable {
        public let constants: [WrittenConstant]
        /// Every comment of the file, for sources defined once and cited by key.
        public let comments: [SourceComment]
    }

    public static func read(path: String) throws(DiagnosticsError) -> Listing {
        try read(SourceFile.read(path: path))
    }

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> Listing {
        var sink = DiagnosticSink()
        let (parsed, tokens) = Parser.parseKeepingTokens(file, into: &sink)
        try sink.throwIfErrors()
        var found: [Found] = []
        for item in parsed.items {
            switch item {
            case .model(let model):
                found += constants(in: model.body, model: model.name)
            case .statement(let statement, _):
                found += constants(in: [statement], model: nil)
            case .import, .function:
                break
            }
        }
        let lines = found.map { $0.range.startLocation.line }
        let codeLines = Set(tokens.lazy.filter { $0.kind != .newline && $0.kind != .endOfFile }.map { $0.range.startLocation.line })
        let attachment = CommentAttachment(comments: parsed.comments, codeLines: codeLines, valueLines: Set(lines))
        var perLine: [Int: Int] = [:]
        for line in lines { perLine[line, default: 0] += 1 }
        var seenOnLine: [Int: Int] = [:]
        let listed = zip(found, lines).map { c, line in
            defer { seenOnLine[line, default: 0] += 1 }
            return WrittenConstant(name: c.name, value: c.value, role: c.role, model: c.model, range: c.range, definitionRange: c.definition,
                                   trailingComment: attachment.trailing(line: line), headingComment: attachment.heading(line: line),
                                   positionOnLine: seenOnLine[line, default: 0], countOnLine: perLine[line, default: 1])
        }
        return Listing(constants: listed, comments: parsed.comments)
    }

    private typealias Found = (name: String, value: Double, role: WrittenConstant.Role, model: String?, range: SourceRange,
                               definition: SourceRange)

    /// The numbers a model body writes as values, each with what the name is in that body:
    /// a compartment, a state (species, reaction participant, rate-rule variable) or a parameter.
    private static func constants(in body: [Statement], model: String?) -> [Found] {
        var states = Set<String>(), compartments = Set<String>()
        for statement in body {
            switch statement {
            case .declaration(let d):
                for n in d.names {
                    if d.kind == .species || n.compartment != nil { states.insert(n.name.dotted) }
                    if d.kind == .compartment { compartments.insert(n.name.dotted) }
                }
            case .placement(let name, _): states.insert(name.dotted)
            case .reaction(let r): for p in r.reactants + r.products { states.insert(p.name.dotted) }
            case .value(let name, let definition) where definition.kind == .rateRule: states.insert(name.dotted)
            default: break
            }
        }
        func role(_ name: String) -> WrittenConstant.Role {
            compartments.contains(name) ? .compartmentSize : states.contains(name) ? .initialValue : .parameter
        }
        var found: [Found] = []
        for statement in body {
            switch statement {
            case .declaration(let d):
                for n in d.names {
                    if let definition = n.value, definition.kind != .rateRule, let value = number(definition.expression) {
                        found.append((n.name.dotted, value, role(n.name.dotted), model, n.name.range, definition.range))
                    }
                }
            case .value(let name, let definition) where definition.kind != .rateRule:
                if let value = number(definition.expression) {
                    found.append((name.dotted, value, role(name.dotted), model, name.range, definition.range))
                }
            case .submodel(let s):
                for (i, argument) in s.arguments.enumerated() {
                    if case .number(let value, let range) = argument {
                        found.append(("\(s.name.dotted)(\(i + 1))", value, .argument, model, range, range))
                    }
                }
            default: break
            }
        }
        return found
    }

    /// The value of a literal number, negated or not; nil for anything computed.
    private static func number(_ expression: Expression) -> Double? {
        switch expression {
        case .number(let v): v
        case .unary(.negate, .number(let v)): -v
        default: nil
        }
    }
}
