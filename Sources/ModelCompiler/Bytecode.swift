/// A register machine for the model's arithmetic: a flat list of three-address
/// instructions over one array of `Double` slots.
///
/// The right-hand side runs as a single loop over this list: no recursion, no
/// allocation, no look-ups by name. Constants live in slots too, so every operand is
/// a slot index.
public struct Instruction: Sendable, Hashable {
    public enum Operation: UInt8, Sendable {
        case copy
        case unary
        case add, subtract, multiply, divide, power
        case binary
        case select
        /// `dst += a * b` (accumulating stoichiometry × rate sums).
        case multiplyAdd
    }
    public var operation: Operation
    /// The built-in for `.unary` / `.binary`.
    public var function: UInt8
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

private let unaryFunctions = Symbolic.UnaryFunction.allCases
private let binaryFunctions = Symbolic.BinaryFunction.allCases

extension Program {
    /// Runs the program over `memory`. The hot loop of every simulation.
    @inline(__always)
    public func run(memory m: UnsafeMutablePointer<Double>) {
        instructions.withUnsafeBufferPointer { code in
            for ins in code {
                let d = Int(ins.destination), a = Int(ins.a), b = Int(ins.b)
                switch ins.operation {
                case .copy: m[d] = m[a]
                case .add: m[d] = m[a] + m[b]
                case .subtract: m[d] = m[a] - m[b]
                case .multiply: m[d] = m[a] * m[b]
                case .divide: m[d] = m[a] / m[b]
                case .power: m[d] = Evaluation.power(m[a], m[b])
                case .multiplyAdd: m[d] += m[a] * m[b]
                case .unary:
                    m[d] = Evaluation.apply(unaryFunctions[Int(ins.function)], m[a])
                case .binary:
                    m[d] = Evaluation.apply(binaryFunctions[Int(ins.function)], m[a], m[b])
                case .select:
                    m[d] = m[a] != 0 ? m[b] : m[Int(ins.c)]
                }
            }
        }
    }
}

/// Turns symbolic expressions into instructions, allocating one slot per distinct
/// sub-expression: identical sub-trees (common in a Jacobian) are computed once.
public struct ProgramBuilder {
    /// Slots below this index are the model's named values; above it, constants and temporaries.
    public private(set) var slotCount: Int
    /// Initial contents of the constant slots.
    public private(set) var constants: [(slot: Int, value: Double)] = []
    private var constantSlots: [Double: Int] = [:]
    private var nanSlot: Int?
    private var computed: [Symbolic: Int] = [:]

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
    public mutating func resetCache() { computed = [:] }

    /// Emits code for `e` into `program` and returns the slot holding its value.
    public mutating func emit(_ e: Symbolic, into program: inout Program) -> Int {
        switch e {
        case .slot(let s): return s
        case .constant(let v): return constantSlot(v)
        default: break
        }
        if let s = computed[e] { return s }
        let ins: Instruction
        switch e {
        case .constant, .slot: fatalError("handled above")
        case .unary(let f, let a):
            let sa = emit(a, into: &program)
            ins = Instruction(operation: .unary, function: UInt8(unaryFunctions.firstIndex(of: f)!),
                              destination: 0, a: Int32(sa), b: 0, c: 0)
        case .binary(let f, let a, let b):
            let sa = emit(a, into: &program), sb = emit(b, into: &program)
            let op: Instruction.Operation
            switch f {
            case .add: op = .add
            case .subtract: op = .subtract
            case .multiply: op = .multiply
            case .divide: op = .divide
            case .power: op = .power
            default: op = .binary
            }
            ins = Instruction(operation: op, function: UInt8(binaryFunctions.firstIndex(of: f)!),
                              destination: 0, a: Int32(sa), b: Int32(sb), c: 0)
        case .select(let c, let a, let b):
            let sc = emit(c, into: &program), sa = emit(a, into: &program), sb = emit(b, into: &program)
            ins = Instruction(operation: .select, function: 0, destination: 0, a: Int32(sc), b: Int32(sa), c: Int32(sb))
        }
        var placed = ins
        let d = newSlot()
        placed.destination = Int32(d)
        program.instructions.append(placed)
        computed[e] = d
        return d
    }

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
            computed[e] = target
            return
        }
        program.instructions.append(Instruction(operation: .copy, function: 0, destination: Int32(target), a: Int32(s), b: 0, c: 0))
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
