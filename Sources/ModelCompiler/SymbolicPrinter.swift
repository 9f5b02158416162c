import PathwayModel

/// Renders compiled expressions as readable infix maths with the model's names.
public struct SymbolicPrinter {
    let names: [Int: String]
    public init(names: [Int: String]) { self.names = names }

    public func text(_ e: Symbolic) -> String { render(e, parent: 0) }

    private func precedence(_ e: Symbolic) -> Int {
        switch e {
        case .constant(let v): return v < 0 ? 6 : 10
        case .slot: return 10
        case .select: return 10
        case .unary(let f, _): return f == .negate || f == .not ? 7 : 10
        case .binary(let f, _, _):
            switch f {
            case .or, .xor: return 1
            case .and: return 2
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return 3
            case .add, .subtract: return 4
            case .multiply, .divide: return 5
            case .power: return 8
            case .min, .max: return 10
            }
        }
    }

    private func render(_ e: Symbolic, parent: Int) -> String {
        let p = precedence(e)
        let s: String
        switch e {
        case .constant(let v): s = formatNumber(v)
        case .slot(let k): s = names[k] ?? "$\(k)"
        case .select(let c, let a, let b):
            s = "piecewise(\(render(a, parent: 0)), \(render(c, parent: 0)), \(render(b, parent: 0)))"
        case .unary(.negate, let a): s = "-" + render(a, parent: 7)
        case .unary(.not, let a): s = "!" + render(a, parent: 7)
        case .unary(let f, let a): s = "\(f.rawValue)(\(render(a, parent: 0)))"
        case .binary(let f, let a, let b):
            let op: String
            switch f {
            case .add: op = " + "
            case .subtract: op = " - "
            case .multiply: op = "*"
            case .divide: op = "/"
            case .power: op = "^"
            case .less: op = " < "
            case .lessEqual: op = " <= "
            case .greater: op = " > "
            case .greaterEqual: op = " >= "
            case .equal: op = " == "
            case .notEqual: op = " != "
            case .and: op = " && "
            case .or: op = " || "
            case .xor: op = " xor "
            case .min, .max:
                return "\(f.rawValue)(\(render(a, parent: 0)), \(render(b, parent: 0)))"
            }
            let leftParent = f == .power ? p + 1 : p
            let rightParent = f == .power ? p : p + 1
            s = render(a, parent: leftParent) + op + render(b, parent: rightParent)
        }
        return p < parent ? "(\(s))" : s
    }
}
