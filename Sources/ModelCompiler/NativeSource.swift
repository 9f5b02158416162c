public import KineticsCore

/// A program compiled to machine code: reads and writes the model's memory, like
/// `ProgramCode.run`, and computes the same bits.
public typealias NativeProgram = @convention(c) (UnsafeMutablePointer<Double>) -> Void
/// The right-hand side compiled to machine code: `(t, y, ydot, memory)`, doing what
/// `CompiledModel.evaluateRHS` does in one call.
public typealias NativeRightHandSide = DirectRightHandSide.Function

/// The model's programs as one C translation unit, for `NativeCode` to compile.
///
/// Why C: the bytecode machine spends most of an evaluation dispatching and moving
/// operands through memory (about 200 ns per right-hand side of a 15-state model against
/// 20 ns for hand-written C). Translated to C, each program becomes straight-line code
/// whose temporaries live in registers.
///
/// The translation keeps the results bit-identical to the bytecode: every instruction
/// becomes one C statement computing the same operation on the same operands in the same
/// order; the built-ins call the same C library functions the bytecode calls; and the
/// compiler must be run without floating-point contraction or reassociation
/// (`NativeSource.requiredFlags`), so `a*b + c` is not turned into a fused multiply-add.
public struct NativeSource: Sendable {
    /// The C source: a prelude, then one function per program.
    public let text: String
    /// The exported function of each program, in the order the programs were given.
    public let symbols: [String]
    /// The exported right-hand side with state input and derivative output
    /// (`NativeRightHandSide`), when one was asked for.
    public let rightHandSideSymbol: String?

    /// Compiler flags the translation is only exact with.
    public static let requiredFlags = ["-ffp-contract=off", "-fno-fast-math"]

    /// How programs become C: as straight-line code (one C statement per instruction,
    /// temporaries in registers) or with their long batches as loops (see
    /// `ProgramCode.loopThreshold`). Straight-line code runs faster but takes the C
    /// compiler time that grows faster than its length, so it is used up to sizes where
    /// compiling stays short. Measured on the dendrite chain (right-hand side about 58
    /// instructions per compartment, Jacobian about 110):
    ///
    /// | compartments | layout | compile | right-hand side, per evaluation |
    /// | --- | --- | --- | --- |
    /// | 10 | loops | 1.2 s | 3,300 instructions |
    /// | 10 | straight-line, one function | 1.0 s | 2,100 |
    /// | 100 | loops | 2.3 s | 67,000 |
    /// | 100 | straight-line, one function | 36 s | — |
    /// | 100 | right-hand side in 1,000-instruction parts | 9.9 s | — |
    /// | 100 | right-hand side in 250-instruction parts | 4.4 s | 19,300 (whole simulation −11 %) |
    /// | 1000 | right-hand side in 200-instruction parts | 93 s | no faster than loops |
    public struct Layout: Sendable {
        /// Programs of at most this many instructions are one straight-line function.
        public var straightLineLimit: Int
        /// A right-hand side longer than that, up to this many instructions, is
        /// straight-line code in parts of `partSize` instructions (each its own function,
        /// which keeps compiling linear in length); longer ones use loops, like every
        /// other long program (they run rarely, and compiling them straight costs more
        /// than it saves).
        public var partedLimit: Int
        public var partSize: Int

        public init(straightLineLimit: Int, partedLimit: Int, partSize: Int) {
            self.straightLineLimit = straightLineLimit
            self.partedLimit = partedLimit
            self.partSize = partSize
        }

        public static let standard = Layout(straightLineLimit: 2000, partedLimit: 20_000, partSize: 250)
    }

    /// Bumped whenever the translation changes, so cached libraries built from older
    /// translations are never reused by mistake.
    static let version = 8

    /// How the right-hand side reads the state and writes the derivatives.
    struct StateTransfer {
        var stateSlots: [Int32]
        var derivativeSlots: [Int32]
    }

