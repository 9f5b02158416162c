/// A register machine for the model's arithmetic: a flat list of three-address
/// instructions over one array of `Double` slots.
///
/// The right-hand side runs as a single loop over this list: no recursion, no
/// allocation, no look-ups by name. Constants live in slots too, so every operand is
/// a slot index.
public struct Instruction: Sendable, Hashable {
    /// One flat opcode space, so the machine dispatches with a single switch.
    public enum Operation: UInt8, Sendable, CaseIterable {
        case copy, add, subtract, multiply, divide, power, select
        // Unary built-ins.
        case negate, not, exp, ln, log10, log2, sqrt, abs, floor, ceil
        case sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh
        case sec, csc, cot, factorial
        // Other binary built-ins.
        case min, max, less, lessEqual, greater, greaterEqual, equal, notEqual, and, or, xor
        // Two arithmetic operations in one, made by `ProgramCode` where a temporary is read
        // only once: `xY` computes `(a x b) Y c`, and `xYReversed` computes `c Y (a x b)`
        // (needed only where Y does not commute). Same operations, same order, same bits.
        case addAdd, addSubtract, addMultiply, addDivide
        case subtractAdd, subtractSubtract, subtractMultiply, subtractDivide
        case multiplyAdd, multiplySubtract, multiplyMultiply, multiplyDivide
        case divideAdd, divideSubtract, divideMultiply, divideDivide
        case addSubtractReversed, subtractSubtractReversed, multiplySubtractReversed, divideSubtractReversed
        case addDivideReversed, subtractDivideReversed, multiplyDivideReversed, divideDivideReversed

        // Switches, not look-ups: the compiler emits one per instruction, and hashing the
        // functions' string raw values was a measurable part of loading large models.
        init(_ f: Symbolic.UnaryFunction) {
            switch f {
            case .negate: self = .negate
            case .not: self = .not
            case .exp: self = .exp
            case .ln: self = .ln
            case .log10: self = .log10
            case .log2: self = .log2
            case .sqrt: self = .sqrt
            case .abs: self = .abs
            case .floor: self = .floor
            case .ceil: self = .ceil
            case .sin: self = .sin
            case .cos: self = .cos
            case .tan: self = .tan
            case .asin: self = .asin
            case .acos: self = .acos
            case .atan: self = .atan
            case .sinh: self = .sinh
            case .cosh: self = .cosh
            case .tanh: self = .tanh
            case .asinh: self = .asinh
            case .acosh: self = .acosh
            case .atanh: self = .atanh
            case .sec: self = .sec
            case .csc: self = .csc
            case .cot: self = .cot
            case .factorial: self = .factorial
            }
        }
        init(_ f: Symbolic.BinaryFunction) {
            switch f {
            case .add: self = .add
            case .subtract: self = .subtract
            case .multiply: self = .multiply
            case .divide: self = .divide
            case .power: self = .power
            case .min: self = .min
            case .max: self = .max
            case .less: self = .less
            case .lessEqual: self = .lessEqual
            case .greater: self = .greater
            case .greaterEqual: self = .greaterEqual
            case .equal: self = .equal
            case .notEqual: self = .notEqual
            case .and: self = .and
            case .or: self = .or
            case .xor: self = .xor
            }
        }

        /// The built-in this operation applies, if it is one of one argument.
        var unaryFunction: Symbolic.UnaryFunction? { Symbolic.UnaryFunction(rawValue: String(describing: self)) }
        /// How many operand slots it reads: `a`, then `b`, then `c`.
        var operandCount: Int { Self.operandCounts[Int(rawValue)] }

        private static let operandCounts: [Int] = {
            var counts: [Int] = []
            var raw: UInt8 = 0
            while let op = Operation(rawValue: raw) {
                counts.append(op == .select || op.rawValue >= Operation.addAdd.rawValue ? 3 : op == .copy || op.unaryFunction != nil ? 1 : 2)
                raw += 1
            }
            return counts
        }()

