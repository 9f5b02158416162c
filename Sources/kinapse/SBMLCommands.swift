import ArgumentParser
import Foundation
import SBMLTestSuite
import SourceDiagnostics
import Reporting

/// `kinapse sbml-suite DIR`: runs SBML Test Suite cases and reports pass / fail /
/// unsupported counts by component tag, plus the ids that did not pass.
///
/// Every case runs in its own child process (`kinapse sbml-case`), so a case that
/// crashes or runs too long is reported as a failure and never takes the runner down.
struct SBMLSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbml-suite",
        abstract: "Run SBML Test Suite cases and report pass / fail / unsupported counts.",
        discussion: """
        DIR is the suite folder (with cases/) or its cases/ folder.

        Examples:
          kinapse sbml-suite ../shared/sbml-test-suite
          kinapse sbml-suite ../shared/sbml-test-suite --cases 1-100,1780 --jobs 2
          kinapse sbml-suite ../shared/sbml-test-suite \\
              --expect-passing Fixtures/sbml-suite-passing.txt
        """
    )

    @Argument(help: "The test suite folder, or its cases/ folder.")
    var directory: String

    @Option(help: ArgumentHelp("Case numbers to run, e.g. 1-100,250 (default: all).", valueName: "RANGE"))
    var cases: String?

    // Optional, so that the help does not print this machine's core count as the default.
    @Option(parsing: .unconditional, help: "Cases run at the same time (default: all cores).")
    var jobs: Int?

    @Option(help: "Seconds a case may run before it counts as failed.")
    var timeout: Double = 60

    @Option(name: .customLong("passing-list"), help: "Write the ids of the passing cases to this file.")
    var passingList: String?

    @Option(name: .customLong("expect-passing"), help: "Exit with status 1 if any case listed in this file does not pass.")
    var expectPassing: String?

    @Flag(help: "Print every case's outcome as it finishes.")
    var verbose = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    @Flag(help: "Replace a read-only --passing-list file.")
    var force = false

    func validate() throws {
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be positive (got \(jobs ?? 0))") }
        try OutputCheck.refuseConflicts([("--passing-list", passingList)], inputs: expectPassing.map { [$0] } ?? [], force: force)
        if let passingList, OutputPolicy.isInside(passingList, directory: directory) {
            throw ValidationError("--passing-list '\(passingList)' lies inside the test suite '\(directory)', whose files this run reads; refusing to write there\nhint: write the list elsewhere, e.g. --passing-list passing.txt")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let cases { _ = try Self.parseRange(cases) }
    }

    static func parseRange(_ text: String) throws -> Set<Int> {
        var out = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.allSatisfy({ $0 != nil }), let lo = bounds.first ?? nil else {
                throw ValidationError("--cases expects numbers and ranges like 1-100,250 (got '\(part)')")
            }
            let hi = bounds.count == 2 ? bounds[1]! : lo
            guard lo <= hi, hi - lo < 100_000 else { throw ValidationError("--cases: bad range '\(part)'") }
            out.formUnion(lo...hi)
        }
        return out
    }

    static func casesDirectory(_ directory: String) -> String {
        let nested = (directory as NSString).appendingPathComponent("cases")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory), isDirectory.boolValue { return nested }
        return directory
    }

    func run() throws {
        let casesDir = Self.casesDirectory(directory)
        var ids = SuiteCase.ids(in: casesDir)
        guard !ids.isEmpty else {
            throw DiagnosticsError(.error("no test cases (folders named 00001, 00002, …) in '\(casesDir)'"))
        }
        if let cases {
            let wanted = try Self.parseRange(cases)
            ids = ids.filter { wanted.contains(Int($0)!) }
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let clock = ContinuousClock()
        let started = clock.now
        let progress = ProgressReporter(total: ids.count, label: "sbml-suite", quiet: quiet || verbose)
        let results = SuiteProcessPool(executable: executable, casesDirectory: casesDir, timeout: timeout, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            .run(ids) { id, outcome, seconds in
                if verbose { print("\(id) \(outcome.label) \(String(format: "%.2f", seconds))s \(outcome.reason)") }
                progress.advance()
            }
        let elapsed = clock.now - started
        let suiteCases = Dictionary(uniqueKeysWithValues: ids.map { ($0, SuiteCase(id: $0, casesDirectory: casesDir)) })
        print(SuiteReport.text(cases: ids.map { suiteCases[$0]! }, outcomes: results.outcomes,
                               seconds: Double(elapsed.components.seconds), slowest: results.slowest))
        if let passingList {
            let passing = ids.filter { results.outcomes[$0] == .pass }
            try OutputCheck.write(passing.joined(separator: "\n") + "\n", to: passingList, option: "--passing-list", force: force)
        }
        if let expectPassing {
            let listed = try SourceFile.read(path: expectPassing).text
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            let regressions = listed.filter { id in results.outcomes[id].map { $0 != .pass } ?? false }
            if !regressions.isEmpty {
                throw RunFailure([.error("\(regressions.count) case(s) listed in \(expectPassing) no longer pass: " + regressions.joined(separator: ", "))])
            }
            print("no regressions against \(expectPassing) (\(listed.count) cases listed)")
        }
    }
}

/// Runs cases in child processes, `jobs` at a time, with a per-case timeout.
struct SuiteProcessPool {
    let executable: String
    let casesDirectory: String
    let timeout: Double
    let jobs: Int

    struct Results {
        var outcomes: [String: CaseOutcome] = [:]
        var slowest: [(id: String, seconds: Double)] = []
    }

    func run(_ ids: [String], progress: (String, CaseOutcome, Double) -> Void) -> Results {
        var results = Results()
        var queue = ids[...]
        var running: [(id: String, process: Process, output: Pipe, start: Date, data: Data)] = []
        var durations: [(String, Double)] = []
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let id = queue.popFirst() {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = ["sbml-case", (casesDirectory as NSString).appendingPathComponent(id)]
                let pipe = Pipe()
                p.standardOutput = pipe
                p.standardError = FileHandle.nullDevice
                do { try p.run() } catch {
                    results.outcomes[id] = .fail("cannot start \(executable): \(error)")
                    continue
                }
                running.append((id, p, pipe, Date(), Data()))
            }
            var finishedAny = false
            for k in running.indices.reversed() {
                let r = running[k]
                let elapsed = Date().timeIntervalSince(r.start)
                if r.process.isRunning {
                    if elapsed > timeout {
                        r.process.terminate()
                        kill(r.process.processIdentifier, SIGKILL)
                        r.process.waitUntilExit()
                        let outcome = CaseOutcome.fail("timed out after \(Int(timeout)) s")
                        results.outcomes[r.id] = outcome
                        durations.append((r.id, elapsed))
                        progress(r.id, outcome, elapsed)
                        running.remove(at: k)
                        finishedAny = true
                    }
                    continue
                }
                let data = r.output.fileHandleForReading.readDataToEndOfFile()
                let text = String(decoding: data, as: UTF8.self)
                let outcome: CaseOutcome
                if r.process.terminationReason == .uncaughtSignal {
                    outcome = .fail("crashed (signal \(r.process.terminationStatus))")
                } else if let line = text.split(separator: "\n").last {
                    let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                    let reason = parts.count > 1 ? parts[1] : ""
                    switch parts[0] {
                    case "pass": outcome = .pass
                    case "unsupported": outcome = .unsupported(reason)
                    default: outcome = .fail(reason)
                    }
                } else {
                    outcome = .fail("no result (exit status \(r.process.terminationStatus))")
                }
                results.outcomes[r.id] = outcome
                durations.append((r.id, elapsed))
                progress(r.id, outcome, elapsed)
                running.remove(at: k)
                finishedAny = true
            }
            if !finishedAny { usleep(2_000) }
        }
        results.slowest = durations.sorted { $0.1 > $1.1 }.prefix(5).map { ($0.0, $0.1) }
        return results
    }
}

