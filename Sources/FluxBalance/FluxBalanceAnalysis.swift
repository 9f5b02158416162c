public import SourceDiagnostics
import PathwayModel
public import SBMLImport
import ModelCompiler

/// The optimal fluxes of a flux-balance model, or why there are none.
public struct FluxBalanceResult: Sendable {
    public enum Status: String, Sendable {
        case optimal, infeasible, unbounded
    }

    public var status: Status
    /// The active objective.
    public var objective: FluxBalanceConstraints.Objective
    /// Every objective's value at the solution, by id (NaN unless optimal; ±∞ for the
    /// active objective when unbounded).
    public var objectiveValues: [String: Double]
    /// Reaction ids in model order, and their fluxes (NaN unless optimal).
    public var reactions: [String]
    public var fluxes: [Double]

    /// A flux or an objective value by id (nil for other names).
    public func value(of name: String) -> Double? {
        if let i = reactions.firstIndex(of: name) { return fluxes[i] }
        return objectiveValues[name]
    }
}

/// Flux-balance analysis: the steady state `S·v = 0` of every species that reactions
/// change (boundary and constant species excluded), each flux within its fbc bounds,
/// optimising the active objective.
///
/// Bounds and stoichiometries are the model's values at the start (rules and initial
/// assignments applied); a reaction without a bound on a side is unbounded on that side,
/// whatever its `reversible` flag (fbc leaves reversibility to the bounds).
public enum FluxBalanceAnalysis {
    public static func solve(_ model: SBMLModel) throws(DiagnosticsError) -> FluxBalanceResult {
        guard let fbc = model.fluxBalance, let objective = fbc.active else {
            throw DiagnosticsError(.error("the model has no active fbc objective, so there is nothing to optimise",
                                          hint: "flux-balance analysis needs an <fbc:listOfObjectives> with fbc:activeObjective"))
        }
        let pathway = model.pathway
        let values = try startValues(pathway, fbc)

        var variables: [LinearProgram.Bounds] = []
        for r in pathway.reactions {
            let lower = fbc.lowerBounds[r.id, default: []].map { values.bound[$0] ?? .nan }
            let upper = fbc.upperBounds[r.id, default: []].map { values.bound[$0] ?? .nan }
            if (lower + upper).contains(where: \.isNaN) {
                throw DiagnosticsError(.error("a flux bound of reaction '\(r.id)' is undefined (NaN) at the start", at: r.range,
                                              hint: "give the bound parameter a value, or an initial assignment with math"))
            }
            variables.append(.init(lower: lower.max() ?? -.infinity, upper: upper.min() ?? .infinity))
        }

        // Mass balance: one row per species some reaction changes, unless it is held fixed.
        let held = Set(pathway.species.filter { $0.isBoundary || $0.isConstant }.map(\.id))
        var order: [String] = []
        var rows: [String: [Int: Double]] = [:]
        for (j, r) in pathway.reactions.enumerated() {
            for (refs, sign) in [(r.reactants, -1.0), (r.products, 1.0)] {
                for ref in refs where !held.contains(ref.species) {
                    let s = ref.stoichiometryExpression.map { values.stoichiometry[$0] ?? .nan } ?? ref.stoichiometry
                    guard s.isFinite else {
                        throw DiagnosticsError(.error("the stoichiometry of '\(ref.species)' in reaction '\(r.id)' is not finite at the start",
                                                      at: ref.range ?? r.range))
                    }
                    if rows[ref.species] == nil { order.append(ref.species) }
                    rows[ref.species, default: [:]][j, default: 0] += sign * s
                }
            }
        }
        let constraints = order.map { species in
            LinearProgram.Row(coefficients: rows[species]!.sorted { $0.key < $1.key }.map { (variable: $0.key, value: $0.value) },
                              bounds: .fixed(0))
        }
        let reactions = pathway.reactions.map(\.id)
        func coefficients(_ o: FluxBalanceConstraints.Objective) -> [Double] {
            var c = [Double](repeating: 0, count: reactions.count)
            for t in o.terms { if let j = reactions.firstIndex(of: t.reaction) { c[j] += t.coefficient } }
            return c
        }
        let program = LinearProgram(variables: variables, rows: constraints, objective: coefficients(objective), maximize: objective.maximize)
        let outcome: LinearProgram.Outcome
        do { outcome = try program.solve() } catch {
            throw DiagnosticsError(.error("flux-balance analysis failed: \(error.description)", at: fbc.range))
        }
        let none = [Double](repeating: .nan, count: reactions.count)
        var result = FluxBalanceResult(status: .infeasible, objective: objective, objectiveValues: [:], reactions: reactions, fluxes: none)
        switch outcome {
        case .optimal(_, let x):
            result.status = .optimal
            result.fluxes = x
            for o in fbc.objectives { result.objectiveValues[o.id] = zip(coefficients(o), x).reduce(0) { $0 + $1.0 * $1.1 } }
        case .infeasible:
            for o in fbc.objectives { result.objectiveValues[o.id] = .nan }
        case .unbounded:
            result.status = .unbounded
            for o in fbc.objectives { result.objectiveValues[o.id] = .nan }
            result.objectiveValues[objective.id] = objective.maximize ? .infinity : -.infinity
        }
        return result
    }

    /// The start values of every bound and computed stoichiometry, found by compiling the
    /// model with one extra parameter per expression, so that rules and initial
    /// assignments are applied exactly as a simulation applies them.
    static func startValues(_ pathway: Pathway, _ fbc: FluxBalanceConstraints) throws(DiagnosticsError)
        -> (bound: [Expression: Double], stoichiometry: [Expression: Double]) {
        var bounds = Set<Expression>()
        for list in Array(fbc.lowerBounds.values) + Array(fbc.upperBounds.values) { bounds.formUnion(list) }
        let stoichiometries = Set(pathway.reactions.flatMap { $0.reactants + $0.products }.compactMap(\.stoichiometryExpression))
        let expressions = Array(bounds) + Array(stoichiometries)
        var augmented = pathway
        var taken = Set(pathway.parameters.map(\.id) + pathway.species.map(\.id) + pathway.compartments.map(\.id) + pathway.reactions.map(\.id))
        var names: [String] = []
        for e in expressions {
            var name = "fbc_value_\(names.count)"
            while taken.contains(name) { name += "_" }
            taken.insert(name)
            names.append(name)
            augmented.parameters.append(Parameter(id: name, value: e, isConstant: true))
        }
        let compiled = try ModelCompiler.compile(augmented)
        let computed = compiled.initialValues(of: names)
        var bound: [Expression: Double] = [:], stoichiometry: [Expression: Double] = [:]
        for (k, e) in expressions.enumerated() {
            if k < bounds.count { bound[e] = computed[k] } else { stoichiometry[e] = computed[k] }
        }
        return (bound, stoichiometry)
    }
}
