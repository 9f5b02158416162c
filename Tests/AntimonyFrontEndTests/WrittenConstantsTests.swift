import Testing
import SourceDiagnostics
import AntimonyFrontEnd

/// `WrittenConstants`: the numbers a pathway file writes as values, each with the comment after
/// it and the comment paragraph heading its block, which the lexer keeps beside the tokens.
@Suite struct WrittenConstantsTests {
    static let text = """
        // file header: not attached to anything below the model line
        model *m(x)
          compartment cell = 1;   // unit size
          species S in cell;
          S' = -k1*S;
          # the rates
          k1 = 2;                 // first
          k2 = -3; k3 = 4e-1      /* shared */
          J: S -> ; k1*S + x;
          k4 := 5
          A: sub(S, 0.5);

          /* resting
             values */
          S = 0.25
        end
        """

    static func listing() throws -> WrittenConstants.Listing {
        try WrittenConstants.read(SourceFile(path: "m.ant", text: text))
    }

    @Test func everyNumberWrittenAsAValueIsListedWithItsRoleAndLine() throws {
        let constants = try Self.listing().constants
        #expect(constants.map(\.name) == ["cell", "k1", "k2", "k3", "k4", "A(2)", "S"])
        #expect(constants.map(\.value) == [1, 2, -3, 0.4, 5, 0.5, 0.25])
        #expect(constants.map(\.role) == [.compartmentSize, .parameter, .parameter, .parameter, .parameter, .argument, .initialValue])
        #expect(constants.map { $0.range.startLocation.line } == [3, 7, 8, 8, 10, 11, 15])
        #expect(constants.allSatisfy { $0.model == "m" })
    }

    @Test func theCommentAfterAValueAndTheHeadingOfItsBlockAreAttached() throws {
        let byName = Dictionary(uniqueKeysWithValues: try Self.listing().constants.map { ($0.name, $0) })
        #expect(byName["cell"]?.trailingComment == "unit size")
        #expect(byName["k1"]?.trailingComment == "first")
        #expect(byName["k1"]?.headingComment == "the rates")
        // The heading covers the whole block of value lines under it; a shared comment both values.
        #expect(byName["k2"]?.headingComment == "the rates")
        #expect(byName["k3"]?.trailingComment == "shared")
        #expect(byName["k2"]?.positionOnLine == 0 && byName["k3"]?.positionOnLine == 1 && byName["k3"]?.countOnLine == 2)
        // A reaction line ends the block: k4 has no heading, and the file header reaches nothing.
        #expect(byName["k4"]?.headingComment == nil && byName["k4"]?.trailingComment == nil)
        #expect(byName["cell"]?.headingComment == nil)
        #expect(byName["S"]?.headingComment == "resting values")
    }

    @Test func theListingKeepsEveryCommentOfTheFile() throws {
        let comments = try Self.listing().comments
        #expect(comments.map(\.text) == ["file header: not attached to anything below the model line", "unit size", "the rates", "first", "shared", "resting\n     values"])
        #expect(comments.map(\.line) == [1, 3, 6, 7, 8, 13])
    }

    @Test func aFileThatDoesNotParseThrowsItsDiagnostics() {
        #expect(throws: DiagnosticsError.self) {
            try WrittenConstants.read(SourceFile(path: "bad.ant", text: "k = 2 *\n"))
        }
    }
}