        /// The four operations that fuse into pairs.
        static let arithmetic: [Operation] = [.add, .subtract, .multiply, .divide]

        /// `(a inner b) outer c`, or with `reversed`, `c outer (a inner b)`; nil unless both
        /// are arithmetic.
        static func fused(_ inner: Operation, _ outer: Operation, reversed: Bool) -> Operation? {
            guard let i = arithmetic.firstIndex(of: inner), let o = arithmetic.firstIndex(of: outer) else { return nil }
            if !reversed { return Operation(rawValue: Operation.addAdd.rawValue + UInt8(4 * i + o)) }
            switch outer {
            case .add, .multiply: return fused(inner, outer, reversed: false)  // they commute, bit for bit
            case .subtract: return Operation(rawValue: Operation.addSubtractReversed.rawValue + UInt8(i))
            default: return Operation(rawValue: Operation.addDivideReversed.rawValue + UInt8(i))
            }
        }

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

/// A program made ready to run: its instructions regrouped into *batches* of one
/// operation each, so that the machine dispatches once per batch instead of once per
/// instruction.
///
/// Why: run one instruction at a time, the right-hand side spent most of its time in the
/// dispatch (an unpredictable indirect jump per instruction) and waiting for the
/// previous instruction's result. Models built from repeated motifs (every compartment
/// of a dendrite, every copy of a reaction scheme) compute the same operation on many
/// independent values at the same depth of the expression graph, so grouping by depth
/// and then by operation gives long batches whose iterations are independent.
///
/// Scheduling: each instruction gets a *level*, one more than the level of every
/// earlier instruction it must follow (one that writes a slot it reads, or reads or
/// writes the slot it writes). Instructions on one level are therefore independent, and
/// running the levels in order, each level's instructions in any order, computes
/// exactly what running the program in order computes: the same operations on the same
/// operands, bit for bit. Within a level, instructions are grouped by operation.
///
/// The code lives in manually allocated memory so the machine walks it without Swift
/// arrays (no bounds checks, no reference counting in the solver's callbacks). The class
/// owns that memory and frees it in `deinit`; it is written only while `init` runs, so
/// any number of threads may run one program at once (each over its own memory), which is
/// why the unchecked `Sendable` holds.
final class ProgramCode: @unchecked Sendable {
    /// One instruction's slots; the operation is its batch's.
    struct Operands {
        var destination: Int32, a: Int32, b: Int32, c: Int32
    }
    /// Consecutive operands `start..<end` that all apply `operation`.
    struct Batch {
        var operation: Instruction.Operation
        var start: Int32, end: Int32
    }

    let operands: UnsafeMutablePointer<Operands>
    let batches: UnsafeMutablePointer<Batch>
    /// Number of instructions.
    let count: Int
    let batchCount: Int
    /// Slots that hold only this program's own temporaries (after renaming): native code
    /// keeps them in local variables instead of memory.
    private(set) var localSlots: [Int32] = []
    /// The first slot that is not a named value (`Temporaries.first`): slots from here on
    /// that no program writes are constants.
    let firstUnnamedSlot: Int32
    /// Which written slots a program may rename: its own temporaries.
    struct Temporaries {
        /// The program builder's first slot: below it are named values, which keep their slots.
        var first: Int
        /// Temporaries read after the program has run (e.g. Jacobian entries), which keep theirs.
        var outputs: Set<Int>
        /// Named values the program computes only for its own use, which it may treat as
        /// temporaries too: the right-hand side recomputes every reaction rate and
        /// concentration, but nothing reads them from memory afterwards (output and events
        /// call `update`, which computes them again), so they need not occupy a slot each.
        var renamable: Set<Int> = []

        /// Whether `slot`, written `writes` times by the program, is the program's own.
        func isPrivate(_ slot: Int, writes: Int) -> Bool {
            writes == 1 && (slot >= first || renamable.contains(slot)) && !outputs.contains(slot)
        }
    }