    /// `constant(slot)` gives the value of a slot no program writes (a literal in the
    /// code, so the C compiler can fold it: `pow(x, 2)` becomes `x*x`).
    /// Constants read by the programs at `foldingConstants` indices (and by the right-hand
    /// side) become literals; the others read them from memory, so that models differing
    /// only in such constants (event and pulse times, in the switch programs) share one
    /// library: an STDP sweep compiles once, not once per interval.
    init(programs: [ProgramCode], foldingConstants: Set<Int>, prefix: String,
         rightHandSide: (program: ProgramCode, transfer: StateTransfer)? = nil,
         layout: Layout = .standard, constant: (Int32) -> Double) {
        let all = programs + [rightHandSide?.program].compactMap({ $0 })
        var written = Set<Int32>()
        for program in all {
            for k in 0..<program.count { written.insert(program.operands[k].destination) }
        }
        var constants: [Int32: String] = [:]
        for (index, program) in all.enumerated() where foldingConstants.contains(index) || index == programs.count {
            for k in 0..<program.count {
                let o = program.operands[k]
                for s in [o.a, o.b, o.c] where s >= program.firstUnnamedSlot && !written.contains(s) {
                    constants[s] = Self.cLiteral(constant(s))
                }
            }
        }
        var text = Self.prelude
        var symbols: [String] = []
        for (k, program) in programs.enumerated() {
            let symbol = "\(prefix)_\(k)"
            symbols.append(symbol)
            let literal: (Int32) -> String? = foldingConstants.contains(k) ? { constants[$0] } : { _ in nil }
            program.appendC(function: symbol, literal: literal, layout: layout, to: &text)
        }
        if let (program, transfer) = rightHandSide {
            let symbol = "\(prefix)_rhs"
            program.appendC(function: symbol, literal: { constants[$0] }, transfer: transfer,
                            layout: layout, to: &text)
            rightHandSideSymbol = symbol
        } else {
            rightHandSideSymbol = nil
        }
        self.text = text
        self.symbols = symbols
    }

    /// A C literal with exactly the value `v` (Swift prints the shortest decimal that
    /// reads back as `v`, and C compilers read decimals correctly rounded).
    static func cLiteral(_ v: Double) -> String {
        if v.isNaN { return "NAN" }
        if v.isInfinite { return v < 0 ? "(-INFINITY)" : "INFINITY" }
        let text = "\(v)"
        return v < 0 || text.hasPrefix("-") ? "(\(text))" : text
    }

    /// Helpers shared by every program: the same definitions as `Evaluation`.
    private static let prelude = """
        /* Generated by Kinapse (native translation \(version)) from a compiled model. Do not edit. */
        #include <math.h>
        static inline double kp_power(double x, double y) {
            if (y == 2) return x * x;
            if (y >= -16 && y <= 16 && y == round(y) && y != 0) {
                long e = (long)fabs(y);
                double base = x, result = 1.0;
                for (;;) {
                    if (e & 1) result *= base;
                    e >>= 1;
                    if (e == 0) break;
                    base *= base;
                }
                return y < 0 ? 1 / result : result;
            }
            if (y == 0.5) return sqrt(x);
            return pow(x, y);
        }
        static inline double kp_min(double x, double y) { return isnan(x) || isnan(y) ? NAN : (y < x ? y : x); }
        static inline double kp_max(double x, double y) { return isnan(x) || isnan(y) ? NAN : (y >= x ? y : x); }
        static inline double kp_factorial(double x) { return x >= 0 && x == round(x) ? tgamma(x + 1) : NAN; }

        """
}

extension ProgramCode {
    /// Batches at least this long run as a loop over a table of operand slots instead of
    /// one statement per instruction. Why: C compilers take time superlinear in the length
    /// of straight-line code (a 100-compartment dendrite took minutes), while a loop costs
    /// the same to compile whatever its length; and long batches are where the bytecode
    /// machine's dispatch was already cheap.
    static let loopThreshold = 16

