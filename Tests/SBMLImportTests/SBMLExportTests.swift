import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import AntimonyFrontEnd
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

typealias Expr = PathwayModel.Expression

/// SBML export: MathML of every operator, and the round trip
/// Antimony → Pathway → SBML → Pathway simulating identically for every shipped model.
@Suite struct SBMLExportTests {
    // MARK: - MathML

    static func math(_ e: Expr, declared: Set<String> = []) -> String {
        SBMLWriter.mathML(e, declared: declared)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("<math") && $0 != "</math>" }.joined()
    }

    static let x: Expr = .symbol("x", nil), y: Expr = .symbol("y", nil)

    @Test func operators() {
        let cases: [(Expr.BinaryOperator, String)] = [
            (.add, "plus"), (.subtract, "minus"), (.multiply, "times"), (.divide, "divide"), (.power, "power"),
            (.less, "lt"), (.lessEqual, "leq"), (.greater, "gt"), (.greaterEqual, "geq"), (.equal, "eq"),
            (.notEqual, "neq"), (.and, "and"), (.or, "or"),
        ]
        for (op, element) in cases {
            #expect(Self.math(.binary(op, Self.x, Self.y)) == "<apply><\(element)/><ci> x </ci><ci> y </ci></apply>")
        }
        #expect(Self.math(.unary(.negate, Self.x)) == "<apply><minus/><ci> x </ci></apply>")
        #expect(Self.math(.unary(.not, Self.x)) == "<apply><not/><ci> x </ci></apply>")
    }

    @Test func numbers() {
        #expect(Self.math(.number(3)) == "<cn type=\"integer\"> 3 </cn>")
        #expect(Self.math(.number(-2)) == "<cn type=\"integer\"> -2 </cn>")
        #expect(Self.math(.number(0.1)) == "<cn> 0.1 </cn>")
        #expect(Self.math(.number(1e-9)) == "<cn type=\"e-notation\"> 1 <sep/> -09 </cn>")
        #expect(Self.math(.number(0.1 + 0.2)) == "<cn> 0.30000000000000004 </cn>")
        #expect(Self.math(.number(.infinity)) == "<infinity/>")
        #expect(Self.math(.number(-.infinity)) == "<apply><minus/><infinity/></apply>")
        #expect(Self.math(.number(.nan)) == "<notanumber/>")
    }

    @Test func namesAndConstants() {
        #expect(Self.math(.time) == "<csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\"> time </csymbol>")
        #expect(Self.math(.symbol("pi", nil)) == "<pi/>")
        #expect(Self.math(.symbol("exponentiale", nil)) == "<exponentiale/>")
        #expect(Self.math(.symbol("true", nil)) == "<true/>")
        #expect(Self.math(.symbol("false", nil)) == "<false/>")
        #expect(Self.math(.symbol("INF", nil)) == "<infinity/>")
        #expect(Self.math(.symbol("NaN", nil)) == "<notanumber/>")
        // A model's own `pi` is not the constant.
        #expect(Self.math(.symbol("pi", nil), declared: ["pi"]) == "<ci> pi </ci>")
        #expect(Self.math(.symbol("a<b&c", nil)) == "<ci> a&lt;b&amp;c </ci>")
    }

    @Test func functions() {
        #expect(Self.math(.call("exp", [Self.x], nil)) == "<apply><exp/><ci> x </ci></apply>")
        #expect(Self.math(.call("log", [Self.x], nil)) == "<apply><ln/><ci> x </ci></apply>")
        #expect(Self.math(.call("ln", [Self.x], nil)) == "<apply><ln/><ci> x </ci></apply>")
        #expect(Self.math(.call("log10", [Self.x], nil)) == "<apply><log/><logbase><cn type=\"integer\"> 10 </cn></logbase><ci> x </ci></apply>")
        #expect(Self.math(.call("sqrt", [Self.x], nil)) == "<apply><root/><ci> x </ci></apply>")
        #expect(Self.math(.call("ceil", [Self.x], nil)) == "<apply><ceiling/><ci> x </ci></apply>")
        #expect(Self.math(.call("asin", [Self.x], nil)) == "<apply><arcsin/><ci> x </ci></apply>")
        #expect(Self.math(.call("pow", [Self.x, Self.y], nil)) == "<apply><power/><ci> x </ci><ci> y </ci></apply>")
        #expect(Self.math(.call("max", [Self.x, Self.y, .number(1)], nil)) == "<apply><max/><ci> x </ci><ci> y </ci><cn type=\"integer\"> 1 </cn></apply>")
        #expect(Self.math(.call("piecewise", [Self.x, .binary(.less, .time, .number(1)), Self.y], nil))
                == "<piecewise><piece><ci> x </ci><apply><lt/><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\"> time </csymbol><cn type=\"integer\"> 1 </cn></apply></piece><otherwise><ci> y </ci></otherwise></piecewise>")
        #expect(Self.math(.call("hill", [Self.x], nil)) == "<apply><ci> hill </ci><ci> x </ci></apply>")
    }

    /// Every built-in the compiler knows survives export and import with the same value.
    @Test func builtinsEvaluateAlike() throws {
        let unary = ["exp", "ln", "log", "log10", "log2", "sqrt", "abs", "fabs", "floor", "ceil", "ceiling", "sin", "cos", "tan",
                     "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "tanh", "asinh", "arcsinh",
                     "acosh", "arccosh", "atanh", "arctanh", "sec", "csc", "cot", "factorial", "not"]
        var text = "model m\n  x = 0.37; y = 2.5; z = 1.7; w = 0.6\n"
        for (i, f) in unary.enumerated() {
            let arg = ["acosh", "arccosh"].contains(f) ? "z" : (f == "factorial" ? "3" : "x")
            text += "  u\(i) := \(f)(\(arg))\n"
        }
        let others = ["pow(x, y)", "min(x, y, w)", "max(x, y, w)", "piecewise(x, time < 1, y)", "piecewise(x, x > y, y, x < y)",
                      "(x < y && y >= w) || !(x == w)", "x != y", "-x^2", "pi * exponentiale", "and(x > 0, y > 0)", "xor(x > 0, y > 0)",
                      "1e-300 * 1e+300", "0.1 + 0.2", "time"]
        for (i, e) in others.enumerated() { text += "  v\(i) := \(e)\n" }
        text += "end\n"
        let original = try TestModels.pathway(text)
        let reread = try roundTrip(original)
        let a = try simulate(original, tEnd: 2), b = try simulate(reread, tEnd: 2)
        #expect(a.trajectory.columns == b.trajectory.columns)
        for (j, name) in a.trajectory.columns.enumerated() {
            for r in 0..<a.trajectory.rowCount {
                let u = a.trajectory.value(row: r, column: j), v = b.trajectory.value(row: r, column: j)
                #expect(u == v || (u.isNaN && v.isNaN) || abs(u - v) <= 1e-15 * abs(u), "\(name) row \(r): \(u) vs \(v)")
            }
        }
    }

    @Test func documentIsDeterministicAndComplete() throws {
        let text = """
        function hill(s, K, n)
          s^n / (K^n + s^n)
        end
        model m
          compartment cell = 2
          species A in cell = 1, B in cell
          B = A * 2
          species $E in cell = 0.5
          k = 0.3; v := k * hill(A, 1, 2)
          J1: A -> 2 B; v * E
          r' = -0.1 * r; r = 4
          at 0.5 after (time > 5), t0 = false, priority = 1, fromTrigger = false, persistent = false: A = A + 1
        end
        """
        let p = try TestModels.pathway(text)
        let xml = SBMLWriter.write(p)
        #expect(xml == SBMLWriter.write(p))
        for fragment in ["level=\"3\" version=\"2\"", "<functionDefinition id=\"hill\">", "<lambda>", "<bvar><ci> s </ci></bvar>",
                         "<compartment id=\"cell\" size=\"2\" constant=\"true\"/>",
                         "<initialAssignment symbol=\"B\">", "boundaryCondition=\"true\"",
                         "<speciesReference species=\"B\" stoichiometry=\"2\" constant=\"true\"/>",
                         "<modifierSpeciesReference species=\"E\"/>", "<assignmentRule variable=\"v\">", "<rateRule variable=\"r\">",
                         "useValuesFromTriggerTime=\"false\"", "<trigger initialValue=\"false\" persistent=\"false\">",
                         "<delay>", "<priority>", "<eventAssignment variable=\"A\">"] {
            #expect(xml.contains(fragment), "missing \(fragment)")
        }
        let reread = try roundTrip(p)
        #expect(reread.events.first?.initialValue == false)
        #expect(reread.events.first?.persistent == false)
        #expect(reread.events.first?.useValuesFromTriggerTime == false)
        try expectSameRuns(p, reread, tEnd: 20, label: "inline")
    }

    @Test func computedStoichiometryRoundTrips() throws {
        var p = try TestModels.pathway("""
        model m
          compartment c = 1
          species S in c = 10, P in c = 0
          n = 1
          J: S -> P; 0.1 * S
          at (time > 3): n = 2
        end
        """)
        p.reactions[0].products[0] = SpeciesReference(species: "P", stoichiometryExpression: .symbol("n", nil))
        p.parameters[0].isConstant = false
        let reread = try roundTrip(p)
        try expectSameRuns(p, reread, tEnd: 10, label: "stoichiometry")
    }

    // MARK: - Round trip of every shipped model

    func roundTrip(_ pathway: Pathway) throws -> Pathway {
        let xml = SBMLWriter.write(pathway)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.xml")
        try xml.write(to: file, atomically: true, encoding: .utf8)
        return try SBMLLoader.load(path: file.path)
    }

    func simulate(_ pathway: Pathway, tEnd: Double, points: Int? = nil) throws -> SimulationResult {
        let model = try ModelCompiler.compile(pathway)
        let request = SimulationRequest(grid: TimeGrid(end: tEnd, count: points ?? Int(tEnd) + 1), columns: nil, overrides: [],
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        return try Simulator(model: model).run(request)
    }

    @discardableResult
    func expectSameRuns(_ a: Pathway, _ b: Pathway, tEnd: Double, label: String) throws -> Double {
        let ra = try simulate(a, tEnd: tEnd), rb = try simulate(b, tEnd: tEnd)
        #expect(ra.failure == nil, "\(label): \(String(describing: ra.failure))")
        #expect(rb.failure == nil, "\(label) (re-imported): \(String(describing: rb.failure))")
        #expect(ra.trajectory.columns == rb.trajectory.columns, "\(label)")
        #expect(ra.trajectory.rowCount == rb.trajectory.rowCount, "\(label)")
        guard ra.trajectory.columns == rb.trajectory.columns, ra.trajectory.rowCount == rb.trajectory.rowCount else { return .infinity }
        let worst = largestRelativeDifference(rb.trajectory, ra.trajectory)
        #expect(worst.value <= 1e-10, "\(label): column \(worst.column) differs by \(worst.value) of its maximum")
        return worst.value
    }

    /// Adds three pulses on the first species that nothing but reactions changes, when the
    /// model has no events of its own, so event export is exercised on every model.
    static func withStimuli(_ pathway: Pathway) -> Pathway {
        guard pathway.events.isEmpty else { return pathway }
        let ruled = Set(pathway.assignmentRules.map(\.variable) + pathway.rateRules.map(\.variable))
        guard let input = pathway.species.first(where: { !$0.isConstant && !ruled.contains($0.id) }) else { return pathway }
        var amount = 0.1
        if case .number(let v)? = input.initialValue, v > 0 { amount = 0.5 * v }
        var p = pathway
        Stimuli.addPulses(to: &p, input: input.id, amount: .number(amount), at: [20, 60.5, 100.25])
        return p
    }

    static let shipped: [String] = TestModels.shippedPathways.map(\.path)

    @Test(arguments: shipped)
    func shippedModelRoundTrips(_ path: String) throws {
        let original = Self.withStimuli(try AntimonyLoader.load(path: path))
        let reread = try roundTrip(original)
        let ra = try simulate(original, tEnd: 200, points: 201), rb = try simulate(reread, tEnd: 200, points: 201)
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(ra.failure == nil, "\(name): \(String(describing: ra.failure))")
        #expect(rb.failure == nil, "\(name) (re-imported): \(String(describing: rb.failure))")
        #expect(ra.trajectory.columns == rb.trajectory.columns, "\(name)")
        #expect(ra.trajectory.rowCount == 201 && rb.trajectory.rowCount == 201, "\(name)")
        guard ra.trajectory.columns == rb.trajectory.columns, ra.trajectory.rowCount == rb.trajectory.rowCount else { return }
        let worst = largestRelativeDifference(rb.trajectory, ra.trajectory)
        print("round trip \(name): \(ra.trajectory.columns.count) columns, \(original.events.count) events, worst \(worst.column) \(worst.value)")
        #expect(worst.value <= 1e-10, "\(name): column \(worst.column) differs by \(worst.value) of its maximum")
    }
}
