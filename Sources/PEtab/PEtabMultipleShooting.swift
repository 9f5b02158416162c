public import SourceDiagnostics
public import Optimization
import KinapseUtilities
import PathwayModel
import ModelCompiler
import Foundation
import Synchronization

/// Multiple shooting (van Domselaar & Hemker 1975; Bock 1981) written as a rewrite of a
/// PEtab problem, so that sensitivities, the least-squares form and the optimiser apply
/// unchanged: each simulation condition's measurement span is cut at nodes
/// 0 = t_0 < t_1 < … < t_K, interval k ≥ 1 becomes a condition of its own that starts at
/// t_k from an estimated state s_k (one `lin` parameter per state), its measurements move
/// to times t − t_k, and a pseudo-measurement x_i(t_{k+1} − t_k) − s_{k+1,i} = 0 per state
/// ties interval k to the next (continuity). Interval 0 keeps the model's own initial state.
/// Peifer & Timmer (IET Syst Biol 1:78, 2007) applied it to biochemical ODEs, where single
/// shooting of oscillating data has spurious optima out of phase with the data.
///
/// Needs an autonomous model (no `time` in rates, rules or formulas, no events or delays),
/// finite measurement times and no pre-equilibration: the rewrite restarts time at each node.
public struct PEtabMultipleShooting: Sendable {
    /// The problem as read.
    public let original: PEtabProblem
    /// The rewritten problem: the original's parameters first (same indices), then the node
    /// states; its data measurements in the original's order, then the continuity ones.
    public let problem: PEtabProblem
    /// The original problem with every state measured at every node (and at t = 0), which a
    /// plain simulation of a start point turns into its nodes' starting values.
    public let probe: PEtabProblem
    public let intervals: Int
    /// The model's states (species).
    public let states: [String]
    /// The node parameters, in the order of the rewritten problem's estimated coordinates
    /// after the original's.
    public let nodes: [Node]
    /// Per continuity pseudo-measurement of `problem` (measurement index): its state.
    public let continuity: [(measurement: Int, state: Int)]

    public struct Node: Sendable {
        /// Index into `problem.parameters`.
        public var parameter: Int
        public var state: Int
        /// The measurement of `probe` that gives this node's value on a start's trajectory.
        public var probeMeasurement: Int
    }