    /// Appends `void function(double *m)` running this program in the order `run` uses,
    /// laid out as `layout` says: as straight-line code (temporaries in local variables,
    /// constants as literals), possibly in parts, or with long batches as loops. With
    /// `transfer`, the function is a `NativeRightHandSide` that first stores time and
    /// state into memory and ends by copying the derivatives out, as
    /// `CompiledModel.evaluateRHS` does around `run`.
    func appendC(function: String, literal: (Int32) -> String?, transfer: NativeSource.StateTransfer? = nil,
                 layout: NativeSource.Layout, to text: inout String) {
        if transfer != nil, count > layout.straightLineLimit, count <= layout.partedLimit {
            appendPartedC(function: function, literal: literal, transfer: transfer, partSize: layout.partSize, to: &text)
            return
        }
        // Slots a loop touches live in memory: the loop indexes them through its table.
        var inLoops = Set<Int32>()
        let loopThreshold = count <= layout.straightLineLimit ? Int.max : Self.loopThreshold
        for b in 0..<batchCount where batches[b].end - batches[b].start >= loopThreshold {
            for i in Int(batches[b].start)..<Int(batches[b].end) {
                let o = operands[i]
                inLoops.formUnion([o.destination, o.a, o.b, o.c])
            }
        }
        let localList = localSlots.filter { !inLoops.contains($0) }
        let locals = Set(localList)
        func slot(_ s: Int32) -> String { locals.contains(s) ? "r\(s)" : literal(s) ?? "m[\(s)]" }
        Self.appendOpening(function: function, transfer: transfer, to: &text)
        Self.appendDeclarations(of: localList, to: &text)
        for b in 0..<batchCount {
            let batch = batches[b]
            let length = Int(batch.end - batch.start)
            if length >= loopThreshold {
                let reads = batch.operation.operandCount
                let split = StridedRuns((Int(batch.start)..<Int(batch.end)).map { operands[$0] }, reads: reads)
                if !split.runs.isEmpty {
                    // One row per run: its length, then base and stride of each slot. The
                    // lengths stay in a table, not in the code, so the C compiler does not
                    // unroll hundreds of short loops into the straight-line code it
                    // compiles slowly.
                    let rowWidth = 1 + 2 * (1 + reads)
                    text += "    {\n        static const int runs[] = {"
                    for (r, run) in split.runs.enumerated() {
                        var row = ["\(run.count)"]
                        for k in 0...reads { row += ["\(run.first[k])", "\(run.stride[k])"] }
                        text += row.joined(separator: ",") + ","
                        if r % 4 == 3 { text += "\n            " }
                    }
                    text += "};\n"
                    text += "        for (int r = 0; r < \(split.runs.count * rowWidth); r += \(rowWidth)) {\n"
                    text += "            const int *q = runs + r;\n"
                    let operand = (1...3).map { j in j <= reads ? "m[q[\(1 + 2 * j)] + q[\(2 + 2 * j)] * i]" : "0" }
                    text += "            for (int i = 0; i < q[0]; i++) m[q[1] + q[2] * i] = "
                    text += Self.cExpression(batch.operation, operand[0], operand[1], operand[2]) + ";\n        }\n    }\n"
                }
                let rest = split.rest
                if rest.count < Self.loopThreshold {
                    for o in rest { text += Self.statement(batch.operation, o, slot) }
                    continue
                }
                let width = 1 + reads
                text += "    {\n        static const int table[] = {"
                for (i, o) in rest.enumerated() {
                    text += ([o.destination, o.a, o.b, o.c].prefix(width).map { "\($0)" }.joined(separator: ",")) + ","
                    if i % 8 == 7 { text += "\n            " }
                }
                text += "};\n"
                text += "        for (int k = 0; k < \(rest.count * width); k += \(width)) "
                let operand = (1...3).map { j in j <= reads ? "m[table[k + \(j)]]" : "0" }
                text += "m[table[k]] = \(Self.cExpression(batch.operation, operand[0], operand[1], operand[2]));\n    }\n"
                continue
            }
            for i in Int(batch.start)..<Int(batch.end) { text += Self.statement(batch.operation, operands[i], slot) }
        }
        Self.appendClosing(transfer: transfer, slot, to: &text)
    }

