import Foundation
public import CVODEIntegration
import KinapseUtilities

/// Checks a synapse run's sensitivities against central finite differences; used by the tests
/// and by `kinapse simulate … --check-sensitivities`.
///
/// Both runs use tight tolerances (rtol 1e-10, atol 1e-14 unless the request asks for
/// tighter), so the finite differences are accurate: the global error of each run is
/// ~C·(rtol·|Q| + atol) with C ≲ 30 (Tests/SimulationTests/SensitivityTests.swift), so
/// with a relative step h = 1e-4·|p| the rounding part of a central difference is
/// ≲ 30·(rtol·|Q| + atol)/(2·1e-4·|p|); the truncation part, ~h²·|∂³Q/∂p³|/6, is ~1e-8
/// relative for rate laws that change on the scale of |p|. Each comparison is
///     |s − fd| ≤ 1e-4·max(|s|, |fd|) + floor,
///     floor = 40·(rtol·max_t|Q| + atol)/(2·1e-4·|p|)  (= (2e-5·max_t|Q| + 2e-9)/|p|),
/// the floor being that rounding bound (with C rounded up to 40): derivatives below it
/// (relative sensitivities |∂ln Q/∂ln p| ≲ 2e-5 of the quantity's largest value, or
/// values far below the absolute tolerance, such as a blocked pathway's zeros) are noise
/// in the finite differences, not a test of the engine. Quantities: the normalised amplitude and the
/// paired-pulse ratio at every test stimulus, and every time-course column at every
/// `stride`-th output row.
public enum FiniteDifferenceCheck {
    public static let tolerance = 1e-4
    public static let relativeStep = 1e-4
    /// C in the floor's rounding bound C·(rtol·|Q| + atol).
    public static let errorConstant = 40.0

    /// The floor of the comparison for a quantity of largest magnitude `scale`, for a
    /// perturbation of size `h`.
    static func floor(scale: Double, h: Double, options: IntegratorOptions) -> Double {
        errorConstant * (options.relativeTolerance * scale + options.absoluteTolerance) / (2 * h)
    }

    public struct ParameterReport: Sendable {
        public var parameter: String
        public var value: Double
        /// Largest |s − fd| / max(|s|, |fd|) among derivatives at least 100× their floor.
        public var worstRelative = 0.0
        /// Largest |s − fd| / (1e-4·max(|s|, |fd|) + floor): at most 1 passes.
        public var worstRatio = 0.0
        /// Where `worstRelative` occurred, with both values.
        public var worstWhat = ""
        public var comparisons = 0
        /// Comparisons outside the tolerance, or why the parameter could not be checked.
        public var failures: [String] = []

        /// Records one comparison: it fails outside `tolerance·max(|s|, |fd|) + floor`.
        mutating func compare(_ what: String, sensitivity s: Double, finiteDifference fd: Double, floor: Double) {
            let difference = abs(s - fd)
            let size = max(abs(s), abs(fd))
            comparisons += 1
            if !(difference <= FiniteDifferenceCheck.tolerance * size + floor) {
                failures.append("\(what) = \(s), finite differences \(fd)")
            }
            worstRatio = max(worstRatio, difference / (FiniteDifferenceCheck.tolerance * size + floor))
            if size >= 100 * floor, difference / size > worstRelative {
                worstRelative = difference / size
                worstWhat = "\(what): \(s) vs \(fd)"
            }
        }
    }

    public struct Report: Sendable {
        public var parameters: [ParameterReport] = []
        /// Seconds for the run with sensitivities and for one plain run.
        public var sensitivityRunTime = 0.0
        public var plainRunTime = 0.0
        public var worstRelative: Double { parameters.map(\.worstRelative).max() ?? 0 }
        public var worstRatio: Double { parameters.map(\.worstRatio).max() ?? 0 }
        public var failures: [String] { parameters.flatMap(\.failures) }
    }

    /// `request` at the check's tolerances, without sensitivities: the finite-difference runs.
    static func plainRun(of request: SynapseRunRequest) -> SynapseRunRequest {
        var plain = request
        plain.options = options(for: request)
        plain.sensitivityParameters = []
        return plain
    }