    /// Prepares `program`; with `scheduled: false` every instruction is its own batch, in
    /// program order (the reference the scheduled form is tested against).
    ///
    /// With `temporaries`, the program's own temporaries are renamed so that a slot is
    /// reused once its value has been read for the last time: the memory a run touches
    /// shrinks from every temporary to those alive at once (for a 1100-state model, from
    /// a quarter of a megabyte to what fits in the first-level cache).
    init(_ program: Program, scheduled: Bool = true, temporaries: Temporaries? = nil) {
        let instructions = scheduled && temporaries != nil ? Self.fuse(program.instructions, temporaries!) : program.instructions
        count = instructions.count
        firstUnnamedSlot = Int32(temporaries?.first ?? Int(Int32.max))
        let order = scheduled ? Self.schedule(instructions) : instructions.indices.map { (level: $0, index: $0) }
        operands = .allocate(capacity: max(1, count))
        var groups: [Batch] = []
        var previousLevel = -1
        for (k, (level, i)) in order.enumerated() {
            let ins = instructions[i]
            operands[k] = Operands(destination: ins.destination, a: ins.a, b: ins.b, c: ins.c)
            if level == previousLevel, let last = groups.last, last.operation == ins.operation {
                groups[groups.count - 1].end += 1
            } else {
                groups.append(Batch(operation: ins.operation, start: Int32(k), end: Int32(k + 1)))
            }
            previousLevel = level
        }
        batchCount = groups.count
        batches = .allocate(capacity: max(1, groups.count))
        batches.initialize(from: groups, count: groups.count)
        if scheduled, let temporaries { localSlots = reuseTemporaries(temporaries, batches: groups) }
    }

    /// Merges each arithmetic instruction whose result is a private temporary (written
    /// once, not an output) read by exactly one later arithmetic instruction into that
    /// reader, as one fused operation: mass-action products `k·x·y`, `k₁·x − k₂·y`,
    /// `v·s/(K + s)` and running sums each lose an instruction, a batch and a round trip
    /// through memory. Only where neither of the merged instruction's operands is written
    /// in between, so the fused instruction reads the values the original one read.
    static func fuse(_ instructions: [Instruction], _ temporaries: Temporaries) -> [Instruction] {
        var highest: Int32 = 0
        for ins in instructions { highest = max(highest, ins.destination, ins.a, ins.b, ins.c) }
        var writes = [Int](repeating: 0, count: Int(highest) + 1), reads = writes
        for ins in instructions {
            writes[Int(ins.destination)] += 1
            let n = ins.operation.operandCount
            if n > 0 { reads[Int(ins.a)] += 1 }
            if n > 1 { reads[Int(ins.b)] += 1 }
            if n > 2 { reads[Int(ins.c)] += 1 }
        }
        let readOnce = writes.indices.map { reads[$0] == 1 && temporaries.isPrivate($0, writes: writes[$0]) }
        var out = instructions
        var removed = [Bool](repeating: false, count: instructions.count)
        // Index of the latest instruction (so far) writing each slot; -1: none yet.
        var lastWrite = [Int](repeating: -1, count: Int(highest) + 1)
        for i in out.indices {
            let ins = out[i]
            if Instruction.Operation.arithmetic.contains(ins.operation) {
                for (operand, other, reversed) in [(ins.a, ins.b, false), (ins.b, ins.a, true)] where readOnce[Int(operand)] {
                    let j = lastWrite[Int(operand)]
                    guard j >= 0 else { continue }
                    let producer = out[j]
                    guard lastWrite[Int(producer.a)] < j, lastWrite[Int(producer.b)] < j,
                          let op = Instruction.Operation.fused(producer.operation, ins.operation, reversed: reversed) else { continue }
                    out[i] = Instruction(operation: op, destination: ins.destination, a: producer.a, b: producer.b, c: other)
                    removed[j] = true
                    break
                }
            }
            lastWrite[Int(ins.destination)] = i
        }
        return out.indices.filter { !removed[$0] }.map { out[$0] }
    }

