import Testing
import Foundation
import SourceDiagnostics
import SBMLImport
import AntimonyFrontEnd
import PathwayTestSupport

/// Small models with one deliberate unit error each: the checker must report exactly one
/// inconsistency, at the element marked `<!--here-->` in the model text, and a model with
/// the error mended must check clean.
@Suite struct UnitsCheckTests {
    // MARK: - Building models

    static let units = """
        <listOfUnitDefinitions>
          <unitDefinition id="per_second"><listOfUnits><unit kind="second" exponent="-1" scale="0" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="per_ms"><listOfUnits><unit kind="second" exponent="-1" scale="-3" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="ms"><listOfUnits><unit kind="second" exponent="1" scale="-3" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="molar"><listOfUnits>
            <unit kind="mole" exponent="1" scale="0" multiplier="1"/><unit kind="litre" exponent="-1" scale="0" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="uM"><listOfUnits>
            <unit kind="mole" exponent="1" scale="-6" multiplier="1"/><unit kind="litre" exponent="-1" scale="0" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="nM"><listOfUnits>
            <unit kind="mole" exponent="1" scale="-9" multiplier="1"/><unit kind="litre" exponent="-1" scale="0" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="mol_per_s"><listOfUnits>
            <unit kind="mole" exponent="1" scale="0" multiplier="1"/><unit kind="second" exponent="-1" scale="0" multiplier="1"/></listOfUnits></unitDefinition>
          <unitDefinition id="mV"><listOfUnits><unit kind="volt" exponent="1" scale="-3" multiplier="1"/></listOfUnits></unitDefinition>
        </listOfUnitDefinitions>
    """

