import Testing
import Foundation
import PathwayTestSupport

@Suite struct StochasticCommandTests {
    static let model = """
        model iso()
          compartment c = 1; species A in c = 0.05; species B in c = 0;
          J: A -> B; k1*A - k2*B; k1 = 1; k2 = 0.5;
        end
        """

    /// The summary adds trials in index order and each trial has its own stream, so the
    /// bytes do not depend on the number of threads; another seed changes them.
    @Test func sameSeedSameFileWhateverTheJobs() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("iso.ant")
        try Self.model.write(to: file, atomically: true, encoding: .utf8)
        func run(_ extra: [String]) throws -> String {
            let r = try CLI.run(["simulate", file.path, "--method", "ssa", "--t-end", "1", "--points", "3", "--trials", "50",
                                 "--volume", "1"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }
        let one = try run(["--seed", "4", "--jobs", "1"])
        #expect(one.hasPrefix("time,A_mean,A_sd,B_mean,B_sd\n"))
        #expect(try run(["--seed", "4", "--jobs", "2"]) == one)
        #expect(try run(["--seed", "5", "--jobs", "2"]) != one)
        // 0.05 µM in 1 fL is 30.1 molecules, so every row's A and B add up to about that.
        let last = one.split(separator: "\n").last!.split(separator: ",").compactMap { Double($0) }
        #expect(abs((last[1] + last[3]) * 602.214076 - 30.11) < 1)
    }

    /// The hybrid on a pathway: with every reaction forced to be a jump (--fast-firings
    /// beyond reach) the same seed gives the same file whatever the jobs, A + B keeps the
    /// initial count, and --stats names the partition.
    @Test func hybridSameSeedSameFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("iso.ant")
        try Self.model.write(to: file, atomically: true, encoding: .utf8)
        func run(_ extra: [String]) throws -> (String, String) {
            let r = try CLI.run(["simulate", file.path, "--method", "hybrid", "--t-end", "1", "--points", "3", "--trials", "20",
                                 "--volume", "1", "--seed", "4", "--fast-firings", "1e12", "--stats"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return (r.stdout, r.stderr)
        }
        let (one, stats) = try run(["--jobs", "1"])
        #expect(stats.contains("hybrid: 2 channels as jumps, reactions deterministic: none\n"), "\(stats)")
        #expect(try run(["--jobs", "2"]).0 == one)
        let last = one.split(separator: "\n").last!.split(separator: ",").compactMap { Double($0) }
        // 0.05 µM in 1 fL is 30.11 molecules: each trial starts with 30 or 31 and its jumps conserve A + B.
        #expect(abs((last[1] + last[3]) * 602.214076 - 30.11) < 1, "\(last)")
    }

    /// A compartment's volume by name: `--volume c=2` on a compartment of size 2 is the
    /// scale of `--volume 1` (the same molecules, so the same file for a seed); a second
    /// compartment whose volume breaks the model's size ratio, or an unknown name, is refused.
    @Test func volumePerCompartment() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("two.ant")
        try """
            model two()
              compartment c = 2; compartment d = 0.5; species A in c = 0.05; species B in d = 0;
              J: A -> B; k1*A*c;
              k1 = 1;
            end
            """.write(to: file, atomically: true, encoding: .utf8)
        func run(_ volume: String) throws -> CommandResult {
            try CLI.run(["simulate", file.path, "--method", "ssa", "--t-end", "1", "--points", "3", "--trials", "20", "--seed", "2", "--volume", volume])
        }
        let plain = try run("1")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try run("c=2").stdout == plain.stdout)
        #expect(try run("c=2,d=0.5").stdout == plain.stdout)
        let ratio = try run("c=2,d=2")
        #expect(ratio.status != 0 && ratio.stderr.contains("ratio differs from the ratio of their sizes"), "\(ratio.stderr)")
        let unknown = try run("cc=2")
        #expect(unknown.status != 0 && unknown.stderr.contains("'cc', which is not a compartment"), "\(unknown.stderr)")
    }

    @Test func refusesWhatItCannotHonour() throws {
        let synapse = try CLI.run(["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs", "--method", "ssa"])
        #expect(synapse.status == 2 && synapse.stderr.contains("need --method hybrid"), "\(synapse.stderr)")
        let uncounted = try CLI.run(["simulate", "Pathways/synapses/entorhinal_stellate_rig.toml", "--protocol", "haas_pairing", "--method", "hybrid"])
        #expect(uncounted.status == 2 && uncounted.stderr.contains("needs --discrete VAR"), "\(uncounted.stderr)")
        let units = try CLI.run(["simulate", "Pathways/synapses/entorhinal_stellate_rig.toml", "--protocol", "haas_pairing", "--method", "hybrid",
                                 "--discrete", "plast_N=-1"])
        #expect(units.status == 2 && units.stderr.contains("UNITS must be a positive number"), "\(units.stderr)")
        let volume = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--volume", "0.1"])
        #expect(volume.status == 2 && volume.stderr.contains("--volume applies to --method ssa, tau-leap or hybrid"), "\(volume.stderr)")
        let tolerance = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--method", "ssa", "--rtol", "1e-8"])
        #expect(tolerance.status == 2 && tolerance.stderr.contains("--rtol and --atol apply to --method ode or hybrid"), "\(tolerance.stderr)")
        let discrete = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--method", "hybrid", "--discrete", "Ca"])
        #expect(discrete.status == 2 && discrete.stderr.contains("--discrete applies to synapses"), "\(discrete.stderr)")
        let compartment = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--method", "ssa", "--set", "cell=2"])
        #expect(compartment.status == 2 && compartment.stderr.contains("compartment sizes are fixed"), "\(compartment.stderr)")
    }
}