    /// Renames the program's private temporaries (written once, at or above
    /// `temporaries.first`, not outputs) in place, handing out their slots again once
    /// the last batch reading a value has run. A slot freed by batch `b` is handed out
    /// from batch `b + 1` on, so no instruction of a batch overwrites what another
    /// instruction of the same batch still reads. Returns the slots handed out, sorted.
    private func reuseTemporaries(_ temporaries: Temporaries, batches: [Batch]) -> [Int32] {
        var highest: Int32 = 0
        for k in 0..<count { highest = max(highest, operands[k].destination, operands[k].a, operands[k].b, operands[k].c) }
        var writes = [Int](repeating: 0, count: Int(highest) + 1)
        for k in 0..<count { writes[Int(operands[k].destination)] += 1 }
        let privateSlot = writes.indices.map { temporaries.isPrivate($0, writes: writes[$0]) }
        func isPrivate(_ s: Int32) -> Bool { privateSlot[Int(s)] }
        // The last batch reading each private slot (or writing it, if nothing reads it).
        var lastUse = [Int](repeating: -1, count: Int(highest) + 1)
        var privateSlots: [Int32] = []
        for (b, batch) in batches.enumerated() {
            let readCount = batch.operation.operandCount
            for k in Int(batch.start)..<Int(batch.end) {
                let o = operands[k]
                if isPrivate(o.destination) {
                    privateSlots.append(o.destination)
                    lastUse[Int(o.destination)] = b
                }
                if readCount > 0, isPrivate(o.a) { lastUse[Int(o.a)] = b }
                if readCount > 1, isPrivate(o.b) { lastUse[Int(o.b)] = b }
                if readCount > 2, isPrivate(o.c) { lastUse[Int(o.c)] = b }
            }
        }
        var dying: [[Int32]] = Array(repeating: [], count: batches.count)
        for s in privateSlots { dying[lastUse[Int(s)]].append(s) }
        // A stack of free slots: lowest on top at first, so a batch writes consecutive
        // slots; later the most recently freed (still cached) on top.
        var free = privateSlots.sorted(by: >)
        var renamed = [Int32](repeating: -1, count: Int(highest) + 1)
        func name(_ s: Int32) -> Int32 { renamed[Int(s)] >= 0 ? renamed[Int(s)] : s }
        for (b, batch) in batches.enumerated() {
            let readCount = batch.operation.operandCount
            for k in Int(batch.start)..<Int(batch.end) {
                var o = operands[k]
                if readCount > 0 { o.a = name(o.a) }
                if readCount > 1 { o.b = name(o.b) }
                if readCount > 2 { o.c = name(o.c) }
                if isPrivate(o.destination) {
                    let slot = free.removeLast()
                    renamed[Int(o.destination)] = slot
                    o.destination = slot
                }
                operands[k] = o
            }
            // Values last read by this batch free their slots for the batches after it.
            free += dying[b].map { renamed[Int($0)] }.sorted(by: >)
        }
        return Set(privateSlots.map { renamed[Int($0)] }).sorted()
    }

    /// The instructions that `outputs` depend on, in the order this program runs them: a
    /// program that computes those slots as this one does (the same operations on the same
    /// operands, so to the same bits) and nothing else. The batches run one after another
    /// and a renamed temporary is handed out again only to a later batch, so walking the
    /// operands backwards from the end, keeping the last write of each slot still needed,
    /// finds exactly the values the outputs read.
    func slice(computing outputs: Set<Int32>) -> ProgramCode {
        var needed = outputs
        var kept: [Instruction] = []
        for b in stride(from: batchCount - 1, through: 0, by: -1) {
            let batch = batches[b]
            let readCount = batch.operation.operandCount
            for k in stride(from: Int(batch.end) - 1, through: Int(batch.start), by: -1) {
                let o = operands[k]
                guard needed.remove(o.destination) != nil else { continue }
                kept.append(Instruction(operation: batch.operation, destination: o.destination, a: o.a, b: o.b, c: o.c))
                if readCount > 0 { needed.insert(o.a) }
                if readCount > 1 { needed.insert(o.b) }
                if readCount > 2 { needed.insert(o.c) }
            }
        }
        var program = Program()
        program.instructions = kept.reversed()
        return ProgramCode(program)
    }