    /// The rewrite of `problem` with `intervals` shooting intervals per condition, or every
    /// reason it does not apply at once.
    public init(_ problem: PEtabProblem, intervals: Int) throws(DiagnosticsError) {
        var d = DiagnosticCollector()
        guard intervals >= 2 else {
            throw DiagnosticsError(.error("multiple shooting needs at least 2 intervals (got \(intervals)); 1 is the ordinary fit"))
        }
        let model = try ModelCompiler.compile(problem.pathway)
        let why = "multiple shooting restarts time at each node"
        // Slot 0 is the model's time (ModelCompiler); an autonomous right-hand side never reads it.
        let readsTime = model.derivativeExpressions.contains { $0.slots.contains(0) }
            || model.assignedValues.contains { $0.expression.slots.contains(0) }
            || model.relationals.contains { $0.lhs.slots.contains(0) || $0.rhs.slots.contains(0) }
        if readsTime {
            d.error("the model's rates or rules depend on time, so \(why) would change them", at: nil,
                    hint: "multiple shooting applies to autonomous models; fit without --multiple-shooting")
        }
        if !model.events.isEmpty || !model.delays.isEmpty {
            d.error("the model has \(model.events.isEmpty ? "delays" : "events"), which \(why) would move", at: nil,
                    hint: "multiple shooting applies to models without events or delays; fit without --multiple-shooting")
        }
        let species = Set(problem.pathway.species.map(\.id))
        let states = model.states.map(\.name)
        for s in states where !species.contains(s) {
            d.error("state '\(s)' is not a species (a rate rule's target); multiple shooting sets species only", at: nil,
                    hint: "fit without --multiple-shooting")
        }
        for o in problem.observables where Self.mentionsTime(o.formula) || Self.mentionsTime(o.noise) {
            d.error("observable '\(o.id)' depends on time, which \(why) would shift", at: o.range)
        }
        for m in problem.measurements {
            if m.preequilibration != nil {
                d.error("a measurement has a pre-equilibration condition; multiple shooting does not split pre-equilibrated simulations", at: m.range)
                break
            }
            if !m.time.isFinite || m.time < 0 {
                d.error("a measurement at time \(m.time): multiple shooting needs finite times ≥ 0", at: m.range)
                break
            }
        }
        // Nodes per condition: measurement times at equal shares of the distinct times, so each
        // interval holds about the same number of them and a node's own measurements start it.
        var used: [Int] = []
        for m in problem.measurements where !used.contains(m.condition) { used.append(m.condition) }
        var nodeTimes: [Int: [Double]] = [:]
        for c in used {
            let times = Array(Set(problem.measurements.filter { $0.condition == c }.map(\.time))).sorted()
            guard times.count >= intervals else {
                d.error("condition '\(problem.conditions[c].id)' has \(times.count) distinct measurement times; \(intervals) shooting intervals need at least \(intervals)",
                        at: problem.conditions[c].range, hint: "choose fewer intervals")
                continue
            }
            nodeTimes[c] = [0] + (1..<intervals).map { times[$0 * times.count / intervals] }
        }
        try d.throwIfErrors()
        (original, self.intervals, self.states) = (problem, intervals, states)

        // Fresh ids: not a parameter, observable, condition or model symbol already.
        var taken = Set(problem.parameters.map(\.id)).union(problem.observables.map(\.id)).union(problem.conditions.map(\.id))
            .union(model.symbols.keys)
        func fresh(_ base: String) -> String {
            var id = base, n = 1
            while taken.contains(id) { n += 1; id = "\(base)_\(n)" }
            taken.insert(id)
            return id
        }

        var out = problem, probe = problem
        let anyRange = problem.parameters.first?.range ?? problem.observables[0].range
        // One continuity observable per state: x_i − s, s the node parameter named per measurement.
        var continuityObservable: [Int] = [], probeObservable: [Int] = []
        for s in states {
            let id = fresh("shooting_\(s)")
            let placeholder = "observableParameter1_\(id)"
            out.observables.append(PEtabProblem.Observable(
                id: id, formula: .binary(.subtract, .symbol(s, nil), .symbol(placeholder, nil)), noise: .number(1),
                transformation: .lin, distribution: .normal, observablePlaceholders: 1, noisePlaceholders: 0, range: anyRange))
            continuityObservable.append(out.observables.count - 1)
            probe.observables.append(PEtabProblem.Observable(
                id: id, formula: .symbol(s, nil), noise: .number(1), transformation: .lin, distribution: .normal,
                observablePlaceholders: 0, noisePlaceholders: 0, range: anyRange))
            probeObservable.append(probe.observables.count - 1)
        }
        var nodes: [Node] = []
        var intervalCondition: [Int: [Int]] = [:]   // condition → condition index of each interval
        var nodeParameter: [Int: [[Int]]] = [:]     // condition → [interval][state] → parameter index (interval ≥ 1)
        for c in used {
            let times = nodeTimes[c]!
            let base = problem.conditions[c]
            var conditions = [c], parameters: [[Int]] = [[]]
            // The probe's values of the states at t = 0 scale the continuity residuals.
            for (i, _) in states.enumerated() {
                probe.measurements.append(PEtabProblem.Measurement(observable: probeObservable[i], condition: c, preequilibration: nil, time: 0,
                                                                   value: 0, observableParameters: [], noiseParameters: [], range: base.range))
            }
            for k in 1..<intervals {
                var settings = base.settings.filter { !states.contains($0.target) }
                var row: [Int] = []
                for (i, s) in states.enumerated() {
                    out.parameters.append(PEtabProblem.Parameter(id: fresh("shooting_\(base.id)_\(k)_\(s)"), scale: .lin, lower: -.infinity,
                                                                 upper: .infinity, nominal: 0, estimated: true, prior: nil,
                                                                 initializationPrior: nil, range: base.range))
                    let p = out.parameters.count - 1
                    settings.append((s, .parameter(p)))
                    row.append(p)
                    probe.measurements.append(PEtabProblem.Measurement(observable: probeObservable[i], condition: c, preequilibration: nil,
                                                                       time: times[k], value: 0, observableParameters: [],
                                                                       noiseParameters: [], range: base.range))
                    nodes.append(Node(parameter: p, state: i, probeMeasurement: probe.measurements.count - 1))
                }
                out.conditions.append(PEtabProblem.Condition(id: fresh("\(base.id)_shooting_\(k)"), settings: settings, range: base.range))
                conditions.append(out.conditions.count - 1)
                parameters.append(row)
            }
            intervalCondition[c] = conditions
            nodeParameter[c] = parameters
        }
        // Data measurements move to their interval, in place.
        for m in out.measurements.indices {
            let c = out.measurements[m].condition, times = nodeTimes[c]!
            let k = times.lastIndex { $0 <= out.measurements[m].time }!
            out.measurements[m].condition = intervalCondition[c]![k]
            out.measurements[m].time -= times[k]
        }
        var continuity: [(measurement: Int, state: Int)] = []
        for c in used {
            let times = nodeTimes[c]!
            for k in 0..<(intervals - 1) {
                for i in states.indices {
                    out.measurements.append(PEtabProblem.Measurement(
                        observable: continuityObservable[i], condition: intervalCondition[c]![k], preequilibration: nil,
                        time: times[k + 1] - times[k], value: 0, observableParameters: [.parameter(nodeParameter[c]![k + 1][i])],
                        noiseParameters: [], range: problem.conditions[c].range))
                    continuity.append((out.measurements.count - 1, i))
                }
            }
        }
        out.name = problem.name + " (multiple shooting)"
        (self.problem, self.probe, self.nodes, self.continuity) = (out, probe, nodes, continuity)
    }