    public static func options(for request: SynapseRunRequest) -> IntegratorOptions {
        var o = request.options
        o.relativeTolerance = min(o.relativeTolerance, 1e-10)
        o.absoluteTolerance = min(o.absoluteTolerance, 1e-14)
        o.maximumSteps = max(o.maximumSteps, 1_000_000)
        return o
    }

    /// Runs `request` with sensitivities for `parameters` (all of the model's, if nil)
    /// and compares each with central differences of plain runs of the same prepared model.
    ///
    /// The run with sensitivities, the plain run and the 2·n perturbed runs are independent:
    /// they are spread over `jobs` threads (sharing one prepared run, compiled once), and
    /// the comparison is made once all are done, so the report does not depend on `jobs`.
    public static func run(_ request: SynapseRunRequest, parameters requested: [String]? = nil, stride: Int = 10,
                           jobs: Int = 1) throws(SynapseRunError) -> Report {
        let plainRequest = plainRun(of: request)
        let plain = try PreparedSynapseRun(plainRequest)
        let model = plain.model
        let parameters = requested ?? plain.sensitivityCandidates
        let values = model.initialValues(of: parameters)
        let prepared = try plain.differentiated(with: parameters)
        let steps = values.map { relativeStep * ($0 != 0 ? abs($0) : 1) }

        // Task 0: the run with sensitivities; 1: the plain run (for its time); then for
        // parameter k, 2 + 2k (p + h) and 3 + 2k (p − h).
        typealias Outcome = (result: Result<SynapseRunResult, SynapseRunError>, seconds: Double)
        let runs = ParallelTasks.run(count: 2 + 2 * parameters.count, jobs: jobs, makeState: {}) { _, task -> Outcome in
            let clock = Date()
            do throws(SynapseRunError) {
                if task == 0 { return (.success(try prepared.run()), Date().timeIntervalSince(clock)) }
                let k = (task - 2) / 2
                let overrides = task == 1 ? [] : [(parameters[k], values[k] + (task % 2 == 0 ? steps[k] : -steps[k]))]
                return (.success(try plain.run(overrides: overrides)), Date().timeIntervalSince(clock))
            } catch {
                return (.failure(error), Date().timeIntervalSince(clock))
            }
        }

        var report = Report()
        let result = try runs[0].result.get()
        report.sensitivityRunTime = runs[0].seconds
        report.plainRunTime = runs[1].seconds
        if let failure = result.failure { throw .request("the run with sensitivities failed: \(failure)", hint: nil) }
        let quantities = self.quantities(result, stride: stride)
        for (k, p) in parameters.enumerated() {
            let v = values[k], h = steps[k]
            var r = ParameterReport(parameter: p, value: v)
            guard case .success(let up) = runs[2 + 2 * k].result, case .success(let down) = runs[3 + 2 * k].result,
                  up.failure == nil, down.failure == nil, up.readouts.count == result.readouts.count,
                  down.readouts.count == result.readouts.count else {
                r.failures.append("\(p): a run with \(p) = \(v) ± \(h) failed")
                report.parameters.append(r)
                continue
            }
            let qu = self.quantities(up, stride: stride), qd = self.quantities(down, stride: stride)
            let s = sensitivities(result, parameter: k, stride: stride)
            for i in quantities.indices {
                let fd = (qu[i].value - qd[i].value) / (2 * h)
                let floor = Self.floor(scale: quantities[i].scale, h: h, options: plainRequest.options)
                r.compare("∂(\(quantities[i].name))/∂\(p)", sensitivity: s[i], finiteDifference: fd, floor: floor)
            }
            report.parameters.append(r)
        }
        return report
    }

