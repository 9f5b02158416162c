import Testing
import SourceDiagnostics
import PathwayModel
@testable import AntimonyFrontEnd

/// Well-formed inputs: each construct of the subset and the Pathway it produces.
struct AntimonyLoaderTests {
    @Test func reactionsSpeciesAndDefaultCompartment() throws {
        let p = try #require(load("""
            // comment
            J1: A + 2 B -> C; k1*A*B   # another comment
            J2: C => ; k2*C
             -> A; v0
            /* block
               comment */ A = 1.5; B = 2*k1; k1 = .5; k2 = 1e-3; v0 = 2.5E+4
            """))
        #expect(p.name == "__main")
        #expect(p.species.map(\.id) == ["A", "B", "C"])
        #expect(p.compartments.map(\.id) == ["default_compartment"])
        #expect(p.compartments[0].size == .number(1))
        #expect(p.species.allSatisfy { $0.compartment == "default_compartment" && !$0.initialIsAmount })
        #expect(p.parameters.map(\.id) == ["k1", "k2", "v0"])
        #expect(p.parameter("k2")?.value == .number(1e-3))
        #expect(p.parameter("v0")?.value == .number(2.5e4))
        #expect(p.species("B")?.initialValue?.description == "2*k1")
        let j1 = try #require(p.reaction("J1"))
        #expect(j1.reactants.map(\.species) == ["A", "B"])
        #expect(j1.reactants.map(\.stoichiometry) == [1, 2])
        #expect(j1.products.map(\.species) == ["C"])
        #expect(j1.isReversible)
        #expect(p.reaction("J2")?.isReversible == false)
        #expect(p.reaction("J2")?.products.isEmpty == true)
        #expect(p.reaction("_J0")?.reactants.isEmpty == true)
    }

    @Test func stoichiometryForms() throws {
        let p = try #require(load("J1: 2B + 0.5 A + B -> 3C; k"))
        let j1 = try #require(p.reaction("J1"))
        #expect(j1.reactants.map(\.species) == ["B", "A"])
        #expect(j1.reactants.map(\.stoichiometry) == [3, 0.5])
        #expect(j1.products.first?.stoichiometry == 3)
    }

    @Test func automaticIdsSkipTakenNames() throws {
        let p = try #require(load("_J0 = 1\nA -> B; k\nB -> C; k\nat (time > 1): k = 2\nat (time > 2): k = 3"))
        #expect(p.reactions.map(\.id) == ["_J1", "_J2"])
        #expect(p.events.map(\.id) == ["_E0", "_E1"])
    }

    @Test func modifiersAreRateLawSpeciesOnly() throws {
        let p = try #require(load("J1: A -> B; k*A*E/(K + I)\nJ2: E -> ; kd*E\n-> I; 1"))
        #expect(p.reaction("J1")?.modifiers == ["E", "I"])
    }

    @Test func declarationsAndModifiers() throws {
        let p = try #require(load("""
            compartment cell = 2, er
            species A, B in cell
            const species F in cell
            substanceOnly species N in er
            species $X
            var k
            const k2 = 0.1
            formula f1 = 3
            J1: A + $Y -> B; k*A
            """))
        #expect(p.compartments.map(\.id) == ["default_compartment", "cell", "er"])
        #expect(p.compartment("cell")?.size == .number(2))
        #expect(p.compartment("er")?.size == nil)
        // As in Antimony's grammar, 'in' belongs to the one name before it.
        #expect(p.species("A")?.compartment == "default_compartment")
        #expect(p.species("B")?.compartment == "cell")
        #expect(p.species("F")?.isBoundary == true && p.species("F")?.isConstant == false)
        #expect(p.species("N")?.hasOnlySubstanceUnits == true && p.species("N")?.compartment == "er")
        #expect(p.species("X")?.isBoundary == true && p.species("X")?.compartment == "default_compartment")
        #expect(p.species("Y")?.isBoundary == true)
        #expect(p.species("A")?.isBoundary == false)
        #expect(p.parameter("k")?.isConstant == false)
        #expect(p.parameter("k2")?.isConstant == true)
        #expect(p.parameter("f1")?.value == .number(3))
    }

    @Test func laterAssignmentsOverrideEarlierOnes() throws {
        let p = try #require(load("k = 1\nS = 2\nk = 3\nJ1: S -> ; k*S\nS = 4*k"))
        #expect(p.parameter("k")?.value == .number(3))
        #expect(p.species("S")?.initialValue?.description == "4*k")
    }

    @Test func undeclaredNamesBecomeParametersWithoutValue() throws {
        let p = try #require(load("J1: A -> ; kdeg*A*pi"))
        let kdeg = try #require(p.parameter("kdeg"))
        #expect(kdeg.value == nil)
        #expect(kdeg.range?.startLocation == SourceDiagnostics.SourceLocation(line: 1, column: 12))
        #expect(p.parameter("pi") == nil)
    }

    @Test(arguments: [
        ("-2^2", "-2^2", true),
        ("2^3^2", "2^3^2", true),
        ("(2^3)^2", "(2^3)^2", true),
        ("a - b - c", "a - b - c", true),
        ("a - (b - c)", "a - (b - c)", true),
        ("a / b * c", "a/b*c", true),
        ("a + b*c^d", "a + b*c^d", true),
        ("!a < b", "!a < b", true),
        ("a < b && c >= d && e != f", "a < b && c >= d && e != f", true),
        ("x > 1 and y < 2 and not z", "x > 1 && y < 2 && !z", true),
        ("p or q", "p || q", true),
        ("+a", "a", true),
        ("f(a, b) + exp(-time)", "f(a, b) + exp(-time)", true),
    ])
    func precedenceAndAssociativity(source: String, rendered: String, _: Bool) throws {
        let p = try #require(load("x := \(source)"))
        #expect(p.assignmentRules.first?.expression.description == rendered)
    }

    @Test func powerBindsTighterThanUnaryMinus() throws {
        let p = try #require(load("x := -2^2"))
        guard case .unary(.negate, .binary(.power, .number(2), .number(2))) = p.assignmentRules.first?.expression else {
            Issue.record("got \(String(describing: p.assignmentRules.first?.expression))")
            return
        }
    }

    @Test func rulesAndTime() throws {
        let p = try #require(load("species S = 1\nS' = -k*S\nk := 1 + sin(time)\nk2 = 0.1"))
        #expect(p.rateRules.map(\.variable) == ["S"])
        #expect(p.assignmentRules.map(\.variable) == ["k"])
        #expect(p.parameter("k")?.isConstant == false)
        guard case .binary(.add, _, .call("sin", [.time], _)) = p.assignmentRules[0].expression else {
            Issue.record("time was not parsed as .time")
            return
        }
        #expect(p.species("S")?.initialValue == .number(1))
    }

    @Test func assignmentRuleSpeciesBecomeBoundary() throws {
        let p = try #require(load("species T\nT := A + B\nJ1: A -> B; k"))
        #expect(p.species("T")?.isBoundary == true)
    }

    @Test func userFunctions() throws {
        let p = try #require(load("""
            function hill(x, K, n)
              x^n/(K^n + x^n)
            end
            J1: -> P; vmax*hill(A, 2, 4)
            """))
        let hill = try #require(p.functions.first)
        #expect(hill.id == "hill" && hill.parameters == ["x", "K", "n"])
        #expect(hill.body.description == "x^n/(K^n + x^n)")
        guard case .binary(.multiply, .symbol("vmax", _), .call("hill", let args, _)) = p.reactions.first?.rate else {
            Issue.record("rate law: \(String(describing: p.reactions.first?.rate))")
            return
        }
        #expect(args.count == 3)
    }

    @Test func eventsWithOptionsAndDefaults() throws {
        let p = try #require(load("""
            E1: at (time > 10): S = S + 1, k = 2
            at 5 after (x > 3), priority = 2, t0 = false, persistent = false, fromTrigger = false: x = 0
            at time > 20:
                k = 3
            S = 1; x = 0; k = 1
            """))
        let e1 = try #require(p.event("E1"))
        #expect(e1.trigger.description == "time > 10")
        #expect(e1.assignments.map(\.variable) == ["S", "k"])
        #expect(e1.assignments[0].expression.description == "S + 1")
        #expect(e1.delay == nil && e1.priority == nil)
        #expect(e1.initialValue && e1.persistent && e1.useValuesFromTriggerTime)
        let e0 = try #require(p.event("_E0"))
        #expect(e0.delay == .number(5))
        #expect(e0.trigger.description == "x > 3")
        #expect(e0.priority == .number(2))
        #expect(!e0.initialValue && !e0.persistent && !e0.useValuesFromTriggerTime)
        #expect(p.event("_E1")?.assignments.first?.expression == .number(3))
        #expect(p.parameter("k")?.isConstant == false)
        #expect(p.species("S") == nil)
    }

    @Test func displayNamesAndIgnoredUnits() throws {
        let p = try #require(load("""
            unit uM = 1e-6 mole / litre
            species Ca
            Ca has uM
            Ca is "free Ca2+"
            Ca = 0.05
            """))
        #expect(p.displayNames == ["Ca": "free Ca2+"])
        #expect(p.species("Ca")?.initialValue == .number(0.05))
        #expect(p.parameters.isEmpty)
    }

    @Test func reactionRateCanBeAssignedSeparately() throws {
        let p = try #require(load("J0: S1 -> S2;\nJ0 = k*S1"))
        #expect(p.reaction("J0")?.rate.description == "k*S1")
    }

    @Test func newlinesInsideParenthesesAndContinuations() throws {
        let p = try #require(load("J1: A -> B; k*(A +\n  B) + \\\n  c\nk = 1"))
        #expect(p.reaction("J1")?.rate.description == "k*(A + B) + c")
    }

    @Test func mainModelSelection() throws {
        let marked = try #require(load("model *first()\n x = 1\nend\nmodel second()\n y = 2\nend"))
        #expect(marked.name == "first" && marked.parameters.map(\.id) == ["x"])
        let last = try #require(load("model first()\n x = 1\nend\nmodel second()\n y = 2\nend"))
        #expect(last.name == "second" && last.parameters.map(\.id) == ["y"])
    }

    @Test func submodelsFlattenWithUnderscore() throws {
        let p = try #require(load("""
            model binding(S, k)
              J0: S + E -> ES; k*S*E - kr*ES
              E = 3; kr = 0.4; k = 1
              -> E; 0
            end
            model *top()
              compartment cell = 1
              species Ca in cell
              A: binding(Ca, kon)
              B: binding(Ca, 0.5)
              A.kr = 2
              J1: A.ES -> ; kdeg*A.ES
              Ca = 1; kon = 10
            end
            """))
        #expect(p.name == "top")
        #expect(p.reactions.map(\.id) == ["A_J0", "A__J0", "B_J0", "B__J0", "J1"])
        #expect(p.reaction("A_J0")?.reactants.map(\.species) == ["Ca", "A_E"])
        #expect(p.reaction("A_J0")?.rate.description == "kon*Ca*A_E - A_kr*A_ES")
        #expect(p.reaction("J1")?.reactants.map(\.species) == ["A_ES"])
        #expect(p.parameter("A_kr")?.value == .number(2))
        #expect(p.parameter("B_kr")?.value == .number(0.4))
        #expect(p.parameter("B_k")?.value == .number(0.5))
        #expect(p.parameter("kon")?.value == .number(10))
        #expect(p.species("Ca")?.compartment == "cell")
        #expect(p.species("A_E")?.compartment == "default_compartment")
        #expect(p.species.map(\.id) == ["Ca", "A_E", "A_ES", "B_E", "B_ES"])
    }

    @Test func synonymsMergeAndKeepTheLocalName() throws {
        let p = try #require(load("""
            model side()
              J0: S + E -> ES; k*S*E
              S = 5; E = 3
            end
            model *full()
              A: side()
              B: side()
              A.S is S
              S is B.S
              A.E is B.E
            end
            """))
        #expect(p.species("S")?.initialValue == .number(5))
        #expect(p.species("A_S") == nil && p.species("B_S") == nil)
        #expect(p.reaction("B_J0")?.reactants.map(\.species) == ["S", "B_E"])
        #expect(p.reaction("A_J0")?.reactants.map(\.species) == ["S", "B_E"])
    }

    @Test func synonymOfTwoLocalNamesKeepsTheSecond() throws {
        let p = try #require(load("J1: A -> B; k*A\nA is ABA\nABA = 2"))
        #expect(p.species.map(\.id) == ["ABA", "B"])
        #expect(p.reaction("J1")?.rate.description == "k*ABA")
        #expect(p.species("ABA")?.initialValue == .number(2))
    }
}
