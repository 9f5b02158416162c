import SourceDiagnostics
import AntimonyFrontEnd
import SBMLImport
import ModelCompiler
import ConfigFiles
import InductionProtocols
import SynapseModel
import Plotting
import Fitting
import Recordings
import Foundation

/// One fuzz target per reader. Each takes arbitrary bytes as the text of a file and runs
/// the reader (and, for models, the compiler) over it. Bad input must end in a
/// `DiagnosticsError`, never in a crash, a hang or unbounded memory; the diagnostics are
/// rendered too, because computing carets and line excerpts is part of reading.
enum FuzzTarget: String, CaseIterable {
    case antimony, sbml, config, synapse, `protocol`, csv, fit, data, abf, nwb

    /// A path whose directory does not exist: imports and external SBML documents named
    /// by the input resolve against it and fail as "not found" instead of reading disk.
    var inputPath: String {
        switch self {
        case .antimony: "/nonexistent-kinapse-fuzz/input.ant"
        case .sbml: "/nonexistent-kinapse-fuzz/input.xml"
        case .config, .synapse, .`protocol`: "/nonexistent-kinapse-fuzz/input.toml"
        case .csv, .data: "/nonexistent-kinapse-fuzz/input.csv"
        case .abf: "/nonexistent-kinapse-fuzz/input.abf"
        case .nwb: "/nonexistent-kinapse-fuzz/input.nwb"
        // A fit problem names its model and data files: they resolve against
        // KINAPSE_FUZZ_FIT_DIR, where `make fuzz` puts a small model and data set, so
        // that mutations reach the checks made against the model's names.
        case .fit: (ProcessInfo.processInfo.environment["KINAPSE_FUZZ_FIT_DIR"] ?? "/nonexistent-kinapse-fuzz") + "/problem.toml"
        }
    }

    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let file = SourceFile(path: inputPath, text: String(decoding: bytes, as: UTF8.self))
        do {
            switch self {
            case .antimony: _ = try ModelCompiler.compile(AntimonyLoader.load(source: file))
            case .sbml: _ = try ModelCompiler.compile(SBMLLoader.load(source: file))
            case .config: _ = try ConfigReader.read(file)
            case .synapse: _ = try SynapseReader.read(file)
            case .`protocol`: _ = try ProtocolReader.read(file)
            case .csv: return runCSV(file.text)
            case .abf, .nwb: return runRecording(bytes)
            case .fit: _ = try FitProblemReader.read(file)
            case .data:
                _ = try DataReader.read(file, observables: ["A", "B_obs", "ipsc"], time: TimeConvention(scale: 60, offset: 5, unit: "min"),
                                        allowed: .span(end: 1000))
            }
        } catch {
            _ = DiagnosticRenderer(colored: true).render(error.diagnostics)
        }
    }

    /// Recordings are binary: the reader, then every sample and command it promises
    /// (sweeps up to a million samples, so that a header claiming more is read, not allocated).
    private func runRecording(_ bytes: UnsafeBufferPointer<UInt8>) {
        do {
            let recording = self == .abf ? try ABFReader.read(Data(bytes), path: inputPath)
                                         : try NWBReader.read(image: Array(bytes), path: inputPath)
            for s in recording.sweeps.indices where recording.sweeps[s].sampleCount <= 1 << 20 {
                for c in recording.channels.indices {
                    _ = try recording.samples(channel: c, sweep: s)
                    _ = try recording.command(channel: c, sweep: s)
                }
            }
        } catch {
            _ = DiagnosticRenderer(colored: true).render(error.diagnostics)
        }
    }

    /// `kinapse plot`: a results CSV in, a figure out.
    private func runCSV(_ text: String) {
        do {
            let table = try CSVTable(parsing: text, path: inputPath)
            _ = try SVGPlot.figure(for: table)
        } catch {
            _ = "\(error)"
        }
    }
}
