import Testing
import Foundation
import SyntheticRecordings
import PathwayTestSupport

/// `kinapse readouts` as a user runs it: bad recordings and bad requests exit with status 2
/// and one clear message; nothing is written then.
@Suite struct ReadoutsCommandTests {
    static let kinapse = TestModels.kinapseExecutable.path

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kinapse)
        process.arguments = arguments
        process.currentDirectoryURL = TestModels.repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-readouts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: kinapse)))
    func theExampleGivesReadoutsSweepsAndAFigure() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(["readouts", "Fixtures/recordings/example_ipscs.abf", "--stim-times", "100ms", "--pair", "50ms",
                              "--baseline-minutes", "5", "--out", dir.appendingPathComponent("r.csv").path,
                              "--sweeps", dir.appendingPathComponent("s.csv").path, "--plot", dir.appendingPathComponent("r.svg").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("baseline: 15 sweeps"))
        let csv = try String(contentsOf: dir.appendingPathComponent("r.csv"), encoding: .utf8)
        #expect(csv.contains("\ntime,ipsc,ipsc_sd,ppr,ppr_sd\n"))
        #expect(try String(contentsOf: dir.appendingPathComponent("r.svg"), encoding: .utf8).contains("<svg"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: kinapse)), arguments: [
        ("truncated", "truncated"), ("magic", "neither ABF"), ("version", "ABF version 3.6.0.0 is not supported"),
        ("no_icephys", "no intracellular recordings"), ("channel", "has no channel 'Vm'"), ("channel5", "has no channel '5'"),
        ("missing", "cannot find"),
    ])
    func badRecordingsExitWithStatus2(_ kind: String, _ expected: String) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = ABFWriter.abf2(SyntheticRecording(.short))
        var file = dir.appendingPathComponent("bad.abf")
        var extra: [String] = []
        switch kind {
        case "truncated": try good.prefix(good.count / 2).write(to: file)
        case "magic": try (Data("XYZW".utf8) + good.dropFirst(4)).write(to: file)
        case "version":
            var d = good
            d[7] = 3
            try d.write(to: file)
        case "no_icephys": file = TestModels.repositoryRoot.appendingPathComponent("Fixtures/recordings/no_icephys.nwb")
        case "channel": try good.write(to: file); extra = ["--channel", "Vm"]
        case "channel5": try good.write(to: file); extra = ["--channel", "5"]
        default: file = dir.appendingPathComponent("absent.abf")
        }
        let out = dir.appendingPathComponent("r.csv")
        let r = try Self.run(["readouts", file.path, "--stim-times", "0.1,0.15", "--out", out.path] + extra)
        #expect(r.status == 2, "\(kind): \(r.stderr)")
        #expect(r.stderr.contains(expected), "\(kind): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
