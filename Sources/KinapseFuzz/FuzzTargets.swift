import SourceDiagnostics
import AntimonyFrontEnd
import SBMLImport
import ModelCompiler
import ConfigFiles
import InductionProtocols
import SynapseModel
import Plotting

/// One fuzz target per reader. Each takes arbitrary bytes as the text of a file and runs
/// the reader (and, for models, the compiler) over it. Bad input must end in a
/// `DiagnosticsError`, never in a crash, a hang or unbounded memory; the diagnostics are
/// rendered too, because computing carets and line excerpts is part of reading.
enum FuzzTarget: String, CaseIterable {
    case antimony, sbml, config, synapse, `protocol`, csv

    /// A path whose directory does not exist: imports and external SBML documents named
    /// by the input resolve against it and fail as "not found" instead of reading disk.
    var inputPath: String {
        switch self {
        case .antimony: "/nonexistent-kinapse-fuzz/input.ant"
        case .sbml: "/nonexistent-kinapse-fuzz/input.xml"
        case .config, .synapse, .`protocol`: "/nonexistent-kinapse-fuzz/input.toml"
        case .csv: "/nonexistent-kinapse-fuzz/input.csv"
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
