import PathwayModel
import Foundation

/// The estimated parameters of a PEtab problem that a fit can solve for in closed form
/// inside every evaluation instead of searching for them (hierarchical optimisation: Loos,
/// Krause & Hasenauer, Bioinformatics 34:4266, 2018): for fixed dynamic parameters the
/// objective is a quadratic in a scaling factor and has a closed-form minimiser in a noise
/// level.
///
/// - A **scaling** s enters observables only as a factor, y = s·h (s multiplies the formula,
///   possibly under a negation or as a numerator, and nothing else in it depends on s), whose
///   transformation is lin and noise normal, and appears in no noise formula, model entity or
///   condition. Given σ, the optimum is the weighted least-squares factor
///   ŝ = Σ m·h/σ² ⁄ Σ h²/σ². Its measurements' σ must either not depend on any profiled
///   noise parameter, or all be the same one (which then cancels from ŝ); otherwise s stays
///   with the optimiser.
/// - A **noise parameter** σ is the whole noise formula (σ = the parameter, directly or
///   through a `noiseParameter` placeholder) of every measurement it appears in, with normal
///   noise (any observable transformation: the residuals d are in transformed units), and
///   appears nowhere else. Its optimum given the rest is σ̂² = Σ d²/n over its n measurements.
///
/// Parameters with a prior are never profiled (the prior would enter the inner problem).
/// Both optima are clipped to the parameter's bounds (in linear units); the inner problems
/// are one-dimensional and convex in s, unimodal in σ, so the clipped value is the bounded
/// optimum. Offsets (y = h + b) and Laplace noise are not profiled.
public struct PEtabHierarchy: Sendable {
    /// One profiled parameter and the measurements (table order) it acts on.
    public struct Group: Sendable {
        /// Index into the parameter table.
        public var parameter: Int
        /// Position among the estimated parameters (the full coordinate vector).
        public var position: Int
        public var measurements: [Int]
    }

    public var scalings: [Group]
    public var noises: [Group]
    /// Estimated positions the outer optimiser searches, ascending.
    public var outer: [Int]
    let estimatedCount: Int

    public var isEmpty: Bool { scalings.isEmpty && noises.isEmpty }

    /// Finds the parameters that can be profiled, from the PEtab tables and the model.
    public init(_ model: PEtabModel) {
        let problem = model.problem
        enum Role: Equatable { case scaling, noise, neither }
        // Parameters the model or a condition reads cannot be profiled: they change the simulation.
        var inModel = Set<Int>()
        for plan in model.conditions {
            for (_, value) in plan.overrides { if case .parameter(let i) = value { inModel.insert(i) } }
        }
        var role: [Int: Role] = [:]
        var groups: [Int: [Int]] = [:]
        for (m, measurement) in problem.measurements.enumerated() {
            let o = measurement.observable
            let observable = problem.observables[o]
            // The names of each formula, by the parameter each stands for in this measurement.
            func byParameter(_ e: PathwayModel.Expression) -> [Int: [String]] {
                var out: [Int: [String]] = [:]
                for name in e.symbols { if let i = model.parameter(named: name, observable: o, measurement: measurement) { out[i, default: []].append(name) } }
                return out
            }
            let inFormula = byParameter(observable.formula), inNoise = byParameter(observable.noise)
            for i in Set(inFormula.keys).union(inNoise.keys) {
                let here: Role
                if let names = inNoise[i] {
                    if inFormula[i] == nil, names.count == 1, observable.distribution == .normal,
                       case .symbol(let only, _) = observable.noise, only == names[0] { here = .noise } else { here = .neither }
                } else if let names = inFormula[i], names.count == 1, observable.transformation == .lin, observable.distribution == .normal,
                          Self.isFactor(names[0], of: observable.formula) {
                    here = .scaling
                } else {
                    here = .neither
                }
                role[i] = role[i].map { $0 == here ? $0 : .neither } ?? here
                groups[i, default: []].append(m)
            }
        }
        var noises: [Group] = [], scalings: [Group] = []
        for (i, r) in role where r != .neither {
            let p = problem.parameters[i]
            guard p.estimated, p.prior == nil, !inModel.contains(i), let k = model.estimatedPosition[i] else { continue }
            let group = Group(parameter: i, position: k, measurements: groups[i]!)
            if r == .noise { noises.append(group) } else { scalings.append(group) }
        }
        // A scaling's measurements must share their profiled σ (or have none), so that ŝ does not depend on σ̂.
        var profiledNoise = [Int?](repeating: nil, count: problem.measurements.count)
        for g in noises { for m in g.measurements { profiledNoise[m] = g.parameter } }
        scalings.removeAll { g in Set(g.measurements.map { profiledNoise[$0] ?? -1 }).count > 1 }
        self.scalings = scalings.sorted { $0.position < $1.position }
        self.noises = noises.sorted { $0.position < $1.position }
        let inner = Set((scalings + noises).map(\.position))
        estimatedCount = problem.estimated.count
        outer = (0..<estimatedCount).filter { !inner.contains($0) }
    }

    /// Whether `e` is `name` times (or divided by) terms without `name`.
    static func isFactor(_ name: String, of e: PathwayModel.Expression) -> Bool {
        switch e {
        case .symbol(let n, _): n == name
        case .unary(.negate, let a): isFactor(name, of: a)
        case .binary(.multiply, let a, let b):
            (isFactor(name, of: a) && !b.symbols.contains(name)) || (isFactor(name, of: b) && !a.symbols.contains(name))
        case .binary(.divide, let a, let b): isFactor(name, of: a) && !b.symbols.contains(name)
        default: false
        }
    }

    /// The outer coordinates of a full coordinate vector.
    public func outerCoordinates(_ theta: [Double]) -> [Double] { outer.map { theta[$0] } }

    /// A full coordinate vector from outer coordinates, the profiled ones set to `inner`
    /// (NaN: not known, as at a start point, where the optimiser never sees them).
    public func expanded(_ outerTheta: [Double], inner: Double = .nan) -> [Double] {
        var theta = [Double](repeating: inner, count: estimatedCount)
        for (j, k) in outer.enumerated() { theta[k] = outerTheta[j] }
        return theta
    }
}

extension PEtabModel {
    /// The parameter a formula name stands for in one measurement: a parameter of the table
    /// named directly, or the parameter a placeholder of that measurement's observable is set to.
    func parameter(named name: String, observable o: Int, measurement: PEtabProblem.Measurement) -> Int? {
        guard let j = formulas.inputs.firstIndex(of: name) else { return nil }
        switch inputs[j] {
        case .parameter(let i): return i
        case .observablePlaceholder(let q, let k) where q == o:
            if case .parameter(let i) = measurement.observableParameters[k] { return i }
        case .noisePlaceholder(let q, let k) where q == o:
            if case .parameter(let i) = measurement.noiseParameters[k] { return i }
        default: break
        }
        return nil
    }
}
