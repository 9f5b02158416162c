import Testing
@testable import Plotting

@Suite struct CSVTableTests {
    func table(_ text: String) throws(CSVError) -> CSVTable { try CSVTable(parsing: text, path: "run.csv") }

    func error(_ text: String, column: String? = nil) -> CSVError? {
        do {
            let t = try table(text)
            if let column { _ = try t.numbers(column) }
            return nil
        } catch {
            return error
        }
    }

    @Test func readsNumbersAndNonFiniteSpellings() throws {
        let t = try table("time,A,B\r\n0,1,nan\r\n1,2.5e-3,inf\r\n2,-3,-inf\r\n\r\n")
        #expect(t.header == ["time", "A", "B"])
        #expect(try t.numbers("A") == [1, 0.0025, -3])
        let b = try t.numbers("B")
        #expect(b[0].isNaN && b[1] == .infinity && b[2] == -.infinity)
    }

    @Test func nonNumericCellNamesRowAndColumn() throws {
        let e = try #require(error("time,A,B\n0,1,2\n1,x1,3\n", column: "A"))
        #expect(e.description == "run.csv:3:3: error: row 3, column 'A': 'x1' is not a number\nhint: write numbers as 0.25 or 1.5e-3; leave a missing value empty, NA or nan")
        #expect(e.offset == 17 && e.length == 2)
    }

    /// Missing values as fit data files write them: an empty cell or NA (not "na", which
    /// is no spelling of a missing value there either).
    @Test func emptyCellsAndNAAreMissing() throws {
        let t = try CSVTable(parsing: "time,A\n0,\n1,NA\n2,3\n", path: "run.csv")
        let a = try t.numbers("A")
        #expect(a.count == 3 && a[0].isNaN && a[1].isNaN && a[2] == 3)
        let e = try #require(error("time,A\n0,na\n", column: "A"))
        #expect(e.description == "run.csv:2:3: error: row 2, column 'A': 'na' is not a number\nhint: write numbers as 0.25 or 1.5e-3; leave a missing value empty, NA or nan")
    }

    @Test func shortRowNamesTheMissingColumns() throws {
        let e = try #require(error("time,A,B\n0,1,2\n1,2\n"))
        #expect(e.description == "run.csv:3:4: error: row 3 has 2 cells but the header has 3 columns\nhint: missing: B")
    }

    @Test func longRowPointsAtTheExtraCell() throws {
        let e = try #require(error("time,A\n0,1\n1,2,3\n"))
        #expect(e.description == "run.csv:3:5: error: row 3 has 3 cells but the header has 2 columns")
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let e = try #require(error("time,Ca²⁺\n0,µ\n", column: "Ca²⁺"))
        #expect(e.line == 2 && e.column == 3)
    }

    @Test func emptyFileAndBadHeaders() throws {
        #expect(error("")?.message.hasPrefix("the file is empty") == true)
        #expect(error("time,,B\n")?.message == "empty column name in the header")
        #expect(error("time,A,A\n")?.message == "column 'A' appears twice in the header (columns 2 and 3)")
    }

    @Test func kindFollowsTheHeader() {
        #expect(KinapseCSVKind(header: ["time", "A"]) == .timeCourse)
        #expect(KinapseCSVKind(header: ["delta_t_ms", "amplitude_change_percent"]) == .spikeTimingWindow)
        #expect(KinapseCSVKind(header: ["time", "minutes_after_induction", "phase", "Pr", "N", "amplitude_percent_of_baseline"]) == .synapseReadouts)
        #expect(KinapseCSVKind(header: ["quantity", "baseline", "after"]) == nil)
    }

    @Test func unrecognisedHeaderIsExplained() throws {
        let t = try table("quantity,baseline,after,change_percent\nPr,0.2,0.3,50\n")
        #expect(throws: CSVPlotError.self) { try SVGPlot.figure(for: t) }
        do { _ = try SVGPlot.figure(for: t) } catch {
            #expect(error.description.hasPrefix("run.csv:1:1: error: not a Kinapse CSV: the header starts with 'quantity'"))
        }
    }

    @Test func unknownSelectedColumn() throws {
        let t = try table("time,Ca,cGMP\n0,1,2\n1,2,3\n")
        do {
            _ = try SVGPlot.figure(for: t, options: .init(panels: [["cGMP", "Caa"]]))
            Issue.record("expected an error")
        } catch {
            guard case .plot(.unknownColumn(let name, let available)) = error else { Issue.record("\(error)"); return }
            #expect(name == "Caa" && available == ["time", "Ca", "cGMP"])
        }
    }

    @Test func badCellInAPlottedColumnSurfacesWithItsPlace() throws {
        let t = try table("time,Ca,cGMP\n0,1,2\n1,2,oops\n")
        do {
            _ = try SVGPlot.figure(for: t)
            Issue.record("expected an error")
        } catch {
            guard case .csv(let e) = error else { Issue.record("\(error)"); return }
            #expect(e.description == "run.csv:3:5: error: row 3, column 'cGMP': 'oops' is not a number\nhint: write numbers as 0.25 or 1.5e-3; leave a missing value empty, NA or nan")
        }
    }

    @Test func readoutsCSVRecoversTheInductionPeriod() throws {
        let csv = """
            time,minutes_after_induction,phase,Pr,N,amplitude_percent_of_baseline
            0,-10.0,baseline,0.25,30,100
            540,-1.0,baseline,0.25,30,100
            603,0.0,follow-up,0.3,30,120
            663,1.0,follow-up,0.3,30,121
            """
        let plot = try SVGPlot.figure(for: try table(csv))
        #expect(plot.svg.contains(">time from induction onset (min)</text>"))
        #expect(plot.svg.contains(">induction</text>"))
        #expect(plot.warnings.isEmpty)
    }

    @Test func windowCSV() throws {
        let csv = "delta_t_ms,amplitude_change_percent,locus\n-20,-10,postsynaptic\n0,nan,postsynaptic\n20,15,postsynaptic\n"
        let plot = try SVGPlot.figure(for: try table(csv))
        #expect(plot.svg.contains(">IPSC amplitude change (%)</text>"))
        #expect(plot.warnings == ["'IPSC amplitude change': skipped 1 non-finite value (NaN or infinity)"])
    }
}
