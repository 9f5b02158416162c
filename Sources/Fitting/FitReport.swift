import Optimization
import Foundation

/// Text and CSV renderings of a fit. Files hold no timings, so the same seed gives the same
/// files byte for byte whatever the number of workers.
public enum FitReport {
    /// Starts within this relative distance of the best objective count as reaching it.
    public static let reachTolerance = 1e-3

    // MARK: - Files

    /// `best_parameters.toml`: what `kinapse simulate --params` reads.
    public static func bestParameters(_ outcome: FitOutcome, problemPath: String) -> String? {
        guard let best = outcome.best, let values = outcome.bestValues else { return nil }
        let p = outcome.problem.parameters
        let model = p.indices.filter { p[$0].role == .model }.map { (p[$0].name, values[$0]) }
        let observation = p.indices.filter { p[$0].role == .observation }.map { (p[$0].name, values[$0]) }
        return ParameterFile.text(header: [
            "kinapse fit \(problemPath): best of \(outcome.multiStart.starts.count) starts (seed \(outcome.settings.seed)), start \(best.index + 1)",
            "negative log-likelihood \(number(best.objective + outcome.likelihoodOffset)), ½‖r‖² \(number(best.objective))",
        ] + (partialMarker(outcome).map { [$0] } ?? []), model: model, observation: observation)
    }

    /// The line that marks the files of an interrupted fit (as `# partial:` marks a
    /// simulation's results cut short; see docs/file-formats.md).
    static func partialMarker(_ outcome: FitOutcome) -> String? {
        outcome.interruption.map { "partial: \($0)" }
    }

    /// `starts.csv`: one row per start, by start number: start and end values, objective, status.
    public static func startsCSV(_ outcome: FitOutcome) -> String {
        let p = outcome.problem.parameters
        let best = outcome.best?.objective
        var out = "start,objective,negative_log_likelihood,reached_best,status,iterations,evaluations,"
        out += (p.map { "start_\($0.name)" } + p.map(\.name)).joined(separator: ",") + "\n"
        for s in outcome.multiStart.starts {
            let reached = best.map { reaches(s.objective, best: $0) } ?? false
            let values = zip(p, s.start).map { number($0.unscaled($1)) } + zip(p, s.theta).map { number($0.unscaled($1)) }
            let row: [String] = ["\(s.index + 1)", number(s.objective), number(s.objective + outcome.likelihoodOffset),
                                 reached ? "yes" : "no", csvField(oneLine(s.status.description)), "\(s.run.iterations)", "\(s.run.evaluations)"] + values
            out += row.joined(separator: ",") + "\n"
        }
        if let marker = partialMarker(outcome) { out += "# \(marker)\n" }
        return out
    }

    /// `fit_<experiment>.csv`: every measurement with the fitted value and the residual.
    public static func experimentCSV(_ outcome: FitOutcome, experiment e: Int) -> String? {
        guard let eval = outcome.bestEvaluation, let values = outcome.bestValues else { return nil }
        let problem = outcome.problem
        let experiment = problem.experiments[e]
        var out = "time,observable,data,sd,fitted,residual\n"
        for (k, point) in experiment.data.points.enumerated() {
            let o = problem.observables[point.observable]
            func term(_ t: Observable.Term) -> Double {
                switch t { case .constant(let c): c; case .parameter(let i): values[i] }
            }
            let sd: Double
            switch o.noise {
            case .column: sd = point.sd ?? .nan
            case .term(let t): sd = term(t)
            }
            let fitted = term(o.scale) * eval.formulaValues[e][k] + term(o.offset)
            out += [number(point.writtenTime), o.name, number(point.value), number(sd), number(fitted), number(eval.experimentResiduals[e][k])]
                .joined(separator: ",") + "\n"
        }
        if let marker = partialMarker(outcome) { out += "# \(marker)\n" }
        return out
    }

    /// `curve_<experiment>.csv`: the fitted time course of each observable the experiment
    /// measures, finer than the data (times in the data file's unit and origin).
    public static func curveCSV(_ outcome: FitOutcome, experiment e: Int) -> String? {
        let curves = outcome.curves.filter { $0.experiment == e }
        guard let first = curves.first else { return nil }
        let convention = outcome.problem.experiments[e].time
        var out = "time," + curves.map { csvField(outcome.problem.observables[$0.observable].name) }.joined(separator: ",") + "\n"
        for (row, t) in first.times.enumerated() {
            out += ([number((t - convention.offset) / convention.scale)] + curves.map { number($0.values[row]) }).joined(separator: ",") + "\n"
        }
        if let marker = partialMarker(outcome) { out += "# \(marker)\n" }
        return out
    }

