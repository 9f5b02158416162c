import SourceDiagnostics
import AntimonyFrontEnd
import SBMLImport
import ModelCompiler
import ConfigFiles
import InductionProtocols
import SynapseModel
import Plotting
import Fitting
import Foundation

/// One fuzz target per reader. Each takes arbitrary bytes as the text of a file and runs
/// the reader (and, for models, the compiler) over it. Bad input must end in a
/// `DiagnosticsError`, never in a crash, a hang or unbounded memory; the diagnostics are
/// rendered too, because computing carets and line excerpts is part of reading.
enum FuzzTarget: String, CaseIterable {
    case antimony, sbml, config, synapse, `protocol`, csv, fit, data

    /// A path whose directory does not exist: imports and external SBML documents named
    /// by the input resolve against it and fail as "not found" instead of reading disk.
    var inputPath: String {
        switch self {
        case .antimony: "/nonexistent-kinapse-fuzz/input.ant"
        case .sbml: "/nonexistent-kinapse-fuzz/input.xml"
        case .config, .synapse, .`protocol`: "/nonexistent-kinapse-fuzz/input.toml"
        case .csv, .data: "/nonexistent-kinapse-fuzz/input.csv"
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
            case .fit: _ = try FitProblemReader.read(file)
            case .data:
                _ = try DataReader.read(file, observables: ["A", "B_obs", "ipsc"], time: TimeConvention(scale: 60, offset: 5, unit: "min"),
                                        allowed: .span(end: 1000))
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
