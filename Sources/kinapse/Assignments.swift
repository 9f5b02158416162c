import ArgumentParser
import Foundation
import Fitting

/// `--set ID=VALUE` options, shared by every command that takes them.
enum Assignments {
    static func parse(_ texts: [String]) throws -> [(name: String, value: Double)] {
        try texts.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]) else {
                throw ValidationError("--set expects ID=VALUE with a number, e.g. --set k1=0.5 (got '\(text)')")
            }
            return (parts[0], v)
        }
    }

    /// `--params FILE` values (checked against `names`), then `--set` values, which win.
    static func overrides(params: String?, assignments: [String], names: some Collection<String>) throws -> [(name: String, value: Double)] {
        var out: [(name: String, value: Double)] = []
        if let params { out = try ParameterFile.read(path: params, knownNames: names) }
        return out + (try parse(assignments))
    }
}

/// `--set ID=VALUE` (repeatable) and `--params FILE`, for commands that run a model at
/// chosen parameter values.
struct ParameterValueOptions: ParsableArguments {
    @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("Override an initial value or parameter, e.g. --set k1=0.5 (repeatable).", valueName: "ID=VALUE"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Parameter values from a file, e.g. the best_parameters.toml of 'kinapse fit' (--set still overrides them).", valueName: "FILE"))
    var params: String?

    func validate() throws { _ = try Assignments.parse(assignments) }

    /// The files these options read.
    var inputs: [String] { params.map { [$0] } ?? [] }

    func overrides(names: some Collection<String>) throws -> [(name: String, value: Double)] {
        try Assignments.overrides(params: params, assignments: assignments, names: names)
    }
}
