import Foundation
public import KineticsCore
import SourceDiagnostics
import PathwayModel
import SBMLImport
import ModelCompiler
import CVODEIntegration
import Simulation
import FluxBalance

/// One case of the SBML Test Suite: its files and tags.
public struct SuiteCase: Sendable {
    public let id: String
    public let directory: String
    public let componentTags: [String]
    public let testTags: [String]
    public let testType: String

    /// Reads `DIR/NNNNN/NNNNN-model.m` for the tags; the first occurrence of each key wins.
    public init(id: String, casesDirectory: String) {
        self.id = id
        self.directory = (casesDirectory as NSString).appendingPathComponent(id)
        var component: [String]?, test: [String]?, type: String?
        let m = (try? String(contentsOfFile: (directory as NSString).appendingPathComponent("\(id)-model.m"), encoding: .utf8)) ?? ""
        for line in m.split(whereSeparator: \.isNewline) {
            let t = line.trimmingCharacters(in: .whitespaces)
            func value(_ key: String) -> String? {
                guard t.hasPrefix(key) else { return nil }
                return String(t.dropFirst(key.count)).trimmingCharacters(in: .whitespaces)
            }
            func tags(_ v: String) -> [String] { v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            if component == nil, let v = value("componentTags:") { component = tags(v) }
            if test == nil, let v = value("testTags:") { test = tags(v) }
            if type == nil, let v = value("testType:") { type = v }
        }
        componentTags = component ?? []
        testTags = test ?? []
        testType = type ?? "TimeCourse"
    }

    public var settingsPath: String { (directory as NSString).appendingPathComponent("\(id)-settings.txt") }
    public var resultsPath: String { (directory as NSString).appendingPathComponent("\(id)-results.csv") }

    /// The one SBML file of the case (the newest Level/Version kept).
    public var modelPath: String? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let candidates = files.filter { $0.hasPrefix("\(id)-sbml-") && $0.hasSuffix(".xml") }.sorted()
        return candidates.last.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Case ids (`00001`…) in a cases directory, sorted.
    public static func ids(in casesDirectory: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: casesDirectory)) ?? []
        return entries.filter { $0.count == 5 && $0.allSatisfy(\.isNumber) }.sorted()
    }
}

/// How a case went.
public enum CaseOutcome: Sendable, Equatable {
    case pass
    /// Simulated, but outside tolerance (or the simulation failed); the reason says where.
    case fail(String)
    /// Refused on purpose: `unsupported: …`.
    case unsupported(String)

    public var label: String {
        switch self {
        case .pass: "pass"
        case .fail: "fail"
        case .unsupported: "unsupported"
        }
    }
    public var reason: String {
        switch self {
        case .pass: ""
        case .fail(let r), .unsupported(let r): r
        }
    }
}

/// Loading, simulating and judging test-suite cases.
public enum SuiteRunner {
    /// Integrator settings for suite runs: much tighter than any case's tolerances.
    public static var options: IntegratorOptions {
        var o = IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maximumSteps: 200_000)
        o.maximumStepSize = 0
        return o
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let isUnsupported: Bool

        public init(description: String, isUnsupported: Bool) {
            self.description = description; self.isUnsupported = isUnsupported
        }

        /// A model that could not be read: its first refusal (`unsupported: …`), else its first error.
        init(_ error: DiagnosticsError) {
            let first = error.diagnostics.first { $0.message.hasPrefix("unsupported:") } ?? error.diagnostics.first
            self.init(description: first?.message ?? "\(error)", isUnsupported: first?.message.hasPrefix("unsupported:") ?? false)
        }

