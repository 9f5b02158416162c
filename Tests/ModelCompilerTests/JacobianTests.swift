import Testing
import Foundation
import AntimonyFrontEnd
import ModelCompiler
import PathwayTestSupport

/// Models exercising every operation the differentiator knows.
let jacobianTestModels: [String] = [
    "A = 1; B = 2; k1 = 0.5; k2 = 0.1\nJ1: A + B -> C; k1*A*B - k2*C\nC = 0.3",
    "S = 2; P = 0.1; Vm = 3; Km = 0.7\nJ1: S -> P; Vm*S/(Km + S)",
    "x = 0.4; n = 2.5; K = 0.3\nfunction hill(v, K, n)\n  v^n/(K^n + v^n)\nend\nJ1: -> x; hill(x, K, n) - 0.2*x",
    "a = 0.5; b = 1.2\nJ1: a -> b; exp(-a)*b + sqrt(b) - ln(a + 1)*log10(b + 2)\nJ2: b -> a; sin(a)*cos(b) + tan(a/4) + tanh(b) + abs(a - b)",
    "a = 0.5; b = 1.2\nJ1: a -> b; piecewise(a*b, a > 0.3, a) + min(a, b) + max(a*a, b) + pow(b, a)",
    "compartment c1 = 2; compartment c2 = 0.5\nspecies A in c1, B in c2\nA = 1; B = 3; k = 0.7\nJ1: A -> B; k*A*c1 - 0.1*B*c2",
    "A = 1; B = 2; k = 0.4\nr := k*A^2/(1 + B)\nJ1: A -> B; r*c\nc := B/(A + 1)",
    "x = 1; y = 0.5\nx' = -x*y + y^3\ny' = x - y/(1 + x^2)",
]

@Suite struct JacobianTests {
    /// Random positive states, seeded so failures reproduce.
    func samples(_ n: Int, seed: UInt64) -> [[Double]] {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<5).map { _ in (0..<n).map { _ in 0.1 + 2 * next() } }
    }

    @Test(arguments: jacobianTestModels.indices)
    func symbolicJacobianMatchesCentralDifferences(_ index: Int) throws {
        let model = ModelInstance(try TestModels.compile(jacobianTestModels[index]))
        _ = model.initialState()  // puts the parameter values into the instance's memory
        for y in samples(model.stateCount, seed: UInt64(index + 1)) {
            let check = checkJacobian(model, at: y, time: 0.3)
            // Central differences with h ≈ 1e-6·|y| are accurate to ~1e-8 here.
            #expect(check.maxRelativeError < 1e-6, "model \(index): error \(check.maxRelativeError) at \(String(describing: check.worst))")
        }
    }

    @Test func shippedPathwaysHaveCorrectJacobians() throws {
        let files = TestModels.shippedPathways
        #expect(!files.isEmpty, "no shipped pathways found under \(TestModels.repositoryRoot.path)")
        for url in files {
            let model = ModelInstance(try ModelCompiler.compile(AntimonyLoader.load(path: url.path)))
            var y = model.initialState()
            // Perturb away from the initial state so zero concentrations do not hide terms.
            for i in y.indices { y[i] = abs(y[i]) + 0.05 * Double(i % 7 + 1) }
            let check = checkJacobian(model, at: y, time: 1)
            #expect(check.maxRelativeError < 1e-6, "\(url.lastPathComponent): \(check.maxRelativeError) at \(String(describing: check.worst))")
        }
    }
}

@Suite struct EvaluatorTests {
    /// The bytecode programs must compute exactly what the reference tree-walker computes.
    @Test(arguments: jacobianTestModels.indices)
    func compiledRHSEqualsTreeInterpreter(_ index: Int) throws {
        let model = ModelInstance(try TestModels.compile(jacobianTestModels[index]))
        var y = model.initialState()
        for i in y.indices { y[i] += 0.17 * Double(i + 1) }
        var compiled = [Double](repeating: 0, count: model.stateCount)
        y.withUnsafeBufferPointer { s in
            compiled.withUnsafeMutableBufferPointer { model.evaluateRHS(time: 0.4, state: s.baseAddress!, derivative: $0.baseAddress!) }
        }
        // Reference: update memory, then walk the symbolic trees.
        y.withUnsafeBufferPointer { model.update(time: 0.4, state: $0.baseAddress!) }
        for v in model.assignedValues {
            let walked = model.evaluate(v.expression)
            #expect(walked.bitPattern == model.value(ofSlot: v.slot).bitPattern || (walked.isNaN && model.value(ofSlot: v.slot).isNaN),
                    "\(v.name): \(walked) vs \(model.value(ofSlot: v.slot))")
        }
        for (i, e) in model.derivativeExpressions.enumerated() {
            #expect(model.evaluate(e).bitPattern == compiled[i].bitPattern, "d\(model.states[i].name)/dt")
        }
        // And the Jacobian programs against their symbolic entries.
        var jac = [Double](repeating: 0, count: model.stateCount * model.stateCount)
        y.withUnsafeBufferPointer { s in jac.withUnsafeMutableBufferPointer { model.evaluateJacobian(time: 0.4, state: s.baseAddress!, jacobian: $0.baseAddress!) } }
        y.withUnsafeBufferPointer { model.update(time: 0.4, state: $0.baseAddress!) }
        for (slot, e) in model.jacobianIntermediates { model.setValue(model.evaluate(e), slot: slot) }
        for (i, j, e) in model.jacobianExpressions {
            #expect(model.evaluate(e).bitPattern == jac[i + j * model.stateCount].bitPattern, "J[\(i),\(j)]")
        }
    }

    @Test func constantsFoldAndIdentitiesVanish() {
        let x = Symbolic.slot(3)
        #expect(x * .constant(1) == x)
        #expect(x * .constant(0) == .constant(0))
        #expect(x + .constant(0) == x)
        #expect(Symbolic.constant(2) * .constant(3) == .constant(6))
        #expect(x - x == .constant(0))
        #expect(Symbolic.make(.power, x, .constant(1)) == x)
    }

    @Test func commonSubexpressionsAreComputedOnce() throws {
        let model = try TestModels.compile("A = 1; k = 2\nJ1: A -> ; exp(k*A) + exp(k*A)*A")
        // exp(k*A) appears twice but is one instruction: mul, exp, mul, add (+ concentration + stoichiometry).
        let program = ODEListing(model: model).text()
        #expect(program.contains("exp(k*A)"))
        #expect(model.summary.rhsInstructions <= 7, "\(model.summary.rhsInstructions) instructions")
    }
}