    /// The program as straight-line code split into functions of at most `partSize`
    /// instructions each, called in order (see `NativeSource.Layout`). A temporary lives
    /// in a local variable of its function unless its value crosses from one function into
    /// another, where it goes through memory.
    func appendPartedC(function: String, literal: (Int32) -> String?, transfer: NativeSource.StateTransfer?,
                       partSize: Int, to text: inout String) {
        // Execution order, and each instruction's part.
        var order: [(operation: Instruction.Operation, operands: Operands)] = []
        order.reserveCapacity(count)
        for b in 0..<batchCount {
            for k in Int(batches[b].start)..<Int(batches[b].end) { order.append((batches[b].operation, operands[k])) }
        }
        let partCount = (order.count + partSize - 1) / partSize
        // Per part, the slots that must be in memory there: values written in one part
        // and read in a later one, and the derivatives copied out at the end.
        var highest: Int32 = 0
        for (_, o) in order { highest = max(highest, o.destination, o.a, o.b, o.c) }
        var lastWritePart = [Int](repeating: -1, count: Int(highest) + 1)
        var inMemory = [Set<Int32>](repeating: [], count: partCount)
        for (i, (operation, o)) in order.enumerated() {
            let part = i / partSize
            let reads = operation.operandCount
            for (r, slot) in [o.a, o.b, o.c].enumerated() where r < reads {
                let writer = lastWritePart[Int(slot)]
                if writer != part {
                    // Written in an earlier part, or before the program runs.
                    if writer >= 0 { inMemory[writer].insert(slot) }
                    inMemory[part].insert(slot)
                }
            }
            lastWritePart[Int(o.destination)] = part
        }
        for s in transfer?.derivativeSlots ?? [] where Int(s) < lastWritePart.count && lastWritePart[Int(s)] >= 0 {
            inMemory[lastWritePart[Int(s)]].insert(s)
        }
        let privateSlots = Set(localSlots)
        for part in 0..<partCount {
            let range = (part * partSize)..<min(order.count, (part + 1) * partSize)
            var locals = Set<Int32>()
            for i in range {
                let o = order[i].operands
                for slot in [o.destination, o.a, o.b, o.c] where privateSlots.contains(slot) && !inMemory[part].contains(slot) {
                    locals.insert(slot)
                }
            }
            func slot(_ s: Int32) -> String { locals.contains(s) ? "r\(s)" : literal(s) ?? "m[\(s)]" }
            // noinline: clang would merge the parts back into the one long function
            // whose compile time grows faster than its length.
            text += "__attribute__((noinline)) static void \(function)_part\(part)(double *restrict m) {\n"
            Self.appendDeclarations(of: locals.sorted(), to: &text)
            for i in range { text += Self.statement(order[i].operation, order[i].operands, slot) }
            text += "}\n"
        }
        Self.appendOpening(function: function, transfer: transfer, to: &text)
        for part in 0..<partCount { text += "    \(function)_part\(part)(m);\n" }
        Self.appendClosing(transfer: transfer, { literal($0) ?? "m[\($0)]" }, to: &text)
    }

    /// A program function's first lines: with `transfer`, a `NativeRightHandSide` that
    /// stores time and state into memory; otherwise `void function(double *m)`.
    private static func appendOpening(function: String, transfer: NativeSource.StateTransfer?, to text: inout String) {
        if let transfer {
            text += "void \(function)(double t, const double *restrict y, double *restrict ydot, double *restrict m) {\n"
            text += "    m[0] = t;\n"
            appendCopies(transfer.stateSlots, name: { "m[\($0)]" }, to: &text) { i, cell in "\(cell) = y[\(i)]" }
        } else {
            text += "void \(function)(double *restrict m) {\n"
        }
    }

    /// A program function's last lines: with `transfer`, copying the derivatives out.
    private static func appendClosing(transfer: NativeSource.StateTransfer?, _ slot: (Int32) -> String, to text: inout String) {
        let derivatives = transfer?.derivativeSlots ?? []
        appendCopies(derivatives, name: slot, to: &text) { i, cell in "ydot[\(i)] = \(cell)" }
        text += "}\n"
    }

