/// A register machine for the model's arithmetic: a flat list of three-address
/// instructions over one array of `Double` slots.
///
/// The right-hand side runs as a single loop over this list: no recursion, no
/// allocation, no look-ups by name. Constants live in slots too, so every operand is
/// a slot index.
public struct Instruction: Sendable, Hashable {
    /// One flat opcode space, so the machine dispatches with a single switch.
    public enum Operation: UInt8, Sendable {
        case copy, add, subtract, multiply, divide, power, select
        // Unary built-ins.
        case negate, not, exp, ln, log10, log2, sqrt, abs, floor, ceil
        case sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh
        case sec, csc, cot, factorial
        // Other binary built-ins.
        case min, max, less, lessEqual, greater, greaterEqual, equal, notEqual, and, or, xor

        init(_ f: Symbolic.UnaryFunction) { self = Self.unaryTable[f]! }
        init(_ f: Symbolic.BinaryFunction) { self = Self.binaryTable[f]! }

        private static let unaryTable: [Symbolic.UnaryFunction: Operation] = Dictionary(
            uniqueKeysWithValues: Symbolic.UnaryFunction.allCases.map { ($0, Operation(name: $0.rawValue)!) })
        private static let binaryTable: [Symbolic.BinaryFunction: Operation] = Dictionary(
            uniqueKeysWithValues: Symbolic.BinaryFunction.allCases.map { ($0, Operation(name: $0.rawValue)!) })

        private init?(name: String) {
            guard let op = Self.byName[name] else { return nil }
            self = op
        }
        private static let byName: [String: Operation] = {
            var table: [String: Operation] = [:]
            var raw: UInt8 = 0
            while let op = Operation(rawValue: raw) {
                table[String(describing: op)] = op
                raw += 1
            }
            return table
        }()
    }
    public var operation: Operation
    public var destination: Int32
    public var a: Int32
    public var b: Int32
    public var c: Int32
}

/// A straight-line program.
public struct Program: Sendable {
    public var instructions: [Instruction] = []
    public init() {}
    public var count: Int { instructions.count }
}

/// A program's instructions in memory the machine can walk without touching Swift
/// arrays (no bounds checks, no reference counting in the solver's callbacks).
struct ProgramCode {
    let start: UnsafeMutablePointer<Instruction>
    let count: Int

    init(_ program: Program) {
        count = program.instructions.count
        start = .allocate(capacity: max(1, count))
        start.initialize(from: program.instructions, count: count)
    }

    func deallocate() { start.deallocate() }

    /// Runs the program over memory `m`. The hot loop of every simulation.
    @inline(__always)
    func run(memory m: UnsafeMutablePointer<Double>) {
        var p = start
        let end = start + count
        while p < end {
            let ins = p.pointee
            p += 1
            let d = Int(ins.destination), a = Int(ins.a), b = Int(ins.b)
            switch ins.operation {
            case .copy: m[d] = m[a]
            case .add: m[d] = m[a] + m[b]
            case .subtract: m[d] = m[a] - m[b]
            case .multiply: m[d] = m[a] * m[b]
            case .divide: m[d] = m[a] / m[b]
            case .power: m[d] = Evaluation.power(m[a], m[b])
            case .select: m[d] = m[a] != 0 ? m[b] : m[Int(ins.c)]
            case .negate: m[d] = -m[a]
            case .not: m[d] = Evaluation.apply(.not, m[a])
            case .exp: m[d] = Evaluation.apply(.exp, m[a])
            case .ln: m[d] = Evaluation.apply(.ln, m[a])
            case .log10: m[d] = Evaluation.apply(.log10, m[a])
            case .log2: m[d] = Evaluation.apply(.log2, m[a])
            case .sqrt: m[d] = m[a].squareRoot()
            case .abs: m[d] = Swift.abs(m[a])
            case .floor: m[d] = Evaluation.apply(.floor, m[a])
            case .ceil: m[d] = Evaluation.apply(.ceil, m[a])
            case .sin: m[d] = Evaluation.apply(.sin, m[a])
            case .cos: m[d] = Evaluation.apply(.cos, m[a])
            case .tan: m[d] = Evaluation.apply(.tan, m[a])
            case .asin: m[d] = Evaluation.apply(.asin, m[a])
            case .acos: m[d] = Evaluation.apply(.acos, m[a])
            case .atan: m[d] = Evaluation.apply(.atan, m[a])
            case .sinh: m[d] = Evaluation.apply(.sinh, m[a])
            case .cosh: m[d] = Evaluation.apply(.cosh, m[a])
            case .tanh: m[d] = Evaluation.apply(.tanh, m[a])
            case .asinh: m[d] = Evaluation.apply(.asinh, m[a])
            case .acosh: m[d] = Evaluation.apply(.acosh, m[a])
            case .atanh: m[d] = Evaluation.apply(.atanh, m[a])
            case .sec: m[d] = Evaluation.apply(.sec, m[a])
            case .csc: m[d] = Evaluation.apply(.csc, m[a])
            case .cot: m[d] = Evaluation.apply(.cot, m[a])
            case .factorial: m[d] = Evaluation.apply(.factorial, m[a])
            case .min: m[d] = Evaluation.apply(.min, m[a], m[b])
            case .max: m[d] = Evaluation.apply(.max, m[a], m[b])
            case .less: m[d] = m[a] < m[b] ? 1 : 0
            case .lessEqual: m[d] = m[a] <= m[b] ? 1 : 0
            case .greater: m[d] = m[a] > m[b] ? 1 : 0
            case .greaterEqual: m[d] = m[a] >= m[b] ? 1 : 0
            case .equal: m[d] = m[a] == m[b] ? 1 : 0
            case .notEqual: m[d] = m[a] != m[b] ? 1 : 0
            case .and: m[d] = Evaluation.apply(.and, m[a], m[b])
            case .or: m[d] = Evaluation.apply(.or, m[a], m[b])
            case .xor: m[d] = Evaluation.apply(.xor, m[a], m[b])
            }
        }
    }
}

