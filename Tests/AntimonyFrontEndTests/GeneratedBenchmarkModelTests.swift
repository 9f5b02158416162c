import Foundation
import Testing
import PathwayModel
import PathwayTestSupport
import AntimonyFrontEnd

/// The TBS benchmark stands on three copies of one pathway: `Pathways/no_cgmp_pkg.ant` (the
/// source), `Benchmarks/models/tbs_no_cgmp.ant` (written from it by
/// `Benchmarks/make_tbs_model.py`) and the hand-written C baseline
/// `Benchmarks/c-baseline/tbs_no_cgmp.c`. `make bench` compares their trajectories, so a constant
/// changed in the source and not carried over makes the benchmark compare two different models
/// (K_nNOS_Ca stayed 0.3 in both copies for a session after the pathway took 0.34). These tests
/// see that without running the benchmark.
@Suite struct GeneratedBenchmarkModelTests {
    static func load(_ relative: String) throws -> Pathway {
        try AntimonyLoader.load(path: TestModels.repositoryRoot.appendingPathComponent(relative).path)
    }

    /// The number an initial value or parameter is written as, if it is a literal.
    static func literal(_ expression: PathwayModel.Expression?) -> Double? {
        switch expression {
        case .number(let value)?: value
        case .unary(.negate, .number(let value))?: -value
        default: nil
        }
    }

    /// Parameters and species initial values written as numbers, by id.
    static func constants(of pathway: Pathway) -> [String: Double] {
        var constants: [String: Double] = [:]
        for parameter in pathway.parameters { constants[parameter.id] = literal(parameter.value) }
        for species in pathway.species { constants[species.id] = literal(species.initialValue) }
        return constants
    }

    /// Every constant of the source pathway is in the benchmark model with the same value (the
    /// generator copies them as written; the benchmark replaces only the stimulus).
    @Test func benchmarkModelCarriesTheDefaultPathwaysConstants() throws {
        let source = Self.constants(of: try Self.load("Pathways/no_cgmp_pkg.ant"))
        let benchmark = Self.constants(of: try Self.load("Benchmarks/models/tbs_no_cgmp.ant"))
        #expect(source.count >= 40, "only \(source.count) numeric constants read from the source")
        let shared = source.keys.filter { benchmark[$0] != nil }
        #expect(shared.count >= source.count - 2, "the benchmark lacks \(source.keys.filter { benchmark[$0] == nil }.sorted())")
        for id in shared.sorted() {
            #expect(benchmark[id] == source[id], "\(id): benchmark \(benchmark[id]!), Pathways/no_cgmp_pkg.ant \(source[id]!); rerun Benchmarks/make_tbs_model.py")
        }
    }

    /// The C baseline's parameters (`static const double NAME = VALUE;`) and initial state
    /// (`VALUE, /* NAME */` in `y_initial`) equal the benchmark model's, number for number.
    @Test func cBaselineCarriesTheBenchmarkModelsConstants() throws {
        let benchmark = Self.constants(of: try Self.load("Benchmarks/models/tbs_no_cgmp.ant"))
        let c = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Benchmarks/c-baseline/tbs_no_cgmp.c"), encoding: .utf8)
        let parameter = #/static const double (\w+) = ([-+0-9.eE]+);/#
        let initial = #/\n\s*([-+0-9.eE]+),?\s*/\* (\w+) \*/#
        var read: [(String, Double)] = c.matches(of: parameter).map { (String($0.1), Double(String($0.2))!) }
        read += c.matches(of: initial).map { (String($0.2), Double(String($0.1))!) }
        let compared = read.filter { benchmark[$0.0] != nil }
        #expect(compared.count >= 40, "only \(compared.count) constants of the C baseline found in the benchmark model")
        for (id, value) in compared {
            #expect(value == benchmark[id], "\(id): C baseline \(value), Benchmarks/models/tbs_no_cgmp.ant \(benchmark[id]!)")
        }
    }
}
