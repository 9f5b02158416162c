import Testing
import SourceDiagnostics
import ModelCompiler
import PathwayTestSupport

/// Semantic errors found by the compiler: each must name the problem and point at the
/// right line and column, and none may crash.
struct SemanticCase: CustomStringConvertible, Sendable {
    let name: String
    let source: String
    let message: String
    let line: Int
    let column: Int
    var hint: String? = nil
    var description: String { name }
}

let semanticCases: [SemanticCase] = [
    SemanticCase(name: "parameter without a value", source: "A = 1\nJ1: A -> ; k2*A", message: "parameter 'k2' has no value", line: 2, column: 12),
    SemanticCase(name: "typo of a parameter", source: "kcat = 2; A = 1\nJ1: A -> ; kact*A", message: "parameter 'kact' has no value", line: 2, column: 12, hint: "did you mean 'kcat'?"),
    SemanticCase(name: "cyclic assignment rules", source: "a := b + 1\nb := 2*a", message: "cyclic definition: a → b → a", line: 1, column: 3),
    SemanticCase(name: "rate rule on a reacting species", source: "A = 1; B = 0\nJ1: A -> B; A\nB' = 1", message: "species 'B' has a rate rule and also takes part in reaction 'J1'", line: 3, column: 2),
    SemanticCase(name: "user function with too few arguments", source: "function f(x, y)\n  x*y\nend\nA = 1\nJ1: A -> ; f(A)", message: "function 'f' takes 2 arguments but was given 1", line: 5, column: 12),
    SemanticCase(name: "built-in with too many arguments", source: "A = 1\nJ1: A -> ; exp(A, 2)", message: "'exp' takes 1 argument but was given 2", line: 2, column: 12),
    SemanticCase(name: "unknown function", source: "A = 1\nJ1: A -> ; expp(A)", message: "unknown function 'expp'", line: 2, column: 12, hint: "did you mean 'exp'?"),
    SemanticCase(name: "division by a literal zero", source: "A = 1\nJ1: A -> ; A/0", message: "division by zero", line: 2, column: 12),
    SemanticCase(name: "event assigns a rule variable", source: "A = 1\nB := 2*A\nE1: at (time > 1): B = 3", message: "an event cannot assign 'B': it is defined by an assignment rule", line: 3, column: 20),
    SemanticCase(name: "recursive function", source: "function f(x)\n  f(x) + 1\nend\nA = 1\nJ1: A -> ; f(A)", message: "function 'f' calls itself", line: 2, column: 3),
    SemanticCase(name: "delay interval that changes", source: "A = 1\nJ1: A -> ; delay(A, A)", message: "unsupported: a delay interval that changes during the run", line: 2, column: 21),
    SemanticCase(name: "negative delay interval", source: "A = 1\nJ1: A -> ; delay(A, -1)", message: "the delay interval must be a non-negative number", line: 2, column: 12),
    SemanticCase(name: "rate rule without initial value", source: "x' = 1", message: "has no value", line: 1, column: 1),
]

@Suite struct CompilerDiagnosticsTests {
    @Test(arguments: semanticCases)
    func reportsProblemAtItsPlace(_ c: SemanticCase) throws {
        let error = #expect(throws: DiagnosticsError.self) { try TestModels.compile(c.source) }
        guard let d = error?.diagnostics.first else { return }
        #expect(d.message.contains(c.message), "got: \(d.message)")
        #expect(d.range?.startLocation.line == c.line, "got \(String(describing: d.range?.startLocation)) for \(d.message)")
        #expect(d.range?.startLocation.column == c.column, "got \(String(describing: d.range?.startLocation)) for \(d.message)")
        if let hint = c.hint { #expect(d.hints.contains(hint), "hints: \(d.hints)") }
        // The rendered form carries file:line:column and a caret.
        let rendered = DiagnosticRenderer().render(d)
        #expect(rendered.hasPrefix("test.ant:\(c.line):"))
        #expect(rendered.contains("^"))
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let error = #expect(throws: DiagnosticsError.self) {
            try TestModels.compile("A = 1\nJ1: A -> ; k1*A\nJ2: A -> ; k2*A")
        }
        #expect(error?.diagnostics.count == 2)
    }
}