    /// The slots the program writes (for tests of the renaming).
    var writtenSlots: Set<Int32> { Set((0..<count).map { operands[$0].destination }) }

    deinit {
        operands.deallocate()
        batches.deallocate()
    }

    /// Instruction indices in execution order, sorted by level, then operation, then
    /// program order; each with its level.
    static func schedule(_ instructions: [Instruction]) -> [(level: Int, index: Int)] {
        var highestSlot: Int32 = 0
        for ins in instructions { highestSlot = max(highestSlot, ins.destination, ins.a, ins.b, ins.c) }
        // Per slot: the level of its latest write, and the highest level reading it since
        // (-1: none in this program).
        var writtenAt = [Int](repeating: -1, count: Int(highestSlot) + 1)
        var readAt = [Int](repeating: -1, count: Int(highestSlot) + 1)
        var levels = [Int](repeating: 0, count: instructions.count)
        for (i, ins) in instructions.enumerated() {
            let readCount = ins.operation.operandCount
            func read(_ k: Int) -> Int { Int(k == 0 ? ins.a : k == 1 ? ins.b : ins.c) }
            var level = max(writtenAt[Int(ins.destination)], readAt[Int(ins.destination)]) + 1
            for k in 0..<readCount { level = max(level, writtenAt[read(k)] + 1) }
            levels[i] = level
            for k in 0..<readCount { readAt[read(k)] = max(readAt[read(k)], level) }
            writtenAt[Int(ins.destination)] = level
        }
        // A counting sort on (level, operation): linear in the program's length, which
        // matters for 100 000-instruction programs (a comparison sort doubled compile time).
        let operationCount = Int(Instruction.Operation.allCases.count)
        let keyCount = ((levels.max() ?? 0) + 1) * operationCount
        var starts = [Int](repeating: 0, count: keyCount + 1)
        func key(_ i: Int) -> Int { levels[i] * operationCount + Int(instructions[i].operation.rawValue) }
        for i in instructions.indices { starts[key(i) + 1] += 1 }
        for k in 0..<keyCount { starts[k + 1] += starts[k] }
        var order = [(level: Int, index: Int)](repeating: (0, 0), count: instructions.count)
        for i in instructions.indices {
            let k = key(i)
            order[starts[k]] = (levels[i], i)
            starts[k] += 1
        }
        return order
    }