/// A power whose exponent is a parameter, at a base of exactly zero (a Hill term G^n before any G
/// is made): its derivatives are the limits, n·G^(n−1) = 0 and G^n·ln G → 0, not 0/0.
@Suite struct ZeroBasePowerTests {
    static let model = "G = 0; n = 4; k = 0.5\nJ1: -> G; 1 + G^n - k*G"

    @Test func jacobianAtAZeroBaseIsFinite() throws {
        let instance = ModelInstance(try TestModels.compile(Self.model))
        var state = instance.initialState()
        #expect(state == [0])
        var jacobian = [Double.nan]
        state.withUnsafeMutableBufferPointer { y in
            jacobian.withUnsafeMutableBufferPointer { instance.evaluateJacobian(time: 0, state: y.baseAddress!, jacobian: $0.baseAddress!) }
        }
        // ∂/∂G (1 + G^4 − 0.5·G) = 4·G³ − 0.5 = −0.5 at G = 0, exactly.
        #expect(jacobian == [-0.5])
    }

    @Test func sensitivityToTheExponentAtAZeroBaseIsFinite() throws {
        let instance = ModelInstance(try TestModels.compile(Self.model).differentiated(with: ["n"]))
        var state = instance.initialState()
        // Seeds σ_n = 1, so the ∂f/∂n term is evaluated (a zero σ skips its column).
        #expect(instance.initialSensitivities(overridden: [], supplied: [:]) == [0])
        var sensitivity = [0.0], derivative = [Double.nan]
        sensitivity.withUnsafeMutableBufferPointer { s in
            derivative.withUnsafeMutableBufferPointer { d in
                state.withUnsafeMutableBufferPointer { y in
                    let inputs = [s.baseAddress!], outputs = [d.baseAddress!]
                    inputs.withUnsafeBufferPointer { i in
                        outputs.withUnsafeBufferPointer { instance.evaluateSensitivityRHS(time: 0, state: y.baseAddress!, sensitivities: i.baseAddress!, derivatives: $0.baseAddress!) }
                    }
                }
            }
        }
        // dS/dt = (4·G³ − 0.5)·S + G⁴·ln G, and both terms are 0 at G = 0, S = 0 (the limit).
        #expect(derivative == [0])
    }
}

@Suite struct LevelThreeVersionTwoFunctionTests {
    /// quotient truncates toward zero and rem keeps the dividend's sign (C's fmod);
    /// implies is ¬a ∨ b.
    @Test(arguments: [(7.0, 2.0), (-7.0, 2.0), (7.0, -2.0), (-7.0, -2.0), (6.5, 0.25)])
    func quotientAndRemainder(_ pair: (Double, Double)) throws {
        let (a, b) = pair
        let r = try TestModels.simulate("a = \(a); b = \(b)\nq := quotient(a, b)\nr := rem(a, b)\n",
                                        tEnd: 1, points: 2, columns: ["q", "r"])
        #expect(r.trajectory.value(row: 0, column: 0) == (a / b).rounded(.towardZero))
        #expect(r.trajectory.value(row: 0, column: 1) == fmod(a, b))
    }

    @Test func implication() throws {
        let r = try TestModels.simulate("p = 1; q = 0\ni1 := implies(p, q)\ni2 := implies(q, p)\ni3 := implies(q, q)\n",
                                        tEnd: 1, points: 2, columns: ["i1", "i2", "i3"])
        #expect((0..<3).map { r.trajectory.value(row: 0, column: $0) } == [0, 1, 1])
    }
}
