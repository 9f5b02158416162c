import Testing
import Foundation
import SBMLTestSuite
import PathwayTestSupport

/// Every case listed in `Fixtures/sbml-suite-passing.txt` must still pass.
///
/// The cases come from `../shared/sbml-test-suite` next to the repository; a clone
/// without it skips this test (with a message). A fixed sample of every
/// `sampleStride`-th listed case runs here, in-process, in parallel, in the debug
/// build; `make sbml-suite` runs all of them with the release binary.
@Suite struct SBMLTestSuiteRegressionTests {
    static let sampleStride = 1

    static var suiteDirectory: String {
        TestModels.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/sbml-test-suite/cases").path
    }

    static var listed: [String] {
        let url = TestModels.repositoryRoot.appendingPathComponent("Fixtures/sbml-suite-passing.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    @Test func listedCasesStillPass() throws {
        guard FileManager.default.fileExists(atPath: Self.suiteDirectory) else {
            print("skipped: no SBML Test Suite at \(Self.suiteDirectory) (it lives in ../shared, next to the repository)")
            return
        }
        let ids = Self.listed.enumerated().filter { $0.offset % Self.sampleStride == 0 }.map(\.element)
        #expect(ids.count > 1000)
        let outcomes = ParallelCases.run(ids, casesDirectory: Self.suiteDirectory, threads: 2)
        let regressions = ids.filter { outcomes[$0] != .pass }
        for id in regressions { Issue.record("SBML Test Suite case \(id) regressed: \(outcomes[id]?.reason ?? "not run")") }
    }
}

/// Runs cases on a few threads with large stacks (deep models recurse in the compiler).
enum ParallelCases {
    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var outcomes: [String: CaseOutcome] = [:]
    }

    static func run(_ ids: [String], casesDirectory: String, threads: Int) -> [String: CaseOutcome] {
        let box = Box()
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            let thread = Thread {
                while true {
                    box.lock.lock()
                    let i = box.next
                    box.next += 1
                    box.lock.unlock()
                    guard i < ids.count else { break }
                    let outcome = SuiteRunner.run(SuiteCase(id: ids[i], casesDirectory: casesDirectory))
                    box.lock.lock()
                    box.outcomes[ids[i]] = outcome
                    box.lock.unlock()
                }
                group.leave()
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
        group.wait()
        return box.outcomes
    }
}