    /// Runs the program over memory `m`. The hot loop of every simulation.
    func run(memory m: UnsafeMutablePointer<Double>) {
        for k in 0..<batchCount {
            let batch = batches[k]
            let first = operands + Int(batch.start), end = operands + Int(batch.end)
            switch batch.operation {
            case .copy: Self.each(first, end) { m[$0.d] = m[$0.a] }
            case .add: Self.each(first, end) { m[$0.d] = m[$0.a] + m[$0.b] }
            case .subtract: Self.each(first, end) { m[$0.d] = m[$0.a] - m[$0.b] }
            case .multiply: Self.each(first, end) { m[$0.d] = m[$0.a] * m[$0.b] }
            case .divide: Self.each(first, end) { m[$0.d] = m[$0.a] / m[$0.b] }
            case .power: Self.each(first, end) { m[$0.d] = Evaluation.power(m[$0.a], m[$0.b]) }
            case .select: Self.each(first, end) { m[$0.d] = m[$0.a] != 0 ? m[$0.b] : m[$0.c] }
            case .negate: Self.each(first, end) { m[$0.d] = -m[$0.a] }
            case .sqrt: Self.each(first, end) { m[$0.d] = m[$0.a].squareRoot() }
            case .abs: Self.each(first, end) { m[$0.d] = Swift.abs(m[$0.a]) }
            case .less: Self.each(first, end) { m[$0.d] = m[$0.a] < m[$0.b] ? 1 : 0 }
            case .lessEqual: Self.each(first, end) { m[$0.d] = m[$0.a] <= m[$0.b] ? 1 : 0 }
            case .greater: Self.each(first, end) { m[$0.d] = m[$0.a] > m[$0.b] ? 1 : 0 }
            case .greaterEqual: Self.each(first, end) { m[$0.d] = m[$0.a] >= m[$0.b] ? 1 : 0 }
            case .equal: Self.each(first, end) { m[$0.d] = m[$0.a] == m[$0.b] ? 1 : 0 }
            case .notEqual: Self.each(first, end) { m[$0.d] = m[$0.a] != m[$0.b] ? 1 : 0 }
            case .addAdd: Self.each(first, end) { m[$0.d] = (m[$0.a] + m[$0.b]) + m[$0.c] }
            case .addSubtract: Self.each(first, end) { m[$0.d] = (m[$0.a] + m[$0.b]) - m[$0.c] }
            case .addMultiply: Self.each(first, end) { m[$0.d] = (m[$0.a] + m[$0.b]) * m[$0.c] }
            case .addDivide: Self.each(first, end) { m[$0.d] = (m[$0.a] + m[$0.b]) / m[$0.c] }
            case .subtractAdd: Self.each(first, end) { m[$0.d] = (m[$0.a] - m[$0.b]) + m[$0.c] }
            case .subtractSubtract: Self.each(first, end) { m[$0.d] = (m[$0.a] - m[$0.b]) - m[$0.c] }
            case .subtractMultiply: Self.each(first, end) { m[$0.d] = (m[$0.a] - m[$0.b]) * m[$0.c] }
            case .subtractDivide: Self.each(first, end) { m[$0.d] = (m[$0.a] - m[$0.b]) / m[$0.c] }
            case .multiplyAdd: Self.each(first, end) { m[$0.d] = (m[$0.a] * m[$0.b]) + m[$0.c] }
            case .multiplySubtract: Self.each(first, end) { m[$0.d] = (m[$0.a] * m[$0.b]) - m[$0.c] }
            case .multiplyMultiply: Self.each(first, end) { m[$0.d] = (m[$0.a] * m[$0.b]) * m[$0.c] }
            case .multiplyDivide: Self.each(first, end) { m[$0.d] = (m[$0.a] * m[$0.b]) / m[$0.c] }
            case .divideAdd: Self.each(first, end) { m[$0.d] = (m[$0.a] / m[$0.b]) + m[$0.c] }
            case .divideSubtract: Self.each(first, end) { m[$0.d] = (m[$0.a] / m[$0.b]) - m[$0.c] }
            case .divideMultiply: Self.each(first, end) { m[$0.d] = (m[$0.a] / m[$0.b]) * m[$0.c] }
            case .divideDivide: Self.each(first, end) { m[$0.d] = (m[$0.a] / m[$0.b]) / m[$0.c] }
            case .addSubtractReversed: Self.each(first, end) { m[$0.d] = m[$0.c] - (m[$0.a] + m[$0.b]) }
            case .subtractSubtractReversed: Self.each(first, end) { m[$0.d] = m[$0.c] - (m[$0.a] - m[$0.b]) }
            case .multiplySubtractReversed: Self.each(first, end) { m[$0.d] = m[$0.c] - (m[$0.a] * m[$0.b]) }
            case .divideSubtractReversed: Self.each(first, end) { m[$0.d] = m[$0.c] - (m[$0.a] / m[$0.b]) }
            case .addDivideReversed: Self.each(first, end) { m[$0.d] = m[$0.c] / (m[$0.a] + m[$0.b]) }
            case .subtractDivideReversed: Self.each(first, end) { m[$0.d] = m[$0.c] / (m[$0.a] - m[$0.b]) }
            case .multiplyDivideReversed: Self.each(first, end) { m[$0.d] = m[$0.c] / (m[$0.a] * m[$0.b]) }
            case .divideDivideReversed: Self.each(first, end) { m[$0.d] = m[$0.c] / (m[$0.a] / m[$0.b]) }
            // The rest are rare in kinetic models: one shared path through `Evaluation`.
            default: Self.runRare(batch.operation, first, end, m)
            }
        }
    }