    /// Compartment `V` (L), species `S`, `P` (mol/L) and `A` (mol, substance only),
    /// parameters `k` (1/s), `kms` (1/ms), `x` (mol), `n` (dimensionless), `Km` (M),
    /// `Kd` (nM), `Su` (µM), `tau` (s), `v` (mV).
    static func model(_ body: String, level: Int = 3) -> String {
        let attributes = level == 3 ? #" timeUnits="second" substanceUnits="mole" extentUnits="mole" volumeUnits="litre""# : ""
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level\(level)/version\(level == 3 ? 2 : 4)/core" level="\(level)" version="\(level == 3 ? 2 : 4)">
          <model id="m"\(attributes)>
        \(units)
            <listOfCompartments><compartment id="V" size="1" spatialDimensions="3" constant="false"/></listOfCompartments>
            <listOfSpecies>
              <species id="S" compartment="V" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
              <species id="P" compartment="V" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
              <species id="A" compartment="V" initialAmount="1" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>
            </listOfSpecies>
            <listOfParameters>
              <parameter id="k" value="1" units="per_second" constant="true"/>
              <parameter id="kms" value="1" units="per_ms" constant="true"/>
              <parameter id="x" value="1" units="mole" constant="false"/>
              <parameter id="n" value="2" units="dimensionless" constant="true"/>
              <parameter id="Km" value="1" units="molar" constant="true"/>
              <parameter id="Kd" value="1" units="nM" constant="true"/>
              <parameter id="Su" value="1" units="uM" constant="false"/>
              <parameter id="tau" value="1" units="second" constant="true"/>
              <parameter id="v" value="1" units="mV" constant="false"/>
            </listOfParameters>
        \(body)
          </model>
        </sbml>
        """
    }

    static func math(_ content: String) -> String { #"<math xmlns="http://www.w3.org/1998/Math/MathML">\#(content)</math>"# }
    static func ci(_ name: String) -> String { "<ci>\(name)</ci>" }
    static func apply(_ op: String, _ args: String...) -> String { "<apply><\(op)/>\(args.joined())</apply>" }
    static let here = "<!--here-->"

    static func reaction(_ rate: String, locals: String = "", marked: Bool = false) -> String {
        """
        <listOfReactions>
          <reaction id="J" reversible="false">
            <listOfReactants><speciesReference id="sr" species="S" stoichiometry="1" constant="true"/></listOfReactants>
            <listOfProducts><speciesReference species="P" stoichiometry="1" constant="true"/></listOfProducts>
            \(marked ? here : "")<kineticLaw>\(math(rate))\(locals)</kineticLaw>
          </reaction>
        </listOfReactions>
        """
    }

    static func event(trigger: String = apply("gt", "<csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/time\">t</csymbol>", ci("tau")),
                      delay: String = "", priority: String = "", assignments: String = "") -> String {
        """
        <listOfEvents><event id="E" useValuesFromTriggerTime="true">
          <trigger initialValue="false" persistent="true">\(math(trigger))</trigger>
          \(delay)\(priority)
          <listOfEventAssignments>\(assignments)</listOfEventAssignments>
        </event></listOfEvents>
        """
    }

    /// Line and column of the element right after the `<!--here-->` marker, counted here
    /// independently of the library's `SourceFile`.
    static func markedPosition(_ text: String) -> (line: Int, column: Int)? {
        guard let marker = text.range(of: here) else { return nil }
        let before = text[..<marker.upperBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let lineStart = before.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        return (line, text.unicodeScalars[lineStart..<marker.upperBound].count + 1)
    }

    static func check(_ text: String) throws -> UnitsReport {
        try SBMLUnitsChecker.check(source: SourceFile(path: "units.xml", text: text))
    }

    // MARK: - The error catalogue

    static let timeSymbol = #"<csymbol definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>"#
    static let kineticRate = apply("times", ci("k"), ci("S"), ci("V"))

    /// (name, model body with one error marked, words the message must contain)
    static let errors: [(String, String, String)] = [
        ("rate constant per ms in a model timed in s",
         reaction(apply("times", ci("kms"), ci("S"), ci("V")), marked: true), "rate law of reaction 'J'"),
        ("rate law without the compartment volume",
         reaction(apply("times", ci("k"), ci("S")), marked: true), "mol/(L·s)"),
        ("Michaelis constant added to a rate constant",
         reaction(apply("times", ci("k"), ci("S"), ci("V"), apply("divide", ci("Km"), "\(here)<apply><plus/>\(ci("Km"))\(ci("k"))</apply>"))),
         "terms of this sum"),
        ("concentration assigned to an amount",
         "<listOfRules>\(here)<assignmentRule variable=\"x\">\(math(ci("S")))</assignmentRule></listOfRules>", "assignment rule for 'x'"),
        ("rate rule without per-time",
         "<listOfRules>\(here)<rateRule variable=\"x\">\(math(ci("x")))</rateRule></listOfRules>", "rate rule for 'x'"),
        ("rate rule of a compartment in 1/s",
         "<listOfRules>\(here)<rateRule variable=\"V\">\(math(ci("k")))</rateRule></listOfRules>", "rate rule for 'V'"),
        ("initial assignment of a rate constant to a volume",
         "<listOfInitialAssignments>\(here)<initialAssignment symbol=\"V\">\(math(ci("k")))</initialAssignment></listOfInitialAssignments>",
         "initial assignment to 'V'"),
        ("event assigns an amount to a concentration",
         event(assignments: "\(here)<eventAssignment variable=\"S\">\(math(ci("x")))</eventAssignment>"), "event assignment to 'S'"),
        ("event delay in millivolts",
         event(delay: "\(here)<delay>\(math(ci("v")))</delay>"), "event delay"),
        ("event priority in seconds",
         event(priority: "\(here)<priority>\(math(ci("tau")))</priority>"), "event priority"),
        ("trigger compares a concentration with an amount",
         event(trigger: "\(here)<apply><gt/>\(ci("S"))\(ci("x"))</apply>"), "compared quantities"),
        ("exponential of a rate constant",
         reaction(apply("times", ci("k"), ci("S"), ci("V"), "\(here)<apply><exp/>\(ci("k"))</apply>")), "<exp/>"),
        ("logarithm of a concentration",
         "<listOfRules><assignmentRule variable=\"n\">\(math("\(here)<apply><ln/>\(ci("S"))</apply>"))</assignmentRule></listOfRules>", "<ln/>"),
        ("piecewise cases in different units",
         "<listOfRules><assignmentRule variable=\"Su\">\(math("\(here)<piecewise><piece>\(ci("Su"))<apply><gt/>\(timeSymbol)\(ci("tau"))</apply></piece><otherwise>\(ci("x"))</otherwise></piecewise>"))</assignmentRule></listOfRules>",
         "cases of this piecewise"),
        ("concentration raised to a parameter",
         "<listOfRules><assignmentRule variable=\"n\">\(math("\(here)<apply><power/>\(ci("S"))\(ci("n"))</apply>"))</assignmentRule></listOfRules>",
         "not a constant number"),
        ("function adds its two arguments, called with a concentration and an amount",
         """
         <listOfFunctionDefinitions><functionDefinition id="f">\(math("<lambda><bvar><ci>a</ci></bvar><bvar><ci>b</ci></bvar>\(here)<apply><plus/><ci>a</ci><ci>b</ci></apply></lambda>"))</functionDefinition></listOfFunctionDefinitions>
         <listOfRules><assignmentRule variable="P">\(math("<apply><ci>f</ci>\(ci("S"))\(ci("x"))</apply>"))</assignmentRule></listOfRules>
         """, "terms of this sum"),
        ("number with units added to a rate",
         reaction("\(here)<apply><plus/>\(kineticRate)<cn xmlns:sbml=\"http://www.sbml.org/sbml/level3/version2/core\" sbml:units=\"per_second\">1</cn></apply>"),
         "terms of this sum"),
        ("delay given in millivolts",
         reaction(apply("times", ci("k"), ci("V"), "\(here)<apply><csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/delay\">delay</csymbol>\(ci("S"))\(ci("v"))</apply>")),
         "the delay has units"),
        ("rate of change assigned to an amount",
         "<listOfRules>\(here)<assignmentRule variable=\"x\">\(math("<apply><csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/rateOf\">rateOf</csymbol>\(ci("A"))</apply>"))</assignmentRule></listOfRules>",
         "mol/s"),
        ("local rate constant per ms",
         reaction(kineticRate, locals: #"<listOfLocalParameters><localParameter id="k" value="1" units="per_ms"/></listOfLocalParameters>"#, marked: true),
         "'k' has units 1/ms but is used as 1/s"),
        ("substance-only species multiplied by the volume",
         reaction(apply("times", ci("k"), ci("A"), ci("V")), marked: true), "L·mol/s"),
        ("nanomolar constant added to a micromolar one",
         "<listOfRules><assignmentRule variable=\"Su\">\(math("\(here)<apply><plus/>\(ci("Su"))\(ci("Kd"))</apply>"))</assignmentRule></listOfRules>",
         "µmol/L and nmol/L"),
        ("maximum of a concentration and an amount",
         "<listOfRules><assignmentRule variable=\"x\">\(math("\(here)<apply><max/>\(ci("x"))\(ci("S"))</apply>"))</assignmentRule></listOfRules>",
         "arguments of <max/>"),
        ("stoichiometry added to a concentration",
         reaction(apply("times", ci("k"), ci("V"), "\(here)<apply><plus/>\(ci("S"))\(ci("sr"))</apply>")), "terms of this sum"),
        ("time compared with a voltage",
         event(trigger: "\(here)<apply><geq/>\(timeSymbol)\(ci("v"))</apply>"), "compared quantities"),
    ]

    @Test func catalogueHasAtLeastTwentyErrors() {
        #expect(Self.errors.count >= 20)
    }

    @Test(arguments: Self.errors.indices)
    func eachErrorIsReportedAtItsElement(_ i: Int) throws {
        let (name, body, words) = Self.errors[i]
        let text = Self.model(body)
        let report = try Self.check(text)
        let expected = try #require(Self.markedPosition(text), "\(name): no marker")
        #expect(report.diagnostics.count == 1, "\(name): \(report.diagnostics.map { String(describing: $0) })")
        let d = try #require(report.diagnostics.first, "\(name): nothing reported")
        #expect(d.severity == .warning)
        #expect((d.message + " " + d.hints.joined(separator: " ")).contains(words), "\(name): \(d.message) \(d.hints)")
        let at = d.range?.startLocation
        #expect(at?.line == expected.line && at?.column == expected.column,
                "\(name): reported at \(at.map { String(describing: $0) } ?? "nowhere"), marked at \(expected.line):\(expected.column)")
        #expect(!d.hints.isEmpty, "\(name): no hint")
    }

    // MARK: - Consistent models

    @Test func consistentModelChecksClean() throws {
        let mm = Self.apply("times", Self.ci("V"), Self.ci("k"), Self.ci("Km"),
                       Self.apply("divide", Self.ci("S"), Self.apply("plus", Self.ci("Km"), Self.ci("S"))))
        let body = Self.reaction(mm) + """
            <listOfFunctionDefinitions><functionDefinition id="hill">\(Self.math("<lambda><bvar><ci>s</ci></bvar><bvar><ci>K</ci></bvar><apply><divide/><ci>s</ci><apply><plus/><ci>K</ci><ci>s</ci></apply></apply></lambda>"))</functionDefinition></listOfFunctionDefinitions>
            <listOfRules>
              <assignmentRule variable="n">\(Self.math("<apply><ci>hill</ci>\(Self.ci("S"))\(Self.ci("Km"))</apply>"))</assignmentRule>
              <rateRule variable="x">\(Self.math(Self.apply("times", "<cn>2</cn>", Self.ci("k"), Self.ci("x"), Self.apply("exp", Self.apply("minus", Self.ci("n"))))))</rateRule>
              <assignmentRule variable="Su">\(Self.math(Self.apply("plus", Self.ci("Su"), Self.ci("Kd"))))</assignmentRule>
            </listOfRules>
            """ + Self.event(delay: "<delay>\(Self.math("<cn xmlns:sbml=\"http://www.sbml.org/sbml/level3/version2/core\" sbml:units=\"second\">5</cn>"))</delay>",
                             assignments: "<eventAssignment variable=\"x\">\(Self.math(Self.apply("times", Self.ci("S"), Self.ci("V"))))</eventAssignment>")
        let report = try Self.check(Self.model(body))
        // µM + nM: the one inconsistency is that sum.
        #expect(report.diagnostics.count == 1)
        #expect(report.diagnostics.first?.message.contains("µmol/L and nmol/L") == true)
        let mended = body.replacingOccurrences(of: "<ci>Kd</ci>", with: "<ci>Su</ci>")
        let clean = try Self.check(Self.model(mended))
        #expect(clean.diagnostics.isEmpty, "\(clean.diagnostics.map { String(describing: $0) })")
        #expect(clean.undeclared.isEmpty)
    }

    @Test func levelTwoDefaultsAreMolesLitresAndSeconds() throws {
        let bad = try Self.check(Self.model(Self.reaction(Self.apply("times", Self.ci("k"), Self.ci("S")), marked: true), level: 2))
        #expect(bad.diagnostics.count == 1)
        #expect(bad.diagnostics.first?.message.contains("mol/(L·s)") == true)
        let good = try Self.check(Self.model(Self.reaction(Self.kineticRate), level: 2))
        #expect(good.diagnostics.isEmpty)
    }

    /// The shipped pathways declare no units (the Antimony reader passes over them), so
    /// their exports check clean with every quantity listed as undeclared.
    @Test(arguments: TestModels.shippedPathways.map(\.path))
    func shippedPathwaysCheckClean(_ path: String) throws {
        let text = SBMLWriter.write(try AntimonyLoader.load(path: path))
        let report = try Self.check(text)
        #expect(report.diagnostics.isEmpty, "\(path): \(report.diagnostics.map { String(describing: $0) })")
        #expect(report.undeclared.contains("the model's time units"))
    }

    @Test func undeclaredUnitsAreListedNotGuessed() throws {
        let text = Self.model(Self.reaction(Self.kineticRate))
            .replacingOccurrences(of: #"<parameter id="k" value="1" units="per_second" constant="true"/>"#,
                                  with: #"<parameter id="k" value="1" constant="true"/>"#)
            .replacingOccurrences(of: #" timeUnits="second""#, with: "")
        let report = try Self.check(text)
        #expect(report.diagnostics.isEmpty)
        #expect(report.undeclared.contains("parameter 'k'"))
        #expect(report.undeclared.contains("the model's time units"))
    }
}