    /// `intervals.csv`: per parameter, the estimate and its 95 % profile and Wald intervals
    /// (model units; empty when a side stays below the threshold) and the verdict.
    public static func intervalsCSV(_ outcome: FitOutcome) -> String? {
        guard let u = outcome.uncertainty else { return nil }
        var out = "parameter,best,profile_lower,profile_upper,wald_lower,wald_upper,standard_error_scaled,identifiability\n"
        for q in u.parameters {
            let wald = q.standardError.isFinite ? [number(q.waldIntervalValues.lowerBound), number(q.waldIntervalValues.upperBound)] : ["", ""]
            out += ([q.name, number(q.estimateValue), q.profileLowerValue.map(number) ?? "", q.profileUpperValue.map(number) ?? ""]
                    + wald + [number(q.standardError), q.identifiability.rawValue]).joined(separator: ",") + "\n"
        }
        return out
    }

    /// `profiles.csv`: every profile point: the held parameter's value (model units), the
    /// re-optimised objective, its rise above the best, and the other parameters.
    public static func profilesCSV(_ outcome: FitOutcome) -> String? {
        guard let u = outcome.uncertainty else { return nil }
        let p = outcome.problem.parameters
        var out = "parameter,value,objective,negative_log_likelihood,rise,status," + p.map(\.name).joined(separator: ",") + "\n"
        for q in u.parameters {
            let i = q.profile.parameter
            for point in q.profile.points.sorted(by: { $0.value < $1.value }) {
                let row = [q.name, number(p[i].unscaled(point.value)), number(point.objective), number(point.objective + outcome.likelihoodOffset),
                           number(point.objective - u.optimumObjective), csvField(oneLine(point.status.description))]
                    + zip(p, point.theta).map { number($0.unscaled($1)) }
                out += row.joined(separator: ",") + "\n"
            }
        }
        return out
    }

    // MARK: - The report on standard output

    /// Simulations per second as the summary prints it: two significant digits below 10/s,
    /// so a fit of a few slow simulations does not read "0/s".
    static func rateText(simulations: Int, seconds: Double) -> String {
        let rate = Double(simulations) / max(seconds, 1e-9)
        return String(format: rate < 10 ? "%.2g/s" : "%.0f/s", rate)
    }