    /// Copies between the solver's vector and memory: `copy(index, cell)` for every slot,
    /// the slot written as `name` gives it (a memory cell `m[s]`, a local or a literal).
    /// Runs of at least eight memory cells advancing by one stride become a loop: at
    /// 11,000 states the copies written out one per line were 300 kB of machine code run
    /// on every evaluation, a fifth of the right-hand side's time.
    private static func appendCopies(_ slots: [Int32], name: (Int32) -> String, to text: inout String,
                                     _ copy: (_ index: String, _ cell: String) -> String) {
        func inMemory(_ k: Int) -> Bool { name(slots[k]) == "m[\(slots[k])]" }
        var i = 0
        while i < slots.count {
            if i + 1 < slots.count, inMemory(i), inMemory(i + 1) {
                let stride = slots[i + 1] - slots[i]
                var end = i + 2
                while end < slots.count, slots[end] - slots[end - 1] == stride, inMemory(end) { end += 1 }
                if end - i >= 8 {
                    let index = i == 0 ? "k" : "\(i) + k", cell = "m[\(slots[i]) + \(stride == 1 ? "" : "\(stride) * ")k]"
                    text += "    for (int k = 0; k < \(end - i); k++) \(copy(index, cell));\n"
                    i = end
                    continue
                }
            }
            text += "    \(copy("\(i)", name(slots[i])));\n"
            i += 1
        }
    }

    /// One instruction as one C statement, its slots named by `slot` (a local, a literal
    /// or a memory cell).
    private static func statement(_ operation: Instruction.Operation, _ o: Operands, _ slot: (Int32) -> String) -> String {
        "    \(slot(o.destination)) = \(cExpression(operation, slot(o.a), slot(o.b), slot(o.c)));\n"
    }

    /// The local variables for `slots`, declared in groups so no line grows without bound.
    private static func appendDeclarations(of slots: [Int32], to text: inout String) {
        var k = 0
        while k < slots.count {
            text += "    double " + slots[k..<min(k + 16, slots.count)].map { "r\($0)" }.joined(separator: ", ") + ";\n"
            k += 16
        }
    }

    /// A long batch split into runs whose slots each advance by a fixed stride, plus the
    /// instructions left over.
    ///
    /// Why: a batch run from a table of operand slots reads four table entries per
    /// instruction; for the 1,100-state dendrite chain the tables (60 kB) crowd the
    /// model's memory out of the first-level cache, and the right-hand side then misses
    /// it about 2,700 times per evaluation. Models built from repeated motifs lay out
    /// their slots regularly, so most instructions of a batch fall into runs that a loop
    /// can address as `base + stride·i` with no table at all.
    ///
    /// Reordering is safe: the instructions of one batch are independent (none reads or
    /// writes what another writes; see `schedule` and `reuseTemporaries`), so any order
    /// computes the same bits.
    struct StridedRuns {
        struct Run {
            /// Destination, then the operands read, of the run's first instruction.
            var first: SIMD4<Int32>
            /// How much each of those slots advances from one instruction to the next.
            var stride: SIMD4<Int32>
            var count: Int
        }
        var runs: [Run] = []
        var rest: [Operands] = []

        /// The shortest run worth a loop of its own.
        static let minimumRun = 4
        /// How far ahead a run's second instruction is looked for: instructions of repeated
        /// motifs interleave (one per compartment and reaction), so the next instruction
        /// with the same stride pattern is usually a few places on.
        static let window = 64

        init(_ rows: [Operands], reads: Int) {
            // Unread operand fields are zeroed so they do not break a run.
            let keys = rows.map { o in
                SIMD4(o.destination, o.a, reads > 1 ? o.b : 0, reads > 2 ? o.c : 0)
            }
            var position: [SIMD4<Int32>: Int] = [:]
            position.reserveCapacity(keys.count)
            for (i, key) in keys.enumerated() { position[key] = i }
            var used = [Bool](repeating: false, count: rows.count)
            for i in rows.indices where !used[i] {
                var best: (stride: SIMD4<Int32>, members: [Int]) = (.zero, [i])
                for j in (i + 1)..<min(rows.count, i + 1 + Self.window) where !used[j] {
                    let stride = keys[j] &- keys[i]
                    var members = [i, j], next = keys[j]
                    while true {
                        next &+= stride
                        guard let k = position[next], !used[k] else { break }
                        members.append(k)
                    }
                    if members.count > best.members.count { best = (stride, members) }
                }
                if best.members.count >= Self.minimumRun {
                    for k in best.members { used[k] = true }
                    runs.append(Run(first: keys[i], stride: best.stride, count: best.members.count))
                } else {
                    used[i] = true
                    rest.append(rows[i])
                }
            }
        }
    }

