/// PEtab tables written from results.
public enum PEtabTables {
    /// The simulation table: the measurement table's key columns with `simulation` (the
    /// simulated observable) in place of `measurement`, one row per measurement, in order.
    public static func simulationTable(_ problem: PEtabProblem, _ evaluation: PEtabEvaluation) -> String {
        let withPreequilibration = problem.measurements.contains { $0.preequilibration != nil }
        var lines = [(["observableId"] + (withPreequilibration ? ["preequilibrationConditionId"] : [])
                      + ["simulationConditionId", "time", "simulation"]).joined(separator: "\t")]
        for (m, row) in problem.measurements.enumerated() {
            var cells = [problem.observables[row.observable].id]
            if withPreequilibration { cells.append(row.preequilibration.map { problem.conditions[$0].id } ?? "") }
            cells += [problem.conditions[row.condition].id, row.time.isFinite ? "\(row.time)" : "inf", "\(evaluation.simulated[m])"]
            lines.append(cells.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