    static func mentionsTime(_ e: PathwayModel.Expression) -> Bool {
        switch e {
        case .time: true
        case .symbol(let name, _): name == "time"
        case .number: false
        case .unary(_, let a): mentionsTime(a)
        case .binary(_, let a, let b): mentionsTime(a) || mentionsTime(b)
        case .call(_, let args, _): args.contains(where: mentionsTime)
        }
    }

    /// The nodes' values on the trajectory of the original problem's point `theta`, and each
    /// state's magnitude there (the largest |x_i| over the probed times, the continuity
    /// residuals' unit): one plain simulation of `probe`.
    public func nodeStart(_ probeModel: PEtabModel, theta: [Double]) throws -> (values: [Double], magnitude: [Double], nonNegative: [Bool]) {
        let e = try probeModel.evaluate(theta: theta, gradient: false)
        let first = original.measurements.count
        var magnitude = [Double](repeating: 0, count: states.count), nonNegative = [Bool](repeating: true, count: states.count)
        for m in first..<probe.measurements.count {
            let i = probe.measurements[m].observable - original.observables.count
            magnitude[i] = max(magnitude[i], abs(e.simulated[m]))
            if e.simulated[m] < 0 { nonNegative[i] = false }
        }
        // A state that is zero on the whole trajectory: the largest state's thousandth as its
        // unit (assumption: states of one model share an order of magnitude within 10³), or 1.
        let largest = magnitude.max() ?? 0
        magnitude = magnitude.map { $0 > 0 ? $0 : (largest > 0 ? 1e-3 * largest : 1) }
        return (nodes.map { e.simulated[$0.probeMeasurement] }, magnitude, nonNegative)
    }
}