    /// The C expression computing `operation` on operands `a`, `b`, `c`, exactly as
    /// `run` and `Evaluation` do (comparisons give 1.0 or 0.0; `x.rounded()` is `round`).
    static func cExpression(_ operation: Instruction.Operation, _ a: String, _ b: String, _ c: String) -> String {
        func truth(_ condition: String) -> String { "(\(condition) ? 1.0 : 0.0)" }
        switch operation {
        case .copy: return a
        case .add: return "\(a) + \(b)"
        case .subtract: return "\(a) - \(b)"
        case .multiply: return "\(a) * \(b)"
        case .divide: return "\(a) / \(b)"
        case .power: return "kp_power(\(a), \(b))"
        case .select: return "(\(a) != 0 ? \(b) : \(c))"
        case .negate: return "-\(a)"
        case .not: return truth("\(a) == 0")
        case .exp: return "exp(\(a))"
        case .ln: return "log(\(a))"
        case .log10: return "log10(\(a))"
        case .log2: return "log2(\(a))"
        case .sqrt: return "sqrt(\(a))"
        case .abs: return "fabs(\(a))"
        case .floor: return "floor(\(a))"
        case .ceil: return "ceil(\(a))"
        case .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .tanh, .asinh, .acosh, .atanh:
            return "\(operation)(\(a))"
        case .sec: return "1 / cos(\(a))"
        case .csc: return "1 / sin(\(a))"
        case .cot: return "1 / tan(\(a))"
        case .factorial: return "kp_factorial(\(a))"
        case .min: return "kp_min(\(a), \(b))"
        case .max: return "kp_max(\(a), \(b))"
        case .less: return truth("\(a) < \(b)")
        case .lessEqual: return truth("\(a) <= \(b)")
        case .greater: return truth("\(a) > \(b)")
        case .greaterEqual: return truth("\(a) >= \(b)")
        case .equal: return truth("\(a) == \(b)")
        case .notEqual: return truth("\(a) != \(b)")
        case .and: return truth("\(a) != 0 && \(b) != 0")
        case .or: return truth("\(a) != 0 || \(b) != 0")
        case .xor: return truth("(\(a) != 0) != (\(b) != 0)")
        case .addAdd: return "(\(a) + \(b)) + \(c)"
        case .addSubtract: return "(\(a) + \(b)) - \(c)"
        case .addMultiply: return "(\(a) + \(b)) * \(c)"
        case .addDivide: return "(\(a) + \(b)) / \(c)"
        case .subtractAdd: return "(\(a) - \(b)) + \(c)"
        case .subtractSubtract: return "(\(a) - \(b)) - \(c)"
        case .subtractMultiply: return "(\(a) - \(b)) * \(c)"
        case .subtractDivide: return "(\(a) - \(b)) / \(c)"
        case .multiplyAdd: return "(\(a) * \(b)) + \(c)"
        case .multiplySubtract: return "(\(a) * \(b)) - \(c)"
        case .multiplyMultiply: return "(\(a) * \(b)) * \(c)"
        case .multiplyDivide: return "(\(a) * \(b)) / \(c)"
        case .divideAdd: return "(\(a) / \(b)) + \(c)"
        case .divideSubtract: return "(\(a) / \(b)) - \(c)"
        case .divideMultiply: return "(\(a) / \(b)) * \(c)"
        case .divideDivide: return "(\(a) / \(b)) / \(c)"
        case .addSubtractReversed: return "\(c) - (\(a) + \(b))"
        case .subtractSubtractReversed: return "\(c) - (\(a) - \(b))"
        case .multiplySubtractReversed: return "\(c) - (\(a) * \(b))"
        case .divideSubtractReversed: return "\(c) - (\(a) / \(b))"
        case .addDivideReversed: return "\(c) / (\(a) + \(b))"
        case .subtractDivideReversed: return "\(c) / (\(a) - \(b))"
        case .multiplyDivideReversed: return "\(c) / (\(a) * \(b))"
        case .divideDivideReversed: return "\(c) / (\(a) / \(b))"
        }
    }
}

