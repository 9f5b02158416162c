import Foundation
public import KinapseUtilities
import Synchronization

/// One share of a command's first batch of tasks (`--shard K/N`): the tasks whose index is
/// K−1 modulo N (every N-th, so that slow regions of a sweep are shared out too), with the
/// command that made them. `kinapse merge` joins the N shares and runs the command again
/// with the batch taken from them, so it writes exactly what the whole run writes.
public struct Shard: Sendable, Equatable {
    /// 1-based.
    public var index: Int
    public var count: Int
    /// Tasks in the whole batch.
    public var tasks: Int
    /// The command's arguments, without the program name and the `--shard` options.
    public var arguments: [String]
    /// This share's outcomes by task index.
    public var outcomes: [Int: TaskOutcome]

    public init(index: Int, count: Int, tasks: Int, arguments: [String], outcomes: [Int: TaskOutcome]) {
        self.index = index; self.count = count; self.tasks = tasks; self.arguments = arguments; self.outcomes = outcomes
    }

    /// Whether task `i` belongs to shard `index` of `count`.
    public static func owns(_ i: Int, index: Int, count: Int) -> Bool { i % count == index - 1 }

    /// `K/N` with 1 ≤ K ≤ N.
    public static func parse(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else { return nil }
        return (k, n)
    }

    static let magic = "kinapse shard 1"

    /// A text file (the results as base64), written whole by the output writer.
    public var text: String {
        var lines = [Self.magic, "shard \(index)/\(count)", "tasks \(tasks)"]
        let command = (try? JSONEncoder().encode(arguments)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        lines.append("command \(command)")
        for i in outcomes.keys.sorted() {
            switch outcomes[i]! {
            case .result(let bytes): lines.append("task \(i) \(Data(bytes).base64EncodedString())")
            case .unportable: lines.append("task \(i) unportable")
            case .notRun: lines.append("task \(i) not-run")
            }
        }
        lines.append("end")
        return lines.joined(separator: "\n") + "\n"
    }

    public struct ReadError: Error, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { message }
    }

    public init(text: String) throws(ReadError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func fail(_ line: Int, _ message: String) -> ReadError { ReadError(line: line, message: message) }
        guard lines.first == Self.magic else { throw fail(1, "not a kinapse shard (it should begin '\(Self.magic)')") }
        guard lines.count >= 5, lines[1].hasPrefix("shard "), let share = Self.parse(String(lines[1].dropFirst(6))) else {
            throw fail(2, "expected 'shard K/N'")
        }
        guard lines[2].hasPrefix("tasks "), let tasks = Int(lines[2].dropFirst(6)), tasks >= 0 else { throw fail(3, "expected 'tasks COUNT'") }
        guard lines[3].hasPrefix("command "), let arguments = try? JSONDecoder().decode([String].self, from: Data(lines[3].dropFirst(8).utf8)) else {
            throw fail(4, "expected 'command [\"ARGUMENT\", …]'")
        }
        var outcomes: [Int: TaskOutcome] = [:]
        var number = 5
        for line in lines[4...] {
            defer { number += 1 }
            if line == "end" { break }
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "task", let i = Int(fields[1]), (0..<tasks).contains(i) else {
                throw fail(number, "expected 'task INDEX RESULT' with 0 ≤ INDEX < \(tasks), or 'end'")
            }
            guard Self.owns(i, index: share.index, count: share.count) else {
                throw fail(number, "task \(i) does not belong to shard \(share.index)/\(share.count)")
            }
            guard outcomes[i] == nil else { throw fail(number, "task \(i) appears twice") }
            switch fields[2] {
            case "unportable": outcomes[i] = .unportable
            case "not-run": outcomes[i] = .notRun
            default:
                guard let data = Data(base64Encoded: String(fields[2])) else { throw fail(number, "task \(i): the result is not base64") }
                outcomes[i] = .result(Array(data))
            }
        }
        guard lines.dropFirst(4).contains("end") else { throw fail(lines.count, "the file is cut short (no 'end' line)") }
        let expected = (0..<tasks).filter { Self.owns($0, index: share.index, count: share.count) }.count
        guard outcomes.count == expected else {
            throw fail(number, "holds \(outcomes.count) tasks, but shard \(share.index)/\(share.count) of \(tasks) has \(expected)")
        }
        self.init(index: share.index, count: share.count, tasks: tasks, arguments: arguments, outcomes: outcomes)
    }

