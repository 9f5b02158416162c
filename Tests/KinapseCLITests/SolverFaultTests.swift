import Testing
import Foundation

/// Every kind of solver failure, through the command line: the exit status, the
/// diagnostic (time reached, flag, variable at fault, hint) and the partial CSV, which
/// must hold exactly the rows before the failure and end with the `# partial:` line.
///
/// The flag-only failures (CV_TOO_MUCH_WORK, CV_ERR_FAILURE, CV_CONV_FAILURE, a NaN from
/// the right-hand side) are forced with the debug-only `KINAPSE_INJECT_FAULT` seam; the
/// model-level ones (division by zero, log of a negative number, a species driven below
/// zero) come from real models.
@Suite struct SolverFaultTests {
    /// A = 10·e^(−t/2), B = 10 − A: smooth, so nothing but the injected fault can fail.
    let decay = "A = 10; B = 0; k = 0.5\nJ1: A -> B; k*A\n"

    struct Outcome {
        let result: CommandResult
        /// The data rows (header and marker removed) and the marker line, if any.
        let times: [Double]
        let header: String
        let marker: String?
    }

    func simulate(_ model: String, _ arguments: [String], fault: String? = nil) throws -> Outcome {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.ant"), out = dir.appendingPathComponent("run.csv")
        try model.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["simulate", file.path] + arguments + ["--out", out.path],
                            environment: fault.map { ["KINAPSE_INJECT_FAULT": $0] } ?? [:])
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        var lines = text.split(separator: "\n").map(String.init)
        let marker = lines.last?.hasPrefix("#") == true ? lines.removeLast() : nil
        let header = lines.isEmpty ? "" : lines.removeFirst()
        let times = lines.map { Double($0.split(separator: ",")[0]) ?? .nan }
        #expect(!text.isEmpty, "the rows before the failure must be written")
        #expect(!text.contains("nan") && !text.contains("inf"), "no non-finite number may reach the file")
        return Outcome(result: r, times: times, header: header, marker: marker)
    }

    @Test(arguments: [
        ("too-much-work", "CV_TOO_MUCH_WORK", "raise --max-steps"),
        ("error-test", "CV_ERR_FAILURE", "loosen --rtol/--atol"),
        ("convergence", "CV_CONV_FAILURE", "stiffer than these tolerances"),
    ])
    func forcedSolverFailure(kind: String, flag: String, hint: String) throws {
        let o = try simulate(decay, ["--t-end", "10", "--points", "11"], fault: "\(kind)@5")
        #expect(o.result.status == 1, "\(o.result.stderr)")
        let stderr = o.result.stderr
        #expect(stderr.contains("error: simulation failed at t = 5.0: integration failed with \(flag) at t = 5.0"), "\(stderr)")
        // No NaN to point at: the culprit is the state changing fastest relative to its
        // tolerance. At t = 5, |dA/dt| = |dB/dt| but B is the larger, so A wins.
        #expect(stderr.contains("offending variable: A"), "\(stderr)")
        #expect(stderr.contains("hint: ") && stderr.contains(hint), "\(stderr)")
        // Outputs 0…4 were reached; the one at t = 5 was not recorded before the failure.
        #expect(o.header == "time,A,B")
        #expect(o.times == [0, 1, 2, 3, 4])
        #expect(o.marker == "# partial: simulation failed at t = 5.0 (\(flag)), offending variable A")
    }

    @Test func nanFromTheRightHandSide() throws {
        // The injected NaN poisons dA/dt from t = 3 on: CVODE retries with smaller steps,
        // creeps up to t = 3 and gives up there (with CV_TOO_MUCH_WORK on SUNDIALS 6.4,
        // having spent its steps creeping; the flag is not what the user needs to know).
        let o = try simulate(decay, ["--t-end", "10", "--points", "11"], fault: "nan@3")
        #expect(o.result.status == 1, "\(o.result.stderr)")
        let stderr = o.result.stderr
        #expect(stderr.contains("integration failed with CV_"), "\(stderr)")
        #expect(stderr.contains("offending variable: A"), "\(stderr)")
        #expect(stderr.contains("hint: the derivative of 'A' evaluated to NaN or infinity"), "\(stderr)")
        let reached = try #require(failureTime(stderr))
        #expect(reached > 2.9 && reached <= 3, "stopped at \(reached)")
        #expect(o.times == [0, 1, 2])
        #expect(o.marker?.hasPrefix("# partial: simulation failed at t = ") == true)
        #expect(o.marker?.hasSuffix("offending variable A") == true, "\(o.marker ?? "no marker")")
    }

    @Test func divisionByZeroAtRunTime() throws {
        // D drops to 0 at t = 1, so dA/dt = −A/D is infinite from there on.
        let model = "A = 1; D = 1\nA' = -A/D\nE1: at (time >= 1): D = 0\n"
        let o = try simulate(model, ["--t-end", "4", "--points", "9"])
        #expect(o.result.status == 1, "\(o.result.stderr)")
        let stderr = o.result.stderr
        #expect(stderr.contains("simulation failed at t = 1.0"), "\(stderr)")
        #expect(stderr.contains("offending variable: A"), "\(stderr)")
        #expect(stderr.contains("hint: the derivative of 'A' evaluated to NaN or infinity"), "\(stderr)")
        #expect(stderr.contains("divides by zero"), "\(stderr)")
        // Rows at 0, 0.5 and 1 (the event time is reached before the restart fails).
        #expect(o.times == [0, 0.5, 1])
        #expect(o.marker?.contains("offending variable A") == true, "\(o.marker ?? "no marker")")
    }

    @Test func logOfANegativeValue() throws {
        // x = 1 − t reaches 0 at t = 1; log(x) is NaN beyond, −∞ at 0.
        let model = "x = 1; y = 0\nx' = -1\ny' = log(x)\n"
        let o = try simulate(model, ["--t-end", "2", "--points", "21"])
        #expect(o.result.status == 1, "\(o.result.stderr)")
        let stderr = o.result.stderr
        #expect(stderr.contains("offending variable: y"), "\(stderr)")
        #expect(stderr.contains("hint: the derivative of 'y' evaluated to NaN or infinity"), "\(stderr)")
        let reached = try #require(failureTime(stderr))
        #expect(reached > 0.9 && reached <= 1.0 + 1e-9, "stopped at \(reached)")
        // The row at t = 1 may be there: a time within rounding of the output time counts
        // as reached (Run's 8-ulp rule).
        #expect(o.times.last.map { $0 <= reached + 1e-15 } == true)
        #expect(o.times.count >= 10, "rows 0 … 0.9 at least")
        #expect(o.marker?.contains("offending variable y") == true)
    }

    @Test func speciesDrivenNegative() throws {
        // A constant outflux of 2 empties A (initially 1) at t = 0.5; past that A would go
        // negative. The allowance is 1000·atol + rtol·1 ≈ 1e-6, so the run stops in the
        // first step that crosses below −1e-6 after t = 0.5.
        let model = "compartment c = 1\nspecies A in c\nA = 1\nJ1: A -> ; 2\n"
        let o = try simulate(model, ["--t-end", "1", "--points", "11"])
        #expect(o.result.status == 1, "\(o.result.stderr)")
        let stderr = o.result.stderr
        #expect(stderr.contains("species 'A' became negative"), "\(stderr)")
        #expect(stderr.contains("offending variable: A"), "\(stderr)")
        #expect(stderr.contains("--allow-negative"), "\(stderr)")
        let reached = try #require(failureTime(stderr))
        #expect(reached > 0.5 && reached <= 1, "stopped at \(reached)")
        #expect(o.times.allSatisfy { $0 <= 0.5 } && o.times.contains(0.5), "\(o.times)")
        #expect(o.marker?.contains("offending variable A") == true)

        let allowed = try simulate(model, ["--t-end", "1", "--points", "11", "--allow-negative"])
        #expect(allowed.result.status == 0, "\(allowed.result.stderr)")
        #expect(allowed.times.count == 11 && allowed.marker == nil)
    }

    @Test func nonFiniteOutputColumnsAreNeverSilent() throws {
        // r is a rule, not a state: the solver never sees it; log(A − 2) is NaN throughout.
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.ant")
        try "A = 1\nA' = -A\nr := log(A - 2)\n".write(to: model, atomically: true, encoding: .utf8)
        let r = try CLI.run(["simulate", model.path, "--t-end", "1", "--points", "3", "--select", "A,r"])
        #expect(r.status == 0)
        let rows = r.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 3 && rows.allSatisfy { $0.hasSuffix(",nan") }, "\(r.stdout)")
        #expect(!r.stdout.contains("-nan"))
        #expect(r.stderr.contains("warning: column 'r' is NaN from t = 0.0 (3 of 3 rows)"), "\(r.stderr)")
        #expect(!r.stderr.contains("column 'A'"))
    }

    @Test func theDenseSolverRefusesASystemTooLargeForIt() throws {
        let n = 5001  // LinearSolverChoice.maximumDenseStates + 1
        let model = "compartment c = 1\n" + (0..<n).map { "species S\($0) in c; S\($0) = 1" }.joined(separator: "\n") + "\n"
        let o = try simulate(model, ["--t-end", "1", "--points", "2", "--linear-solver", "dense"])
        #expect(o.result.status == 1, "\(o.result.stderr)")
        #expect(o.result.stderr.contains("too many states for the dense solver"), "\(o.result.stderr)")
        #expect(o.result.stderr.contains("5001 states need 190 MB as a dense matrix; use --linear-solver klu"), "\(o.result.stderr)")
        #expect(o.times == [0] && o.marker?.hasPrefix("# partial: simulation failed at t = 0.0") == true)
    }

    @Test func aBadFaultSpecificationIsRefusedLoudly() throws {
        let o = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1"], environment: ["KINAPSE_INJECT_FAULT": "explode@1"])
        #expect(o.status != 0 && o.status != 1)
        #expect(o.stderr.contains("KINAPSE_INJECT_FAULT='explode@1'"), "\(o.stderr)")
    }

    /// The `t = …` of "simulation failed at t = …:".
    func failureTime(_ stderr: String) -> Double? {
        guard let range = stderr.range(of: "simulation failed at t = ") else { return nil }
        let rest = stderr[range.upperBound...]
        return Double(rest.prefix { $0 != ":" && $0 != " " && $0 != "\n" })
    }
}