/// The rewritten problem's least squares with each continuity residual divided by
/// σ_c·(its state's magnitude): the quadratic penalty of the continuity constraints, whose
/// weight a fit raises in stages.
public struct PEtabContinuityPenalty: LeastSquaresProblem {
    let base: PEtabLeastSquares
    /// Residual index (the measurement's) and weight of each continuity residual.
    let rows: [(index: Int, weight: Double)]

    public var parameterCount: Int { base.parameterCount }

    public func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
        weighted(try base.evaluate(at: theta, jacobian: jacobian))
    }

    public func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation {
        weighted(try base.evaluate(at: theta, jacobian: true))
    }

    private func weighted(_ e: LeastSquaresEvaluation) -> LeastSquaresEvaluation {
        var e = e
        for (i, w) in rows {
            e.residuals[i] *= w
            if e.jacobian != nil { for j in 0..<parameterCount { e.jacobian![i, j] *= w } }
        }
        return e
    }
}

extension PEtabMultipleShooting {
    /// The rewritten problem's least squares `base` with the continuity residuals of state i
    /// divided by `sigma`·`magnitude[i]`.
    public func penalised(_ base: PEtabLeastSquares, sigma: Double, magnitude: [Double]) -> PEtabContinuityPenalty {
        PEtabContinuityPenalty(base: base, rows: continuity.map { ($0.measurement, 1 / (sigma * magnitude[$0.state])) })
    }

    /// σ_c of the continuity residuals in the stages of a start, relative to each state's
    /// magnitude: the quadratic penalty method, whose weight rises from stage to stage and
    /// each stage starts from the last one's end (Nocedal & Wright, Numerical Optimization,
    /// 2nd ed. 2006, §17.1). At 0.1 a jump of a tenth of a state's range costs as much as one
    /// datum one σ off; each stage tightens it tenfold, and at 10⁻³ the trajectory is
    /// continuous to a thousandth of each state's range before the single-shooting fit.
    /// Not 1 first: on Borghans from 0.1 decade off the published point, starting at 0.1
    /// ended lower (−60.7 against −52.8) in half the CPU, and from the published point both
    /// stayed in its basin; at either weight the first stage lets the nodes leave the
    /// trajectory for a discontinuous fit (Benchmarks/RESULTS.md; assumption beyond those
    /// two starts: no source gives a schedule).
    public static let penaltyStages: [Double] = [0.1, 0.01, 0.001]

