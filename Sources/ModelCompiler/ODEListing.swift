import PathwayModel

/// The compiled system as readable maths, for `kinapse odes`.
public struct ODEListing {
    let model: CompiledModel
    public init(model: CompiledModel) { self.model = model }

    public func text(includeJacobian: Bool = false) -> String {
        let printer = SymbolicPrinter(names: model.slotNames)
        var out = "// model \(model.name): \(model.stateCount) state variables\n"
        let rules = model.assignedValues.filter { $0.kind == .rule }
        let rates = model.assignedValues.filter { $0.kind == .reactionRate }
        if !rules.isEmpty {
            out += "\n// assignment rules, in evaluation order\n"
            for v in rules { out += "\(v.name) := \(printer.text(v.expression))\n" }
        }
        if !rates.isEmpty {
            out += "\n// reaction rates (amount per time)\n"
            for v in rates { out += "\(v.name) = \(printer.text(v.expression))\n" }
        }
        out += "\n// differential equations\n"
        for (state, derivative) in zip(model.states, model.derivativeExpressions) {
            switch state.kind {
            case .amount(_, let sizeSlot):
                // Integrated as amounts; shown per concentration, as the author thinks of it.
                let size = model.slotNames[sizeSlot] ?? "size"
                let body = printer.text(derivative)
                let needsParentheses = derivative.isSum
                out += "d[\(state.name)]/dt = " + (needsParentheses ? "(\(body))" : body) + "/\(size)\n"
            case .raw:
                out += "d\(state.name)/dt = \(printer.text(derivative))\n"
            }
        }
        if !model.events.isEmpty {
            out += "\n// events\n"
            for e in model.events {
                let assignments = e.assignments.map { "\($0.name) = \(printer.text($0.value))" }.joined(separator: ", ")
                out += "\(e.id): at \(printer.text(e.trigger)): \(assignments)\n"
            }
        }
        if includeJacobian {
            out += "\n// Jacobian (∂ d(state)/dt / ∂ state), non-zero entries\n"
            for (slot, e) in model.jacobianIntermediates { out += "\(model.slotNames[slot] ?? "?") = \(printer.text(e))\n" }
            for (i, j, e) in model.jacobianExpressions {
                out += "J[\(model.states[i].name), \(model.states[j].name)] = \(printer.text(e))\n"
            }
        }
        return out
    }
}

extension Symbolic {
    var isSum: Bool {
        if case .binary(let f, _, _) = self { return f == .add || f == .subtract }
        return false
    }
}
