import SourceDiagnostics
import PathwayModel

/// Newton's method for a root of `g(ξ) = 0`, written as a chain of constant parameters
/// the engine computes with the initial values: `ξ₁ = ξ₀ − g(ξ₀)/g′(ξ₀)`, `ξ₂ = …`. The
/// result is the last step if it moved ξ by no more than rounding (1e-12 relative), else
/// NaN, which the engine refuses as a non-finite initial value rather than starting
/// from an inconsistent state. Forty steps: quadratic convergence needs a handful from a
/// reasonable start, and the rest cost only initial-value evaluations.
enum NewtonChain {
    static let steps = 40

    /// The parameters of the chain (to add to the pathway) and the expression naming the
    /// root. `residual` and `slope` give g and g′ at an expression for ξ; `name` makes an
    /// unused id from a base.
    static func build(from start: Expression, base: String, range: SourceRange?,
                      residual: (Expression) -> Expression, slope: (Expression) -> Expression,
                      name: (String) -> String) -> (parameters: [Parameter], root: Expression) {
        var parameters: [Parameter] = []
        var previous = start, beforePrevious = start
        for k in 1...steps {
            let id = name("\(base)_newton_\(k)")
            let step: Expression = .binary(.subtract, previous, .binary(.divide, residual(previous), slope(previous)))
            parameters.append(Parameter(id: id, value: step, isConstant: true, range: range))
            beforePrevious = previous
            previous = .symbol(id, nil)
        }
        let converged: Expression = .binary(.lessEqual, .call("abs", [.binary(.subtract, previous, beforePrevious)], nil),
                                            .binary(.multiply, .number(1e-12), .binary(.add, .number(1), .call("abs", [previous], nil))))
        let id = name(base)
        parameters.append(Parameter(id: id, value: .call("piecewise", [previous, converged, .number(.nan)], nil), isConstant: true, range: range))
        return (parameters, .symbol(id, nil))
    }
}