    /// The whole batch from all `shards` of one run, or why they do not make one.
    public static func join(_ shards: [(path: String, shard: Shard)]) throws(JoinError) -> (arguments: [String], outcomes: [TaskOutcome]) {
        guard let (firstPath, first) = shards.first else { throw JoinError(message: "no shards given") }
        for (path, shard) in shards.dropFirst() {
            if shard.arguments != first.arguments {
                throw JoinError(message: "'\(path)' comes from another command than '\(firstPath)'",
                                hint: "'\(firstPath)': kinapse \(first.arguments.joined(separator: " "))\n'\(path)': kinapse \(shard.arguments.joined(separator: " "))")
            }
            if shard.count != first.count || shard.tasks != first.tasks {
                throw JoinError(message: "'\(path)' is shard \(shard.index)/\(shard.count) of \(shard.tasks) tasks, '\(firstPath)' shard \(first.index)/\(first.count) of \(first.tasks)",
                                hint: "merge the shards of one run, all made with the same --shard K/N count")
            }
        }
        var byIndex: [Int: String] = [:]
        for (path, shard) in shards {
            if let other = byIndex[shard.index] {
                throw JoinError(message: "'\(path)' and '\(other)' are both shard \(shard.index)/\(first.count)")
            }
            byIndex[shard.index] = path
        }
        let missing = (1...first.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw JoinError(message: "shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(first.count)" }.joined(separator: ", ")) missing",
                            hint: "give all \(first.count) shards of the run")
        }
        var outcomes = Array(repeating: TaskOutcome.notRun, count: first.tasks)
        for (_, shard) in shards { for (i, outcome) in shard.outcomes { outcomes[i] = outcome } }
        return (first.arguments, outcomes)
    }

    public struct JoinError: Error, CustomStringConvertible {
        public let message: String
        public var hint: String? = nil
        public var description: String { message }
    }
}

/// Runs this process's share of the first batch and hands the shard to `write` (which
/// ends the process); later batches are never reached.
public final class ShardTaskDistributor: TaskDistributor {
    private let index: Int
    private let count: Int
    private let arguments: [String]
    private let write: @Sendable (Shard) -> Never

    public init(index: Int, count: Int, arguments: [String], write: @escaping @Sendable (Shard) -> Never) {
        self.index = index; self.count = count; self.arguments = arguments; self.write = write
    }

    public func distribute(_ batch: DistributedBatch) -> [TaskOutcome]? {
        let mine = (0..<batch.count).filter { Shard.owns($0, index: index, count: count) }
        let queue = Mutex((next: 0, outcomes: [Int: TaskOutcome]()))
        batch.runLocally(batch.jobs, {
            queue.withLock { q in
                guard q.next < mine.count, !(batch.isCancelled?() ?? false) else { return nil }
                defer { q.next += 1 }
                return mine[q.next]
            }
        }, { i, outcome in queue.withLock { $0.outcomes[i] = outcome } })
        var outcomes = queue.withLock { $0.outcomes }
        for i in mine where outcomes[i] == nil { outcomes[i] = .notRun }
        write(Shard(index: index, count: count, tasks: batch.count, arguments: arguments, outcomes: outcomes))
    }
}

/// Gives the first batch from joined shards; later batches (a fit's profiles) run here.
public final class MergedTaskDistributor: TaskDistributor {
    private let outcomes: [TaskOutcome]
    private let used = Atomic<Bool>(false)
    private let mismatch: @Sendable (_ expected: Int, _ found: Int) -> Never

    public init(outcomes: [TaskOutcome], mismatch: @escaping @Sendable (_ expected: Int, _ found: Int) -> Never) {
        self.outcomes = outcomes
        self.mismatch = mismatch
    }

    public func distribute(_ batch: DistributedBatch) -> [TaskOutcome]? {
        guard used.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return nil }
        guard batch.count == outcomes.count else { mismatch(outcomes.count, batch.count) }
        return outcomes
    }
}
