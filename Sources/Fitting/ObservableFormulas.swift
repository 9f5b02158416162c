import SourceDiagnostics
import PathwayModel
import ModelCompiler

/// The observables' formulas, compiled once per fit by the model compiler (no second
/// expression language) and shared by every worker: which quantities they read (model
/// columns or synapse readouts), and their partial derivatives with respect to those.
package struct CompiledFormulas: Sendable {
    /// The quantities the formulas read, in slot order.
    package let inputs: [String]
    let model: CompiledModel
    let inputSlots: [Int]
    let outputSlots: [Int]
    /// ∂(observable k)/∂(input j), symbolic.
    let partials: [[Symbolic]]

    package init(expressions: [Expression]) throws(DiagnosticsError) {
        var names = Set<String>()
        for e in expressions { names.formUnion(e.symbols) }
        inputs = names.sorted()
        var pathway = Pathway(name: "observables")
        pathway.parameters = inputs.map { Parameter(id: $0, value: .number(0), isConstant: false) }
        for (k, e) in expressions.enumerated() {
            pathway.parameters.append(Parameter(id: ObservableFormulas.outputName(k), value: nil, isConstant: false))
            pathway.assignmentRules.append(Rule(variable: ObservableFormulas.outputName(k), expression: e))
        }
        let compiled = try ModelCompiler.compile(pathway)
        let ins = inputs.map { compiled.symbols[$0]! }
        let outs = expressions.indices.map { compiled.symbols[ObservableFormulas.outputName($0)]! }
        let expressionBySlot = Dictionary(compiled.assignedValues.map { ($0.slot, $0.expression) }, uniquingKeysWith: { a, _ in a })
        partials = outs.map { out in
            let e = expressionBySlot[out] ?? .slot(out)
            return ins.map { input in e.derivative { $0 == input ? .constant(1) : .constant(0) } }
        }
        model = compiled
        inputSlots = ins
        outputSlots = outs
    }
}

/// One worker's evaluator of the compiled formulas: given the quantities they read at one
/// time, their values and their partial derivatives.
///
/// Not thread-safe (its model instance holds the formulas' memory): one per worker.
package final class ObservableFormulas {
    let compiled: CompiledFormulas
    private let model: ModelInstance
    /// The quantities the formulas read, in slot order.
    package var inputs: [String] { compiled.inputs }

    package init(_ compiled: CompiledFormulas) {
        self.compiled = compiled
        model = ModelInstance(compiled.model)
        // Memory holds the constants and the time slot only after an initialisation.
        _ = model.initialState()
    }

    static func outputName(_ k: Int) -> String { "observable_\(k)" }

    /// Loads one time's inputs (in `inputs` order) and computes every formula.
    package func load(time: Double, inputs values: [Double]) {
        for (slot, v) in zip(compiled.inputSlots, values) { model.setValue(v, slot: slot) }
        var none = 0.0
        model.update(time: time, state: &none)
    }

    /// Observable `k` of the last `load`.
    package func value(_ k: Int) -> Double { model.value(ofSlot: compiled.outputSlots[k]) }

    /// ∂(observable k)/∂(input j) at the last `load`.
    package func partial(_ k: Int, input j: Int) -> Double {
        let p = compiled.partials[k][j]
        if let c = p.constantValue { return c }
        return model.evaluate(p)
    }
}