/// A model's programs as machine code (`NativeCode`), one function per symbol of the
/// model's native sources, in order, and the loaded library they live in.
public struct NativeFunctions: Sendable {
    public var rightHandSide: NativeRightHandSide
    /// For `nativeSource(layout:)`'s symbols.
    public var programs: [NativeProgram]
    /// For `sensitivityNativeSource()`'s symbols (empty without sensitivities).
    public var sensitivityPrograms: [NativeProgram]
    /// Whatever keeps the library loaded; the model holds it as long as it lives.
    public var library: any Sendable

    public init(rightHandSide: @escaping NativeRightHandSide, programs: [NativeProgram],
                sensitivityPrograms: [NativeProgram], library: any Sendable) {
        self.rightHandSide = rightHandSide
        self.programs = programs
        self.sensitivityPrograms = sensitivityPrograms
        self.library = library
    }
}

extension CompiledModel {
    /// The programs native code replaces one for one: all but the right-hand side, which
    /// becomes a `NativeRightHandSide` of its own (it also moves the state in and the
    /// derivatives out), so compiling it as a plain program too would be dead code.
    var nativePrograms: [ProgramCode] {
        [code.jacobianProgram, code.rootProgram, code.assignProgram, code.switchProgram, code.triggerProgram, code.crossingProgram]
    }

    /// The model's programs as C, for `NativeCode` to compile.
    public func nativeSource(layout: NativeSource.Layout = .standard) -> NativeSource {
        let transfer = NativeSource.StateTransfer(stateSlots: (0..<stateCount).map { code.stateSlots[$0] },
                                                  derivativeSlots: (0..<stateCount).map { code.derivativeSlots[$0] })
        // Constants fold in the right-hand side and the Jacobian (program 0), where time goes.
        return NativeSource(programs: nativePrograms, foldingConstants: [0], prefix: "kinapse_model",
                            rightHandSide: (code.rhsProgram, transfer), layout: layout,
                            constant: { self.memoryImage[Int($0)] })
    }

    /// The sensitivity programs as C (nil when the model is not differentiated).
    public func sensitivityNativeSource() -> NativeSource? {
        guard let sensitivities else { return nil }
        return NativeSource(programs: [sensitivities.rhsProgram, sensitivities.partialsProgram], foldingConstants: [0, 1],
                            prefix: "kinapse_sensitivities", constant: { self.memoryImage[Int($0)] })
    }

    /// This model running `functions` in place of its bytecode: the same results, bit for bit.
    public func runningNativeCode(_ functions: NativeFunctions) -> CompiledModel {
        precondition(functions.programs.count == nativePrograms.count, "one native function per program")
        precondition(functions.sensitivityPrograms.count == (sensitivities == nil ? 0 : 2), "one native function per sensitivity program")
        var programs = code.bytecode
        programs.jacobian = ExecutableProgram(code.jacobianProgram, native: functions.programs[0])
        programs.root = ExecutableProgram(code.rootProgram, native: functions.programs[1])
        programs.assign = ExecutableProgram(code.assignProgram, native: functions.programs[2])
        programs.switches = ExecutableProgram(code.switchProgram, native: functions.programs[3])
        programs.triggers = ExecutableProgram(code.triggerProgram, native: functions.programs[4])
        programs.crossings = ExecutableProgram(code.crossingProgram, native: functions.programs[5])
        programs.nativeRightHandSide = functions.rightHandSide
        if let sensitivities {
            programs.sensitivityRHS = ExecutableProgram(sensitivities.rhsProgram, native: functions.sensitivityPrograms[0])
            programs.sensitivityPartials = ExecutableProgram(sensitivities.partialsProgram, native: functions.sensitivityPrograms[1])
        }
        return CompiledModel(code: code, programs: programs, sensitivities: sensitivities, memoryImage: memoryImage,
                             nativeLibrary: functions.library)
    }
}
