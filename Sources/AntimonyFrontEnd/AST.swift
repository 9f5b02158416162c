import SourceDiagnostics
import PathwayModel

// The parsed form of an Antimony file, before names are resolved. Expressions are already
// `PathwayModel.Expression`s; their symbols hold names as written, dotted for submodel
// parts ("A.x"), and are resolved by `ModelInstantiator`.

/// A name as written: `x`, `A.x`, optionally `$x` (Antimony's mark for a fixed species).
struct NameReference: Sendable {
    var parts: [String]
    var range: SourceRange
    var hasDollar = false

    var dotted: String { parts.joined(separator: ".") }
}

enum ValueKind: Sendable, Equatable {
    /// `x = expr`: the value at the start (SBML initial assignment).
    case initial
    /// `x := expr`: holds at all times (SBML assignment rule).
    case assignmentRule
    /// `x' = expr`: the time derivative (SBML rate rule).
    case rateRule
}

struct ValueDefinition: Sendable {
    var kind: ValueKind
    var expression: Expression
    /// The operator (`=`, `:=`, `'`), for diagnostics about the definition as a whole.
    var range: SourceRange
}

enum DeclaredKind: String, Sendable {
    case species, compartment
    /// Antimony's `formula` keyword: a parameter.
    case parameter = "formula"
}

enum Constness: Sendable, Equatable {
    /// `const` (or `$`, or `ext`): a fixed (boundary) species, a constant parameter.
    case constant
    /// `var`: changes in time.
    case variable
}

/// One name in a declaration list: `species A in cell = 2`.
struct DeclaredName: Sendable {
    var name: NameReference
    var compartment: NameReference?
    var value: ValueDefinition?
}

/// `const species A, $B in cell`, `compartment c = 2`, `var k`.
struct Declaration: Sendable {
    var kind: DeclaredKind?
    var constness: Constness?
    var substanceOnly: Bool
    var keywordRange: SourceRange
    var names: [DeclaredName]
}

struct ReactionParticipant: Sendable {
    var stoichiometry: Double
    var name: NameReference
}

/// `J1: A + 2 B -> C; k*A*B`.
struct ReactionStatement: Sendable {
    var label: NameReference?
    var reactants: [ReactionParticipant]
    var products: [ReactionParticipant]
    var isReversible: Bool
    var rate: Expression?
    /// Where the rate law is, or where it should have been (just after the `;`).
    var rateRange: SourceRange
    /// The label, or the first token of the reaction.
    var range: SourceRange
}

struct EventAssignmentStatement: Sendable {
    var target: NameReference
    var value: Expression
}

/// `E1: at 2 after (x > 5), priority = 1, t0 = false: y = 3, x = 0`.
struct EventStatement: Sendable {
    var label: NameReference?
    var delay: Expression?
    var trigger: Expression
    var priority: Expression?
    var initialValue: Bool?
    var persistent: Bool?
    var useValuesFromTriggerTime: Bool?
    var assignments: [EventAssignmentStatement]
    /// The `at` keyword.
    var range: SourceRange
}

enum SubmodelArgument: Sendable {
    case name(NameReference)
    case number(Double, SourceRange)
}

/// `A: Receptor(Ca, 0.5)`.
struct SubmodelStatement: Sendable {
    var name: NameReference
    var modelName: String
    var modelNameRange: SourceRange
    var arguments: [SubmodelArgument]
}

enum Statement: Sendable {
    case declaration(Declaration)
    case value(NameReference, ValueDefinition)
    /// `S in cell`.
    case placement(NameReference, compartment: NameReference)
    case reaction(ReactionStatement)
    case event(EventStatement)
    case submodel(SubmodelStatement)
    /// `x is y`: the two names become one symbol.
    case synonym(NameReference, NameReference)
    /// `x is "Calcium"`.
    case displayName(NameReference, String)
}

/// `model *name(interface) … end`.
struct ModelDefinition: Sendable {
    var name: String
    var nameRange: SourceRange
    var isMarkedMain: Bool
    /// Names a submodel instantiation binds positionally (`model side(S, k1)`).
    var interface: [NameReference]
    var body: [Statement]
}

/// `function hill(x, K, n) … end`.
struct FunctionDeclaration: Sendable {
    var name: String
    var nameRange: SourceRange
    var parameters: [(name: String, range: SourceRange)]
    var body: Expression
}

struct ImportDirective: Sendable {
    var path: String
    /// The quoted path, where import errors point.
    var range: SourceRange
}

enum TopLevelItem: Sendable {
    case `import`(ImportDirective)
    case model(ModelDefinition)
    case function(FunctionDeclaration)
    /// A statement outside any model (part of Antimony's `__main`).
    case statement(Statement, range: SourceRange)
}

struct ParsedFile: Sendable {
    var file: SourceFile
    var items: [TopLevelItem]
    /// Every comment, in file order; the statements above carry none.
    var comments: [SourceComment] = []
}