    /// A cheaper check of all parameters at once: along `directions` random directions
    /// d (d_k = ±|p_k|, signs from a seeded generator), the directional derivative
    /// Σ_k s_k·d_k against the central difference (Q(p + h·d) − Q(p − h·d))/(2h),
    /// h = 1e-4, with the same tolerance (the floor for a unit |p|). Two runs per direction
    /// instead of two per parameter; used where the per-parameter check is too slow
    /// (debug builds). Returns one report per direction, named "direction N".
    public static func directional(_ request: SynapseRunRequest, directions: Int, seed: UInt64 = 1,
                                   stride: Int = 10) throws(SynapseRunError) -> Report {
        let plainRequest = plainRun(of: request)
        let plain = try PreparedSynapseRun(plainRequest)
        let parameters = plain.sensitivityCandidates
        let values = plain.model.initialValues(of: parameters)
        let prepared = try plain.differentiated(with: parameters)
        var report = Report()
        var clock = Date()
        let result = try prepared.run()
        report.sensitivityRunTime = Date().timeIntervalSince(clock)
        if let failure = result.failure { throw .request("the run with sensitivities failed: \(failure)", hint: nil) }
        clock = Date()
        _ = try plain.run()
        report.plainRunTime = Date().timeIntervalSince(clock)
        let quantities = self.quantities(result, stride: stride)
        let columns = parameters.indices.map { sensitivities(result, parameter: $0, stride: stride) }
        var random = SeededGenerator(seed: seed)
        for direction in 1...max(1, directions) {
            let d = values.map { v in (random.next() & 1 == 0 ? 1.0 : -1.0) * (v != 0 ? abs(v) : 1) }
            let h = relativeStep
            var plus: [(name: String, value: Double)] = [], minus: [(name: String, value: Double)] = []
            for k in parameters.indices {
                plus.append((parameters[k], values[k] + h * d[k]))
                minus.append((parameters[k], values[k] - h * d[k]))
            }
            let up = try plain.run(overrides: plus), down = try plain.run(overrides: minus)
            var r = ParameterReport(parameter: "direction \(direction)", value: h)
            guard up.failure == nil, down.failure == nil, up.readouts.count == result.readouts.count,
                  down.readouts.count == result.readouts.count else {
                r.failures.append("direction \(direction): a perturbed run failed")
                report.parameters.append(r)
                continue
            }
            let qu = self.quantities(up, stride: stride), qd = self.quantities(down, stride: stride)
            for i in quantities.indices {
                var predicted = 0.0
                for k in parameters.indices { predicted += columns[k][i] * d[k] }
                let fd = (qu[i].value - qd[i].value) / (2 * h)
                let floor = Self.floor(scale: quantities[i].scale, h: h, options: plainRequest.options)
                r.compare("direction \(direction): ∂(\(quantities[i].name))", sensitivity: predicted, finiteDifference: fd, floor: floor)
            }
            report.parameters.append(r)
        }
        return report
    }

    static func quantities(_ r: SynapseRunResult, stride: Int) -> [(name: String, value: Double, scale: Double)] {
        var out: [(String, Double, Double)] = []
        let ampScale = r.readouts.map { abs($0.normalisedAmplitude) }.max() ?? 1
        let pprScale = r.readouts.map { abs($0.response.pairedPulseRatio) }.max() ?? 1
        for x in r.readouts {
            out.append(("amplitude % at t = \(x.time)", x.normalisedAmplitude, ampScale))
            out.append(("PPR at t = \(x.time)", x.response.pairedPulseRatio, pprScale))
        }
        let t = r.trajectory
        for c in t.columns.indices {
            let scale = (0..<t.rowCount).map { abs(t.value(row: $0, column: c)) }.max() ?? 0
            for row in Swift.stride(from: 0, to: t.rowCount, by: stride) {
                out.append(("\(t.columns[c]) at t = \(t.times[row])", t.value(row: row, column: c), scale))
            }
        }
        return out
    }

    static func sensitivities(_ r: SynapseRunResult, parameter k: Int, stride: Int) -> [Double] {
        var out: [Double] = []
        for x in r.readouts {
            out.append(x.sensitivities?.normalisedAmplitude[k] ?? .nan)
            out.append(x.sensitivities?.pairedPulseRatio[k] ?? .nan)
        }
        guard let s = r.sensitivities else { return out }
        for c in s.columns.indices {
            for row in Swift.stride(from: 0, to: s.rowCount, by: stride) { out.append(s.value(row: row, column: c, parameter: k)) }
        }
        return out
    }
}
