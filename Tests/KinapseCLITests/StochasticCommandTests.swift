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

    @Test func refusesWhatItCannotHonour() throws {
        let synapse = try CLI.run(["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs", "--method", "ssa"])
        #expect(synapse.status == 2 && synapse.stderr.contains("applies to pathways"), "\(synapse.stderr)")
        let volume = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--volume", "0.1"])
        #expect(volume.status == 2 && volume.stderr.contains("--volume applies to --method ssa or tau-leap"), "\(volume.stderr)")
        let compartment = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1", "--method", "ssa", "--set", "cell=2"])
        #expect(compartment.status == 2 && compartment.stderr.contains("compartment sizes are fixed"), "\(compartment.stderr)")
    }
}
