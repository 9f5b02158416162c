public import SourceDiagnostics

/// A pathway model as its author wrote it, independent of the file format it came from:
/// the Antimony front end and the SBML importer both produce one, and the model
/// compiler turns it into ODEs.
///
/// Semantics follow SBML Level 3: a species' value is a concentration (amount per
/// compartment size) unless `hasOnlySubstanceUnits`; a reaction's rate is an amount per
/// unit time, so `d[S]/dt = Σ stoichiometry · rate / size(compartment)`.
/// Arrays keep declaration order, which is the order of CSV columns.
public struct Pathway: Sendable {
    public var name: String
    public var compartments: [Compartment] = []
    public var species: [Species] = []
    public var parameters: [Parameter] = []
    public var reactions: [Reaction] = []
    public var assignmentRules: [Rule] = []
    public var rateRules: [Rule] = []
    public var events: [Event] = []
    public var functions: [FunctionDefinition] = []
    /// Human-readable names (`S is "Calcium"`), by id.
    public var displayNames: [String: String] = [:]

    public init(name: String) { self.name = name }
}

public struct Compartment: Sendable, Hashable {
    public var id: String
    /// Size; `nil` means "not given" (an error unless a rule defines it).
    public var size: Expression?
    public var isConstant: Bool
    public var range: SourceRange?
    public init(id: String, size: Expression?, isConstant: Bool = true, range: SourceRange? = nil) {
        self.id = id; self.size = size; self.isConstant = isConstant; self.range = range
    }
}

public struct Species: Sendable, Hashable {
    public var id: String
    public var compartment: String
    /// Initial concentration (or amount when `hasOnlySubstanceUnits` or
    /// `initialIsAmount`); `nil` when not given.
    public var initialValue: Expression?
    /// SBML `initialAmount` rather than `initialConcentration` (SBML import; Antimony
    /// always gives concentrations for ordinary species).
    public var initialIsAmount: Bool
    /// The species' value is an amount, not a concentration (Antimony `substanceOnly`).
    public var hasOnlySubstanceUnits: Bool
    /// Boundary species (`$S`) are not changed by reactions, only by rules and events.
    public var isBoundary: Bool
    /// Constant species are changed by nothing.
    public var isConstant: Bool
    public var range: SourceRange?

    public init(id: String, compartment: String, initialValue: Expression?, initialIsAmount: Bool = false,
                hasOnlySubstanceUnits: Bool = false, isBoundary: Bool = false, isConstant: Bool = false,
                range: SourceRange? = nil) {
        self.id = id; self.compartment = compartment; self.initialValue = initialValue
        self.initialIsAmount = initialIsAmount; self.hasOnlySubstanceUnits = hasOnlySubstanceUnits
        self.isBoundary = isBoundary; self.isConstant = isConstant; self.range = range
    }
}

public struct Parameter: Sendable, Hashable {
    public var id: String
    public var value: Expression?
    public var isConstant: Bool
    public var range: SourceRange?
    public init(id: String, value: Expression?, isConstant: Bool = true, range: SourceRange? = nil) {
        self.id = id; self.value = value; self.isConstant = isConstant; self.range = range
    }
}

public struct SpeciesReference: Sendable, Hashable {
    public var species: String
    public var stoichiometry: Double
    /// A stoichiometry that is computed rather than fixed (SBML `stoichiometryMath`, a
    /// species reference changed by rules or events, a conversion factor). When set, it
    /// replaces `stoichiometry` and is re-evaluated whenever the rate is.
    public var stoichiometryExpression: Expression?
    public var range: SourceRange?
    public init(species: String, stoichiometry: Double = 1, range: SourceRange? = nil) {
        self.species = species; self.stoichiometry = stoichiometry; self.range = range
    }
    public init(species: String, stoichiometryExpression: Expression, range: SourceRange? = nil) {
        self.species = species; self.stoichiometry = .nan; self.stoichiometryExpression = stoichiometryExpression
        self.range = range
    }
}

public struct Reaction: Sendable, Hashable {
    public var id: String
    public var reactants: [SpeciesReference]
    public var products: [SpeciesReference]
    /// Species that appear in the rate law without being consumed or produced.
    public var modifiers: [String]
    /// Amount per time.
    public var rate: Expression
    public var isReversible: Bool
    public var range: SourceRange?
    public init(id: String, reactants: [SpeciesReference], products: [SpeciesReference], modifiers: [String] = [],
                rate: Expression, isReversible: Bool, range: SourceRange? = nil) {
        self.id = id; self.reactants = reactants; self.products = products; self.modifiers = modifiers
        self.rate = rate; self.isReversible = isReversible; self.range = range
    }
}

/// `x := expr` (assignment rule) or `x' = expr` (rate rule).
public struct Rule: Sendable, Hashable {
    public var variable: String
    public var expression: Expression
    public var range: SourceRange?
    public init(variable: String, expression: Expression, range: SourceRange? = nil) {
        self.variable = variable; self.expression = expression; self.range = range
    }
}

/// A discrete change, with SBML Level 3 semantics: it fires when `trigger` goes from
/// false to true, runs `delay` later, assigns simultaneously.
public struct Event: Sendable, Hashable {
    public struct Assignment: Sendable, Hashable {
        public var variable: String
        public var expression: Expression
        public var range: SourceRange?
        public init(variable: String, expression: Expression, range: SourceRange? = nil) {
            self.variable = variable; self.expression = expression; self.range = range
        }
    }
    public var id: String
    public var trigger: Expression
    public var delay: Expression?
    public var priority: Expression?
    /// The trigger's value just before the start (Antimony `t0=`; default true, so an
    /// event whose trigger holds at t0 does not fire then).
    public var initialValue: Bool
    /// Whether a delayed event still runs if its trigger turns false before it does.
    public var persistent: Bool
    /// Evaluate assignments at trigger time (true) or at execution time (false).
    public var useValuesFromTriggerTime: Bool
    public var assignments: [Assignment]
    public var range: SourceRange?

    public init(id: String, trigger: Expression, delay: Expression? = nil, priority: Expression? = nil,
                initialValue: Bool = true, persistent: Bool = true, useValuesFromTriggerTime: Bool = true,
                assignments: [Assignment], range: SourceRange? = nil) {
        self.id = id; self.trigger = trigger; self.delay = delay; self.priority = priority
        self.initialValue = initialValue; self.persistent = persistent
        self.useValuesFromTriggerTime = useValuesFromTriggerTime; self.assignments = assignments; self.range = range
    }
}

/// `function hill(x, K, n) … end`; inlined by the compiler.
public struct FunctionDefinition: Sendable, Hashable {
    public var id: String
    public var parameters: [String]
    public var body: Expression
    public var range: SourceRange?
    public init(id: String, parameters: [String], body: Expression, range: SourceRange? = nil) {
        self.id = id; self.parameters = parameters; self.body = body; self.range = range
    }
}
