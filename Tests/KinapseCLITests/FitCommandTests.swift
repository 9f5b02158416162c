import Testing
import Foundation
import PathwayTestSupport

/// `kinapse fit` as a user runs it.
@Suite(.serialized) struct FitCommandTests {
    static let blowup = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/problem.toml").path

    /// The same seed gives the same files byte for byte, on one worker or two.
    @Test func sameSeedSameFilesWhateverTheJobs() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [[String: Data]] = []
        for jobs in ["1", "2"] {
            let out = dir.appendingPathComponent("jobs\(jobs)")
            let r = try CLI.run(["fit", Self.blowup, "--starts", "6", "--seed", "11", "--jobs", jobs, "--out-dir", out.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty, "--quiet: \(r.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            #expect(names == ["best_parameters.toml", "fit_decay.csv", "intervals.csv", "profiles.csv", "starts.csv"])
            files.append(Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: out.appendingPathComponent($0))) }))
        }
        #expect(files[0] == files[1])
    }

    /// The best parameters feed `simulate --params`; a name the model lacks is an error there.
    @Test func bestParametersFeedSimulate() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["fit", Self.blowup, "--starts", "4", "--out-dir", dir.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("convergence:") && r.stdout.contains("best: negative log-likelihood"))
        let params = dir.appendingPathComponent("best_parameters.toml").path
        let model = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/blowup.ant").path
        let s = try CLI.run(["simulate", model, "--t-end", "1", "--points", "2", "--params", params, "--select", "k,d"])
        #expect(s.status == 0, "\(s.stderr)")
        let last = s.stdout.split(separator: "\n").last.map { $0.split(separator: ",").map { Double($0)! } } ?? []
        #expect(last.count == 3 && abs(last[1] / 0.2 - 1) < 1e-4 && abs(last[2] - 1) < 1e-4, "\(s.stdout)")

        try "[parameters]\nkk = 1\n".write(toFile: params, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["simulate", model, "--t-end", "1", "--params", params])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("best_parameters.toml:2:1: error: the model has no parameter 'kk'"), "\(bad.stderr)")
        #expect(bad.stderr.contains("did you mean 'k'?"))
    }

    @Test func problemErrorsAreDiagnostics() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let problem = try String(contentsOfFile: Self.blowup, encoding: .utf8).replacingOccurrences(of: "[parameters.d]", with: "[parameters.dd]")
        let copy = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/.test-problem-\(UUID().uuidString).toml")
        try problem.write(to: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: copy) }
        let r = try CLI.run(["fit", copy.path, "--out-dir", dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: 'dd' is not a parameter of the model"), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'd'?"))
    }
}