    /// Applies `body` to every instruction of a batch, with its slots as `Int`s.
    @inline(__always)
    private static func each(_ first: UnsafeMutablePointer<Operands>, _ end: UnsafeMutablePointer<Operands>,
                             _ body: (_ slots: (d: Int, a: Int, b: Int, c: Int)) -> Void) {
        var p = first
        while p < end {
            let o = p.pointee
            body((Int(o.destination), Int(o.a), Int(o.b), Int(o.c)))
            p += 1
        }
    }

    @inline(never)
    private static func runRare(_ operation: Instruction.Operation, _ first: UnsafeMutablePointer<Operands>,
                                _ end: UnsafeMutablePointer<Operands>, _ m: UnsafeMutablePointer<Double>) {
        @inline(__always) func unary(_ f: Symbolic.UnaryFunction) { each(first, end) { m[$0.d] = Evaluation.apply(f, m[$0.a]) } }
        @inline(__always) func binary(_ f: Symbolic.BinaryFunction) { each(first, end) { m[$0.d] = Evaluation.apply(f, m[$0.a], m[$0.b]) } }
        switch operation {
        case .not: unary(.not)
        case .exp: unary(.exp)
        case .ln: unary(.ln)
        case .log10: unary(.log10)
        case .log2: unary(.log2)
        case .floor: unary(.floor)
        case .ceil: unary(.ceil)
        case .sin: unary(.sin)
        case .cos: unary(.cos)
        case .tan: unary(.tan)
        case .asin: unary(.asin)
        case .acos: unary(.acos)
        case .atan: unary(.atan)
        case .sinh: unary(.sinh)
        case .cosh: unary(.cosh)
        case .tanh: unary(.tanh)
        case .asinh: unary(.asinh)
        case .acosh: unary(.acosh)
        case .atanh: unary(.atanh)
        case .sec: unary(.sec)
        case .csc: unary(.csc)
        case .cot: unary(.cot)
        case .factorial: unary(.factorial)
        case .min: binary(.min)
        case .max: binary(.max)
        case .and: binary(.and)
        case .or: binary(.or)
        case .xor: binary(.xor)
        default:
            preconditionFailure("\(operation) runs on the common path")
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

    struct ValueKey: Hashable {
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

    /// The sub-expressions known at one point of emitting, so that several programs can
    /// start with the same instructions: each restores the checkpoint after copying them.
    public struct Checkpoint {
        let computed: [ValueKey: Int]
    }
    public var checkpoint: Checkpoint { Checkpoint(computed: computed) }
    public mutating func restore(_ checkpoint: Checkpoint) { computed = checkpoint.computed }

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

/// A program as a model runs it: its bytecode, and the same program as machine code when
/// the model was built with native code (`NativeCode`), which then runs instead.
struct ExecutableProgram: Sendable {
    let code: ProgramCode
    let native: NativeProgram?

    init(_ code: ProgramCode, native: NativeProgram? = nil) {
        self.code = code
        self.native = native
    }

    @inline(__always)
    func run(memory m: UnsafeMutablePointer<Double>) {
        if let native {
            native(m)
            return
        }
        code.run(memory: m)
    }
}