    /// The multi-start fit by multiple shooting: per start, the penalty stages on the
    /// rewritten problem from the start's own trajectory, then an ordinary (single-shooting)
    /// local fit of the original problem from the model parameters found, scored by the
    /// original problem's objective.
    static func run(_ model: PEtabModel, intervals: Int, options: PEtabFitOptions, cancellation: CancellationFlag?,
                    progress: (@Sendable () -> Void)?) throws -> PEtabFitOutcome {
        let problem = model.problem
        let shooting = try PEtabMultipleShooting(problem, intervals: intervals)
        var settings = model.settings
        let shot = try PEtabModel(shooting.problem, settings: settings)
        guard shot.providesGradient else {
            throw DiagnosticsError(.error("multiple shooting needs the model's sensitivities: \(shot.gradientUnavailable ?? "not compiled")"))
        }
        settings.gradient = false
        let probe = try PEtabModel(shooting.probe, settings: settings)
        let profiled = options.profiledHierarchy(of: model)
        let bounds = problem.estimated.map { problem.parameters[$0].scaledBounds }
        let lower = bounds.map(\.lower), upper = bounds.map(\.upper)
        let multiStart = options.multiStart
        let points = multiStart.startPoints(lower: lower, upper: upper)
        let recorded = TraceRecorder()
        struct Worker {
            var shot: PEtabLeastSquares
            var single: any LeastSquaresProblem
            var inner: PEtabHierarchicalLeastSquares?
        }
        var isCancelled: (@Sendable () -> Bool)?
        if let cancellation { isCancelled = { cancellation.isCancelled } }
        var onDone: (@Sendable (PEtabFitOutcome.Start) -> Void)?
        if let progress { onDone = { _ in progress() } }
        let makeWorker: @Sendable () throws -> Worker = {
            let inner = try profiled.map { try PEtabHierarchicalLeastSquares(model, hierarchy: $0) }
            let single: any LeastSquaresProblem = try inner ?? PEtabLeastSquares(model)
            return Worker(shot: try PEtabLeastSquares(shot), single: single, inner: inner)
        }
        let results = try ParallelTasks.run(count: points.count, jobs: multiStart.jobs, isCancelled: isCancelled, makeState: makeWorker,
                                            onDone: onDone) { (worker: inout Worker, k: Int) -> PEtabFitOutcome.Start in
            let clock = ContinuousClock(), began = clock.now, cpuBegan = threadCPUSeconds()
            var optimizer = LevenbergMarquardt(options: multiStart.optimizer, cancellation: cancellation)
            if let startBounds = multiStart.startBounds { optimizer.options.bounds = startBounds.treatment(ofStart: k) }
            if options.recordTrace { optimizer.trace = { step in recorded.steps.withLock { $0.append((k, step)) } } }
            var point = points[k], redraws = 0
            var replacements = multiStart.replacements(forStart: k)
            var iterations = 0, evaluations = 0, failed = 0
            var theta: [Double]?
            // A start whose trajectory or rewritten problem cannot be simulated is redrawn, as in `MultiStart`.
            while theta == nil {
                if let start = try? shooting.nodeStart(probe, theta: point) {
                    var current = point + start.values, stagesRan = 0
                    let nodeLower = shooting.nodes.map { start.nonNegative[$0.state] ? 0 : -Double.infinity }
                    let nodeUpper = [Double](repeating: .infinity, count: shooting.nodes.count)
                    for sigma in penaltyStages {
                        let run = optimizer.minimize(shooting.penalised(worker.shot, sigma: sigma, magnitude: start.magnitude), from: current,
                                                     lower: lower + nodeLower, upper: upper + nodeUpper)
                        iterations += run.iterations; evaluations += run.evaluations; failed += run.failedEvaluations
                        if run.failedAtStart { break }
                        current = run.theta
                        stagesRan += 1
                        if run.status == .interrupted { break }
                    }
                    if stagesRan > 0 { theta = current; break }
                }
                guard redraws < multiStart.redraws, !(cancellation?.isCancelled ?? false) else { break }
                point = replacements.nextUniformPoint(lower: lower, upper: upper)
                redraws += 1
            }
            var end = point, status = "failed: the start point cannot be simulated"
            if let theta {
                // The single-shooting fit of the original problem from the model parameters found.
                end = Array(theta.prefix(problem.estimated.count))
                let from = profiled?.outerCoordinates(end) ?? end
                let (lo, up) = profiled.map { ($0.outerCoordinates(lower), $0.outerCoordinates(upper)) } ?? (lower, upper)
                let run = optimizer.minimize(worker.single, from: from, lower: lo, upper: up)
                iterations += run.iterations; evaluations += run.evaluations; failed += run.failedEvaluations
                status = run.status.description
                if let inner = worker.inner {
                    if let full = try? inner.fullCoordinates(run.theta) { end = full }
                } else {
                    end = run.theta
                }
            }
            let scored = theta == nil ? nil : model.evaluateEndPoint(theta: end)
            return PEtabFitOutcome.Start(index: k, start: point, theta: end, evaluation: scored?.evaluation, status: status,
                                         scoredWithSensitivities: scored?.withSensitivities ?? false, redraws: redraws,
                                         iterations: iterations, evaluations: evaluations, failedEvaluations: failed,
                                         wallTime: (clock.now - began).seconds, cpuTime: threadCPUSeconds() - cpuBegan)
        }
        var outcome = PEtabFitOutcome(problem: problem, starts: results.compactMap { $0 }, plannedStarts: points.count,
                                      profiled: profiled, options: options, trace: recorded)
        outcome.multipleShooting = (intervals, shooting.nodes.count)
        return outcome
    }
}
