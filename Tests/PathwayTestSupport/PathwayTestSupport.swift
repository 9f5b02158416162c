import Foundation
import SourceDiagnostics
public import PathwayModel
import AntimonyFrontEnd
public import ModelCompiler
public import Simulation
public import KineticsCore
import CVODEIntegration

/// Helpers shared by the test targets: load text, simulate, compare with tolerances.
public enum TestModels {
    /// Parses Antimony text as if it were a file named `name`.
    public static func pathway(_ text: String, name: String = "test.ant") throws -> Pathway {
        try AntimonyLoader.load(source: SourceFile(path: name, text: text))
    }

    public static func compile(_ text: String) throws -> CompiledModel {
        try ModelCompiler.compile(pathway(text))
    }

    public static func simulate(_ text: String, tEnd: Double, points: Int = 101, rtol: Double = 1e-6, atol: Double = 1e-12,
                                columns: [String]? = nil, overrides: [(name: String, value: Double)] = []) throws -> SimulationResult {
        let model = try compile(text)
        let request = SimulationRequest(grid: TimeGrid(end: tEnd, count: points), columns: columns, overrides: overrides,
                                        options: IntegratorOptions(relativeTolerance: rtol, absoluteTolerance: atol))
        return try Simulator(model: model).run(request)
    }

    /// The directory holding the repository (for shipped pathways): the checkout this test binary
    /// was built from, or `KINAPSE_TEST_REPOSITORY_ROOT` when set, so that one build can test the
    /// pathway and synapse files of another checkout of the same code (a git worktree).
    public static var repositoryRoot: URL {
        if let root = ProcessInfo.processInfo.environment["KINAPSE_TEST_REPOSITORY_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root, isDirectory: true)
        }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    /// The `kinapse` executable of the build that made this test binary (SwiftPM puts both in
    /// one directory, .build/debug or .build/release), so the CLI tests run the same configuration.
    public static var kinapseExecutable: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("kinapse"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kinapse"),
            repositoryRoot.appendingPathComponent(".build/release/kinapse"),
            repositoryRoot.appendingPathComponent(".build/debug/kinapse"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Every `.ant` file under Pathways/, Benchmarks/models/ and Fixtures/crosscheck/.
    public static var shippedPathways: [URL] {
        let fm = FileManager.default
        var out: [URL] = []
        for dir in ["Pathways", "Benchmarks/models", "Fixtures/crosscheck"] {
            let root = repositoryRoot.appendingPathComponent(dir)
            guard let e = fm.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in e where url.pathExtension == "ant" { out.append(url) }
        }
        return out.sorted { $0.path < $1.path }
    }
}

/// Error measured in units of the solver's tolerance: `|y − y*| / (rtol·|y*| + atol)`.
/// Tests assert its maximum is at most a constant C measured and written down beside them.
public func toleranceRatio(_ actual: Double, _ expected: Double, rtol: Double, atol: Double) -> Double {
    abs(actual - expected) / (rtol * abs(expected) + atol)
}

public struct JacobianCheck {
    public let maxRelativeError: Double
    public let worst: (row: Int, column: Int)?
}

/// Compares the analytic Jacobian with central differences of the right-hand side at
/// state `y`: relative error per entry, scaled by the larger of the entries and the
/// row's overall magnitude (so round-off in near-zero entries is not counted as error).
public func checkJacobian(_ model: ModelInstance, at y: [Double], time t: Double = 0) -> JacobianCheck {
    let n = model.stateCount
    var analytic = [Double](repeating: 0, count: n * n)
    analytic.withUnsafeMutableBufferPointer { j in
        y.withUnsafeBufferPointer { model.evaluateJacobian(time: t, state: $0.baseAddress!, jacobian: j.baseAddress!) }
    }
    var numeric = [Double](repeating: 0, count: n * n)
    var plus = [Double](repeating: 0, count: n), minus = plus
    // The difference quotient of two right-hand sides of size |f_i| carries their rounding,
    // about (ulps of the evaluation)·ε·|f_i| each, divided by 2h: discrepancies within that
    // are not the Jacobian's. 64 ulps covers the tens of operations of a rate law.
    var roundingNoise = numeric
    for j in 0..<n {
        var yp = y, ym = y
        let h = 1e-6 * max(abs(y[j]), 1e-3)
        yp[j] += h
        ym[j] -= h
        yp.withUnsafeBufferPointer { s in plus.withUnsafeMutableBufferPointer { model.evaluateRHS(time: t, state: s.baseAddress!, derivative: $0.baseAddress!) } }
        ym.withUnsafeBufferPointer { s in minus.withUnsafeMutableBufferPointer { model.evaluateRHS(time: t, state: s.baseAddress!, derivative: $0.baseAddress!) } }
        for i in 0..<n {
            numeric[i + j * n] = (plus[i] - minus[i]) / (yp[j] - ym[j])
            roundingNoise[i + j * n] = 64 * Double.ulpOfOne * max(abs(plus[i]), abs(minus[i])) / (yp[j] - ym[j])
        }
    }
    var worst: (Int, Int)?
    var maxError = 0.0
    for i in 0..<n {
        var rowScale = 0.0
        for j in 0..<n { rowScale = max(rowScale, abs(analytic[i + j * n]), abs(numeric[i + j * n])) }
        for j in 0..<n {
            let a = analytic[i + j * n], b = numeric[i + j * n]
            // A NaN compares false with everything, so it would pass unnoticed: count it as the worst error.
            let e = a.isFinite && b.isFinite ? max(0, abs(a - b) - roundingNoise[i + j * n]) / max(abs(a), abs(b), 1e-3 * rowScale, 1e-12) : .infinity
            if e > maxError { maxError = e; worst = (i, j) }
        }
    }
    return JacobianCheck(maxRelativeError: maxError, worst: worst.map { (row: $0.0, column: $0.1) })
}

/// Largest drift of a conserved sum from its initial value, in units of the solver
/// tolerance: max over time of |Σ pools − Σ pools(0)| / (rtol·Σ pools(0) + atol·n).
public func conservationDrift(_ result: SimulationResult, pools: [String], rtol: Double, atol: Double) -> Double {
    let series = pools.map { result.trajectory.series($0) ?? [] }
    guard series.allSatisfy({ $0.count == result.trajectory.rowCount }), result.trajectory.rowCount > 0 else { return .infinity }
    let total0 = series.map { $0[0] }.reduce(0, +)
    var worst = 0.0
    for r in 0..<result.trajectory.rowCount {
        let total = series.map { $0[r] }.reduce(0, +)
        worst = max(worst, abs(total - total0) / (rtol * total0 + atol * Double(pools.count)))
    }
    return worst
}

/// The column where two runs of one model differ most, relative to the column's largest
/// magnitude in `reference` (columns that stay at zero are skipped).
public func largestRelativeDifference(_ run: Trajectory, _ reference: Trajectory) -> (column: String, value: Double) {
    var worst = (column: "", value: 0.0)
    for (j, name) in reference.columns.enumerated() {
        var scale = 0.0, diff = 0.0
        for r in 0..<reference.rowCount {
            scale = max(scale, abs(reference.value(row: r, column: j)))
            diff = max(diff, abs(run.value(row: r, column: j) - reference.value(row: r, column: j)))
        }
        if scale > 0, diff / scale > worst.value { worst = (name, diff / scale) }
    }
    return worst
}
