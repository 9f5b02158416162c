import Testing
import Foundation
import PathwayTestSupport

/// `kinapse fit PROBLEM.yaml` as a user runs it: the PEtab fit and `--evaluate`.
/// Test-suite case 0001 of ../shared/petab (two species, four parameters).
private let case0001 = TestModels.repositoryRoot.appendingPathComponent("../shared/petab/test-suite/cases/0001/_0001.yaml").standardizedFileURL.path

@Suite(.enabled(if: FileManager.default.fileExists(atPath: case0001), "../shared/petab/test-suite is absent"))
struct PEtabCommandTests {

    static func number(_ key: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(key + " ") }.flatMap { Double($0.dropFirst(key.count + 1).split(separator: " ")[0]) }
    }

    /// At the nominal point the printed llh and χ² are the case's solution (tolerance 1e-3,
    /// the case's own); a fit's best_parameters.tsv evaluates to the objective the fit
    /// printed (both print 6 decimals of the same computation: 2e-6).
    @Test func evaluateAtTheNominalPointAndAtTheFittedOne() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let nominal = try CLI.run(["fit", case0001, "--evaluate", "--out-dir", dir.appendingPathComponent("nominal").path])
        #expect(nominal.status == 0, "\(nominal.stderr)")
        let llh = try #require(Self.number("llh", in: nominal.stdout)), chi2 = try #require(Self.number("chi2", in: nominal.stdout))
        #expect(abs(llh - -0.84750169713188) < 1e-3 && abs(chi2 - 0.79183798368486) < 1e-3, "\(nominal.stdout)")
        let table = try String(contentsOf: dir.appendingPathComponent("nominal/simulations.tsv"), encoding: .utf8)
        #expect(table.hasPrefix("observableId\t") && table.contains("simulation"))

        let fitDir = dir.appendingPathComponent("fit")
        let fit = try CLI.run(["fit", case0001, "--starts", "2", "--jobs", "1", "--time-budget", "60", "--out-dir", fitDir.path, "--quiet"])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("start points redrawn") && fit.stdout.contains("CPU time"), "\(fit.stdout)")
        let best = try #require(Self.number("best objective", in: fit.stdout))
        let again = try CLI.run(["fit", case0001, "--evaluate", "--params", fitDir.appendingPathComponent("best_parameters.tsv").path,
                                 "--out-dir", dir.appendingPathComponent("again").path])
        #expect(again.status == 0, "\(again.stderr)")
        let objective = try #require(Self.number("objective", in: again.stdout))
        #expect(abs(objective - best) <= 2e-6, "fit printed \(best), --evaluate \(objective)")
    }

    /// `--native-code` reaches both commands and changes no printed number: llh to the 6
    /// decimals printed (2e-6), the gradient norm to its 6 significant digits (1e-5 relative).
    /// A PEtab fit keeps the directory rules of any fit: into the directory of an earlier
    /// kinapse fit it leaves only its own files and manifest, and the other way round.
    @Test func aPEtabFitAndAFitProblemNeverMixInOneDirectory() throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        let toml = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(toml.status == 0, "\(toml.stderr)")
        let petab = try CLI.run(["fit", case0001, "--starts", "2", "--jobs", "1", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(petab.status == 0, "\(petab.stderr)")
        let afterPEtab = try FileManager.default.contentsOfDirectory(atPath: files.path("out")).sorted()
        #expect(afterPEtab == ["best_parameters.tsv", "manifest.txt", "simulations.tsv", "starts.tsv"], "\(afterPEtab)")
        let again = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(again.status == 0, "\(again.stderr)")
        let afterTOML = try FileManager.default.contentsOfDirectory(atPath: files.path("out")).sorted()
        #expect(!afterTOML.contains { $0.hasSuffix(".tsv") } && afterTOML.contains("starts.csv"), "\(afterTOML)")
        #expect(files.changed().isEmpty)
    }

    @Test func nativeCodeGivesTheSameNumbers() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let interpreted = try CLI.run(["petab", "llh", case0001, "--gradient"])
        let native = try CLI.run(["petab", "llh", case0001, "--gradient", "--native-code"])
        #expect(interpreted.status == 0 && native.status == 0, "\(interpreted.stderr)\(native.stderr)")
        let llh = try #require(Self.number("llh", in: interpreted.stdout)), nativeLLH = try #require(Self.number("llh", in: native.stdout))
        #expect(abs(llh - nativeLLH) <= 2e-6, "llh \(llh) interpreted, \(nativeLLH) native")
        let norm = try #require(Self.number("gradient norm", in: interpreted.stdout))
        let nativeNorm = try #require(Self.number("gradient norm", in: native.stdout))
        #expect(abs(norm - nativeNorm) <= 1e-5 * max(1, abs(norm)), "gradient norm \(norm) interpreted, \(nativeNorm) native")
        let evaluate = try CLI.run(["fit", case0001, "--evaluate", "--native-code", "--out-dir", dir.path])
        #expect(evaluate.status == 0 && Self.number("llh", in: evaluate.stdout).map { abs($0 - llh) <= 2e-6 } == true, "\(evaluate.stdout)\(evaluate.stderr)")
    }

    /// `--scaled-atol` reaches both commands: at atol 1e-2 (above rtol × the case's state
    /// peaks) llh is off by 5e-4 (measured); with each state's tolerance scaled to rtol × its
    /// peak it is the solution to the 6 decimals printed (2e-6 with the reference's rounding).
    @Test func scaledAbsoluteTolerancesReachBothCommands() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = -0.84750169713188
        let plain = try CLI.run(["petab", "llh", case0001, "--atol", "1e-2"])
        let scaled = try CLI.run(["petab", "llh", case0001, "--atol", "1e-2", "--scaled-atol"])
        let evaluate = try CLI.run(["fit", case0001, "--evaluate", "--atol", "1e-2", "--scaled-atol", "--out-dir", dir.path])
        let loose = try #require(Self.number("llh", in: plain.stdout))
        #expect(abs(loose - reference) >= 1e-4, "llh \(loose) at atol 1e-2: the case does not exercise the scaling")
        for run in [scaled, evaluate] {
            #expect(run.status == 0, "\(run.stderr)")
            let llh = try #require(Self.number("llh", in: run.stdout))
            #expect(abs(llh - reference) <= 2e-6, "llh \(llh) scaled")
        }
        let toml = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/problem.toml").path
        let refused = try CLI.run(["fit", toml, "--scaled-atol", "--out-dir", dir.path])
        #expect(refused.status != 0 && refused.stderr.contains("--scaled-atol applies to PEtab problems"), "\(refused.stderr)")
    }

    @Test func optionsOfTheOtherKindOfProblemAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = try CLI.run(["fit", case0001, "--plot", dir.appendingPathComponent("f.svg").path, "--out-dir", dir.path])
        #expect(plot.status != 0 && plot.stderr.contains("--plot does not apply to a PEtab problem"), "\(plot.stderr)")
        // Without --evaluate, --params is the fit's first start: read, so never an output.
        let table = dir.appendingPathComponent("best_parameters.tsv").path
        try FileManager.default.copyItem(atPath: (case0001 as NSString).deletingLastPathComponent + "/_parameters.tsv", toPath: table)
        let params = try CLI.run(["fit", case0001, "--params", table, "--starts", "1", "--out-dir", dir.path])
        #expect(params.status != 0 && params.stderr.contains("refusing to overwrite an input"), "\(params.stderr)")
        let continued = try CLI.run(["fit", case0001, "--params", table, "--starts", "1", "--out-dir", dir.appendingPathComponent("continued").path])
        #expect(continued.status == 0 && continued.stdout.contains("2 of 2 starts run"), "\(continued.stdout)\(continued.stderr)")
        // --starts 0: that start alone (a local fit from a given point); without --params there would be none.
        let alone = try CLI.run(["fit", case0001, "--params", table, "--starts", "0", "--out-dir", dir.appendingPathComponent("alone").path])
        #expect(alone.status == 0 && alone.stdout.contains("1 of 1 starts run"), "\(alone.stdout)\(alone.stderr)")
        let none = try CLI.run(["fit", case0001, "--starts", "0", "--out-dir", dir.appendingPathComponent("none").path])
        #expect(none.status == 2 && none.stderr.contains("0 only with --params"), "\(none.stderr)")
        let toml = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/problem.toml").path
        let evaluate = try CLI.run(["fit", toml, "--evaluate", "--out-dir", dir.path])
        #expect(evaluate.status != 0 && evaluate.stderr.contains("--evaluate applies to PEtab problems"), "\(evaluate.stderr)")
    }
}