        var outcome: CaseOutcome { isUnsupported ? .unsupported(description) : .fail(description) }
    }

    /// Simulates an SBML model on a case's grid and returns exactly the requested
    /// columns, each species in the unit (amount or concentration) the settings ask for.
    public static func simulate(modelPath: String, settings: CaseSettings,
                                options: IntegratorOptions = SuiteRunner.options) throws(Failure) -> (Trajectory, SimulationFailure?) {
        let sbml: SBMLModel
        let pathway: Pathway
        let model: CompiledModel
        do {
            sbml = try SBMLLoader.loadModel(path: modelPath)
            pathway = sbml.pathway
            model = try ModelCompiler.compile(pathway)
        } catch {
            throw Failure(error)
        }
        // Per variable: the column to read and, for species, a compartment to scale by.
        var requested: [String] = []
        func column(_ name: String) -> Int {
            if let i = requested.firstIndex(of: name) { return i }
            requested.append(name)
            return requested.count - 1
        }
        var plan: [(column: Int, scale: Int?, multiply: Bool)] = []
        let speciesById = Dictionary(pathway.species.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in settings.variables {
            let v = sbml.pathwayName(id)
            guard model.symbols[v] != nil else {
                throw Failure(description: "the model has no quantity '\(id)'", isUnsupported: false)
            }
            let c = column(v)
            if let s = speciesById[v] {
                let wantsAmount = settings.amount.contains(v)
                let wantsConcentration = settings.concentration.contains(v)
                if wantsAmount && !s.hasOnlySubstanceUnits {
                    plan.append((c, column(s.compartment), true))
                    continue
                } else if wantsConcentration && s.hasOnlySubstanceUnits {
                    plan.append((c, column(s.compartment), false))
                    continue
                }
            }
            plan.append((c, nil, false))
        }
        let end = settings.start + settings.duration
        guard settings.steps >= 1, end >= settings.start else { throw Failure(description: "settings: no time course", isUnsupported: true) }
        let grid = TimeGrid(start: settings.start, end: end, count: settings.steps + 1)
        let request = SimulationRequest(grid: grid, columns: requested, options: options)
        let result: SimulationResult
        do { result = try Simulator(model: model).run(request) } catch {
            throw Failure(description: error.description, isUnsupported: false)
        }
        var out = Trajectory(columns: settings.variables)
        let raw = result.trajectory
        var row = [Double](repeating: 0, count: plan.count)
        for r in 0..<raw.rowCount {
            for (k, p) in plan.enumerated() {
                let v = raw.value(row: r, column: p.column)
                if let s = p.scale {
                    let size = raw.value(row: r, column: s)
                    row[k] = p.multiply ? v * size : v / size
                } else {
                    row[k] = v
                }
            }
            out.append(time: raw.times[r], row: row)
        }
        return (out, result.failure)
    }

    /// Runs one case and judges it by the suite's rule:
    /// |expected − actual| ≤ absolute + relative·|expected| at every point.
    public static func run(_ c: SuiteCase, options: IntegratorOptions = SuiteRunner.options) -> CaseOutcome {
        if c.testType == "FluxBalanceSteadyState" { return runFluxBalance(c) }
        if c.testType != "TimeCourse" { return .unsupported("unsupported: test type \(c.testType)") }
        guard let modelPath = c.modelPath else { return .fail("no SBML file") }
        let settings: CaseSettings
        let expected: ExpectedResults
        do {
            settings = try CaseSettings(path: c.settingsPath)
            expected = try ExpectedResults(path: c.resultsPath)
        } catch { return .fail("cannot read the case: \(error)") }
        let trajectory: Trajectory
        let failure: SimulationFailure?
        do { (trajectory, failure) = try simulate(modelPath: modelPath, settings: settings, options: options) } catch {
            return error.outcome
        }
        if let failure { return .fail("simulation failed at t = \(failure.reachedTime): \(failure.reason)") }
        return compare(trajectory, expected, settings)
    }

    public static func compare(_ actual: Trajectory, _ expected: ExpectedResults, _ settings: CaseSettings) -> CaseOutcome {
        guard actual.rowCount == expected.times.count else {
            return .fail("\(actual.rowCount) rows, expected \(expected.times.count)")
        }
        for (i, t) in expected.times.enumerated() where abs(actual.times[i] - t) > 1e-9 * max(1, abs(t)) {
            return .fail("row \(i): time \(actual.times[i]), expected \(t)")
        }
        for (j, name) in expected.columns.enumerated() {
            guard let k = actual.columns.firstIndex(of: name) else { return .fail("no column '\(name)'") }
            for i in 0..<expected.times.count {
                let e = expected.rows[i][j], a = actual.value(row: i, column: k)
                if !agrees(a, e, settings) { return .fail("\(name) at t = \(expected.times[i]): \(a), expected \(e)") }
            }
        }
        return .pass
    }

    /// The suite's rule for one value: NaN and infinities exactly, anything else within
    /// `absolute + relative·|expected|`.
    static func agrees(_ actual: Double, _ expected: Double, _ settings: CaseSettings) -> Bool {
        if expected.isNaN { return actual.isNaN }
        if expected.isInfinite { return actual == expected }
        return abs(expected - actual) <= settings.absolute + settings.relative * abs(expected)
    }

    /// A flux-balance case: the optimal fluxes and objective values the settings name,
    /// against the one row of expected values (NaN where the problem is infeasible).
    static func runFluxBalance(_ c: SuiteCase) -> CaseOutcome {
        guard let modelPath = c.modelPath else { return .fail("no SBML file") }
        let settings: CaseSettings
        let expected: ExpectedResults
        do {
            settings = try CaseSettings(path: c.settingsPath)
            expected = try ExpectedResults(path: c.resultsPath, hasTimeColumn: false)
        } catch { return .fail("cannot read the case: \(error)") }
        guard let row = expected.rows.first, expected.rows.count == 1 else { return .fail("results: expected one row of values") }
        let result: FluxBalanceResult
        do { result = try FluxBalanceAnalysis.solve(SBMLLoader.loadModel(path: modelPath)) } catch {
            return Failure(error).outcome
        }
        for (name, e) in zip(expected.columns, row) {
            guard let a = result.value(of: name) else { return .fail("no reaction or objective '\(name)'") }
            if !agrees(a, e, settings) { return .fail("\(name): \(a), expected \(e) (\(result.status.rawValue))") }
        }
        return .pass
    }
}