/// `kinapse sbml-case CASEDIR` (internal): runs one case and prints `pass`, or
/// `fail<TAB>reason`, or `unsupported<TAB>reason`.
struct SBMLCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbml-case", abstract: "Run one SBML Test Suite case (used by sbml-suite).", shouldDisplay: false)

    @Argument(help: "The case folder, e.g. cases/00001.")
    var directory: String

    func run() throws {
        let id = (directory as NSString).lastPathComponent
        let outcome = SuiteRunner.run(SuiteCase(id: id, casesDirectory: PathName.directory(of: directory)))
        let reason = outcome.reason.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
        print(outcome == .pass ? "pass" : "\(outcome.label)\t\(reason)")
    }
}

/// The printed report: totals, counts by component tag, and the ids that did not pass.
enum SuiteReport {
    static func text(cases: [SuiteCase], outcomes: [String: CaseOutcome], seconds: Double,
                     slowest: [(id: String, seconds: Double)]) -> String {
        var lines: [String] = []
        let counts = count(cases, outcomes)
        lines.append("SBML Test Suite: \(cases.count) cases in \(Int(seconds)) s")
        lines.append("  pass \(counts.pass)   fail \(counts.fail)   unsupported \(counts.unsupported)")
        lines.append("")
        lines.append("by component tag:")
        lines.append("  " + "tag".padding(toLength: 30, withPad: " ", startingAt: 0) + "  cases   pass   fail  unsup")
        var tags: [String: [SuiteCase]] = [:]
        for c in cases { for t in c.componentTags { tags[t, default: []].append(c) } }
        for (tag, group) in tags.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
            let k = count(group, outcomes)
            lines.append("  " + tag.padding(toLength: 30, withPad: " ", startingAt: 0)
                         + [group.count, k.pass, k.fail, k.unsupported].map { String($0).leftPadded(5) }.joined(separator: "  "))
        }
        let failing = cases.filter { if case .fail = outcomes[$0.id] { return true }; return false }
        if !failing.isEmpty {
            lines.append("")
            lines.append("failing (\(failing.count)):")
            for c in failing { lines.append("  \(c.id)  \(outcomes[c.id]!.reason)") }
        }
        let unsupported = cases.filter { if case .unsupported = outcomes[$0.id] { return true }; return false }
        if !unsupported.isEmpty {
            lines.append("")
            lines.append("unsupported (\(unsupported.count)):")
            var byReason: [String: [String]] = [:]
            for c in unsupported { byReason[Self.feature(outcomes[c.id]!.reason), default: []].append(c.id) }
            for (reason, ids) in byReason.sorted(by: { $0.value.count > $1.value.count }) {
                lines.append("  \(ids.count.description.leftPadded(4))  \(reason): " + ids.joined(separator: " "))
            }
        }
        if !slowest.isEmpty {
            lines.append("")
            lines.append("slowest: " + slowest.map { "\($0.id) \(String(format: "%.1f", $0.seconds)) s" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// The feature named by an `unsupported: …` message, without its location.
    static func feature(_ reason: String) -> String {
        var r = reason
        if let at = r.range(of: " (at ") { r = String(r[..<at.lowerBound]) }
        if let quote = r.range(of: " (reaction '") { r = String(r[..<quote.lowerBound]) }
        return r
    }

    static func count(_ cases: [SuiteCase], _ outcomes: [String: CaseOutcome]) -> (pass: Int, fail: Int, unsupported: Int) {
        var p = 0, f = 0, u = 0
        for c in cases {
            switch outcomes[c.id] {
            case .pass?: p += 1
            case .unsupported?: u += 1
            default: f += 1
            }
        }
        return (p, f, u)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