    public static func summary(_ outcome: FitOutcome, problemPath: String) -> String {
        let problem = outcome.problem
        let points = problem.experiments.map(\.data.points.count).reduce(0, +)
        let seconds = Double(outcome.wallTime.components.seconds) + Double(outcome.wallTime.components.attoseconds) * 1e-18
        func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        var out = "fit \(problemPath): \(counted(problem.parameters.count, "parameter")), \(counted(problem.experiments.count, "experiment")), \(counted(points, "measurement"))\n"
        let gradient = outcome.settings.gradient == .sensitivities && outcome.gradientFallback == nil ? "forward sensitivities" : "finite differences"
        out += "\(outcome.multiStart.starts.count) starts (seed \(outcome.settings.seed)), gradients by \(gradient), "
        out += "\(outcome.settings.jobs) worker\(outcome.settings.jobs == 1 ? "" : "s"); "
        out += String(format: "%.1f s, %d simulations (", seconds, outcome.simulations) + rateText(simulations: outcome.simulations, seconds: seconds) + ")\n\n"
        if let fallback = outcome.gradientFallback {
            out += "forward sensitivities are not available for this model, so gradients are central finite differences: \(oneLine(fallback))\n\n"
        }
        if let interruption = outcome.interruption { out += "\(interruption)\n\n" }
        guard let best = outcome.best, let values = outcome.bestValues else {
            if outcome.interruption != nil {
                return out + "no start had finished its first evaluation (objective and gradient) when the fit was stopped: no result (see starts.csv)\n"
            }
            return out + "no start could be evaluated: every start failed (see starts.csv)\n"
        }
        out += "best: negative log-likelihood \(short(best.objective + outcome.likelihoodOffset)) (½‖r‖² = \(short(best.objective))), start \(best.index + 1), \(best.status)\n\n"
        let u = outcome.uncertainty
        out += pad("parameter", 20) + pad("best", 12) + (u == nil ? "" : pad("95 % CI (profile)", 26) + pad("95 % CI (Wald)", 26)) + "bounds\n"
        for (i, p) in problem.parameters.enumerated() {
            let atBound = abs(best.theta[i] - p.scaledBounds.lower) < 1e-6 || abs(best.theta[i] - p.scaledBounds.upper) < 1e-6
            var intervals = ""
            if let q = u?.parameters[i] {
                let profile = "[" + (q.profileLowerValue.map(short) ?? "—") + ", " + (q.profileUpperValue.map(short) ?? "—") + "]"
                let wald = q.standardError.isFinite ? "[\(short(q.waldIntervalValues.lowerBound)), \(short(q.waldIntervalValues.upperBound))]" : "unbounded"
                intervals = pad(profile, 26) + pad(wald, 26)
            }
            out += pad(p.name, 20) + pad(short(values[i]), 12) + intervals
                + "[\(short(p.lower)), \(short(p.upper))]" + (atBound ? " at a bound" : "") + "\n"
        }
        if let u {
            let flagged = u.parameters.filter { $0.identifiability != .identifiable }
            out += flagged.isEmpty ? "every parameter is identifiable (both sides of every profile cross the 95 % threshold)\n"
                : flagged.map { "\($0.name): \($0.identifiability.rawValue)" }.joined(separator: "\n") + "\n"
            if u.parameters.contains(where: { $0.profileLowerValue == nil || $0.profileUpperValue == nil }) {
                out += "(—: the profile stays below the 95 % threshold up to the bound on that side)\n"
            }
        } else if let failure = outcome.uncertaintyFailure {
            out += "no confidence intervals: \(oneLine(failure))\n"
        }
        if let eval = outcome.bestEvaluation {
            out += "\n" + pad("experiment", 22) + pad("points", 8) + pad("Σr²", 12) + pad("rms r", 10) + "max |r|\n"
            for (e, experiment) in problem.experiments.enumerated() {
                let r = eval.experimentResiduals[e]
                let ss = r.reduce(0) { $0 + $1 * $1 }
                out += pad(experiment.name, 22) + pad("\(r.count)", 8) + pad(short(ss), 12)
                    + pad(short((ss / Double(max(r.count, 1))).squareRoot()), 10) + short(r.map(abs).max() ?? 0) + "\n"
            }
        }
        out += "\n" + waterfall(outcome)
        return out
    }

    /// Starts sorted by objective; `*` marks those within 0.1 % of the best.
    public static func waterfall(_ outcome: FitOutcome) -> String {
        let starts = outcome.multiStart.waterfall
        let best = outcome.best?.objective ?? .infinity
        let reached = starts.filter { reaches($0.objective, best: best) }.count
        let failed = outcome.multiStart.failedStarts.count
        var out = "convergence: \(reached) of \(starts.count) starts (\(Int((100 * Double(reached) / Double(max(starts.count, 1))).rounded())) %) within 0.1 % of the best"
        out += failed > 0 ? "; \(failed) failed\n" : "\n"
        out += pad("rank", 6) + pad("start", 7) + pad("½‖r‖²", 14) + pad("", 3) + pad("iterations", 12) + "status\n"
        for (rank, s) in starts.enumerated() {
            out += pad("\(rank + 1)", 6) + pad("\(s.index + 1)", 7) + pad(s.status.isFailed ? "—" : short(s.objective), 14)
                + pad(reaches(s.objective, best: best) ? "*" : "", 3) + pad("\(s.run.iterations)", 12) + oneLine(s.status.description) + "\n"
        }
        return out
    }

    static func reaches(_ objective: Double, best: Double) -> Bool {
        objective.isFinite && objective - best <= reachTolerance * max(abs(best), 1e-12)
    }

    // MARK: - Formatting

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return "0" }
        return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    static func short(_ v: Double) -> String { v.isFinite ? String(format: "%.5g", v) : (v.isNaN ? "NaN" : (v > 0 ? "inf" : "-inf")) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    /// The first line of a message, at most 160 characters.
    static func oneLine(_ s: String) -> String {
        let first = s.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? s
        return first.count > 160 ? String(first.prefix(157)) + "..." : first
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"").replacingOccurrences(of: "\n", with: " ") + "\"" : s
    }
}