/// Turns symbolic expressions into instructions, allocating one slot per distinct
/// sub-expression: identical sub-trees (common in a Jacobian) are computed once.
///
/// Sub-expressions are recognised by value numbering: an operation applied to operand
/// slots already computed gets the slot of the earlier identical instruction. The key
/// is the instruction itself, so a look-up costs O(1) whatever the tree's size (hashing
/// whole trees made compiling an 11,000-species model superlinear).
public struct ProgramBuilder {
    /// Slots below this index are the model's named values; above it, constants and temporaries.
    public private(set) var slotCount: Int
    /// Initial contents of the constant slots.
    public private(set) var constants: [(slot: Int, value: Double)] = []
    private var constantSlots: [Double: Int] = [:]
    private var nanSlot: Int?
    private var computed: [ValueKey: Int] = [:]

    private struct ValueKey: Hashable {
        let operation: Instruction.Operation
        let a: Int32, b: Int32, c: Int32
    }

    public init(firstFreeSlot: Int) { slotCount = firstFreeSlot }

    mutating func newSlot() -> Int {
        defer { slotCount += 1 }
        return slotCount
    }

    mutating func constantSlot(_ v: Double) -> Int {
        if v.isNaN {
            if let s = nanSlot { return s }
            let s = newSlot()
            nanSlot = s
            constants.append((s, v))
            return s
        }
        if let s = constantSlots[v] { return s }
        let s = newSlot()
        constantSlots[v] = s
        constants.append((s, v))
        return s
    }

    /// Forgets cached sub-expressions: needed when a program writes a slot that cached
    /// temporaries were computed from (each program is built with its own cache).
    public mutating func resetCache() { computed.removeAll(keepingCapacity: true) }

    /// Emits code for `e` into `program` and returns the slot holding its value.
    public mutating func emit(_ e: Symbolic, into program: inout Program) -> Int {
        switch e {
        case .slot(let s): return s
        case .constant(let v): return constantSlot(v)
        default: break
        }
        let ins: Instruction
        switch e {
        case .constant, .slot: fatalError("handled above")
        case .unary(let f, let a):
            let sa = emit(a, into: &program)
            ins = Instruction(operation: .init(f), destination: 0, a: Int32(sa), b: 0, c: 0)
        case .binary(let f, let a, let b):
            let sa = emit(a, into: &program), sb = emit(b, into: &program)
            ins = Instruction(operation: .init(f), destination: 0, a: Int32(sa), b: Int32(sb), c: 0)
        case .select(let c, let a, let b):
            let sc = emit(c, into: &program), sa = emit(a, into: &program), sb = emit(b, into: &program)
            ins = Instruction(operation: .select, destination: 0, a: Int32(sc), b: Int32(sa), c: Int32(sb))
        }
        let key = ValueKey(operation: ins.operation, a: ins.a, b: ins.b, c: ins.c)
        if let s = computed[key] { return s }
        var placed = ins
        let d = newSlot()
        placed.destination = Int32(d)
        program.instructions.append(placed)
        computed[key] = d
        return d
    }

    /// The value-numbering key of the instruction that computed the slot `e` was just
    /// emitted to (used to re-point it at a named target).
    private func key(of ins: Instruction) -> ValueKey { ValueKey(operation: ins.operation, a: ins.a, b: ins.b, c: ins.c) }

    /// Emits `e` and stores it into a fixed slot (a named value).
    public mutating func emit(_ e: Symbolic, storingInto target: Int, program: inout Program) {
        let countBefore = program.instructions.count
        let s = emit(e, into: &program)
        if s == target { return }
        if program.instructions.count > countBefore, Int(program.instructions[program.instructions.count - 1].destination) == s {
            // The value was computed just now, by the last instruction: write it straight to
            // the target instead of copying. (A cached value must not be moved: earlier
            // targets may still be reading it.)
            program.instructions[program.instructions.count - 1].destination = Int32(target)
            computed[key(of: program.instructions[program.instructions.count - 1])] = target
            return
        }
        program.instructions.append(Instruction(operation: .copy, destination: Int32(target), a: Int32(s), b: 0, c: 0))
    }
}

/// The reference semantics: a plain recursive tree-walker over the same slots.
/// Tests check that compiled programs agree with it; it is never used on a hot path.
public enum TreeInterpreter {
    public static func evaluate(_ e: Symbolic, memory: UnsafePointer<Double>) -> Double {
        switch e {
        case .constant(let v): return v
        case .slot(let s): return memory[s]
        case .unary(let f, let a): return Evaluation.apply(f, evaluate(a, memory: memory))
        case .binary(let f, let a, let b):
            return Evaluation.apply(f, evaluate(a, memory: memory), evaluate(b, memory: memory))
        case .select(let c, let a, let b):
            return evaluate(c, memory: memory) != 0 ? evaluate(a, memory: memory) : evaluate(b, memory: memory)
        }
    }
}
