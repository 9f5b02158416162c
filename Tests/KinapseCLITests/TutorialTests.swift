import Testing
import Foundation
import PathwayTestSupport

/// The README is a tutorial, and this keeps it true: every ```sh block runs, in order, in one
/// shell, in a clone of the repository (so files that are not committed cannot help), with
/// the `kinapse` this test suite built first on PATH. `make` lines are only checked to name a
/// Makefile target (`make -n`): building is what the surrounding `make test` is doing
/// already. Afterwards no committed file may differ, so the figures under `docs/figures/`
/// are exactly what the tutorial's commands draw.
@Suite struct TutorialTests {
    static let root = TestModels.repositoryRoot
    static let git = ["/usr/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var canClone: Bool {
        git != nil && FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path)
    }

    static func readme() throws -> String {
        try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The bodies of the ```sh blocks, in order.
    static func shellBlocks(of markdown: String) -> [String] {
        var blocks: [String] = [], current: [Substring]? = nil
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil {
                if line == "```sh" { current = [] }
            } else if line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current!.append(line)
            }
        }
        return blocks
    }

    /// Commands in a block: continuation lines joined, here-document bodies skipped,
    /// comments and blank lines left out.
    static func commands(in block: String) -> [String] {
        var out: [String] = [], pending = "", hereDocumentEnd: String?
        for raw in block.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if let end = hereDocumentEnd {
                if line == end { hereDocumentEnd = nil }
                continue
            }
            if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
            let command = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            if command.isEmpty || command.hasPrefix("#") { continue }
            out.append(command)
            if let r = command.range(of: "<<'") {
                hereDocumentEnd = String(command[r.upperBound...].prefix { $0 != "'" })
            }
        }
        return out
    }

    /// Trials that the test runs of a README command asking for `--trials N`: all of them, but
    /// only two of a synapse's hybrid trials, which cost seconds each (the README's 1,000 would
    /// take most of an hour). Trial i draws from its own stream seeded from (seed, i), so these
    /// two are the README's first two, which its prose quotes.
    static func affordable(_ block: String) -> String {
        block.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.contains("--method hybrid"), let r = line.range(of: #"--trials [0-9]+"#, options: .regularExpression) else {
                return String(line)
            }
            return line.replacingCharacters(in: r, with: "--trials 2")
        }.joined(separator: "\n")
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String]? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                             stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func readmeHasATutorial() throws {
        let blocks = Self.shellBlocks(of: try Self.readme())
        let commands = blocks.flatMap(Self.commands)
        #expect(commands.contains { $0.hasPrefix("make run") } && commands.contains { $0.hasPrefix("make test") })
        for step in ["kinapse simulate", "--plot docs/figures/", "--block", "kinapse export"] {
            #expect(commands.contains { $0.contains(step) }, "no tutorial command with '\(step)'")
        }
    }

    /// Every figure the README shows is committed and drawn by one of its commands.
    @Test func figuresAreDrawnByTheTutorial() throws {
        let readme = try Self.readme()
        let commands = Self.shellBlocks(of: readme).flatMap(Self.commands).joined(separator: "\n")
        let figures = readme.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("!["), let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        #expect(!figures.isEmpty)
        for figure in figures {
            #expect(figure.hasPrefix("docs/figures/"), "\(figure)")
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(figure).path), "\(figure) is missing")
            #expect(commands.contains(figure), "no tutorial command draws \(figure)")
        }
    }

    @Test(.enabled(if: canClone, "needs git and a git checkout"))
    func everyCommandRunsInAFreshClone() throws {
        let git = Self.git!
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The committed tree plus uncommitted edits to tracked files (what is being tested),
        // never untracked files: `git stash create` records that state without touching refs.
        let stash = try Self.run(git, ["stash", "create"], in: Self.root)
        let snapshot = stash.status == 0 && !stash.stdout.isEmpty ? stash.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : "HEAD"
        let revision = try Self.run(git, ["rev-parse", snapshot], in: Self.root).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let clone = scratch.appendingPathComponent("kinapse")
        let cloned = try Self.run(git, ["clone", "--quiet", "--shared", "--no-checkout", Self.root.path, clone.path], in: scratch)
        try #require(cloned.status == 0, "git clone: \(cloned.stderr)")
        let checkout = try Self.run(git, ["checkout", "--quiet", "--detach", revision], in: clone)
        try #require(checkout.status == 0, "git checkout: \(checkout.stderr)")

        let readme = try String(contentsOf: clone.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = Self.shellBlocks(of: readme)
        let script = """
            set -e
            # A make line must name a target of the Makefile; it is not run (see above).
            make() { if command -v make > /dev/null; then command make --dry-run "$@" > /dev/null; fi; }
            trap 'echo "tutorial command failed with status $?: $BASH_COMMAND" >&2' ERR

            """ + blocks.map(Self.affordable).joined(separator: "\n") + "\n"
        try script.write(to: scratch.appendingPathComponent("tutorial.sh"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = CLI.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let r = try Self.run("/bin/bash", [scratch.appendingPathComponent("tutorial.sh").path], in: clone, environment: environment)
        let count = blocks.flatMap(Self.commands).count
        #expect(r.status == 0, "the tutorial (\(count) commands) stopped:\n\(r.stderr)")
        #expect(!r.stderr.contains("failed"), "\(r.stderr)")
        print("tutorial: \(count) commands in \(blocks.count) blocks ran in a clone of \(revision.prefix(12))")

        // Numbers the prose quotes are what the commands print or write.
        // The prose writes a minus sign where the summary prints a hyphen.
        for quoted in ["-23.9 %", "+0.0 %"] {
            let prose = quoted.replacingOccurrences(of: "-", with: "\u{2212}")
            #expect((readme.contains(quoted) || readme.contains(prose)) && r.stdout.contains(quoted), "'\(quoted)': in the README and in the output?")
        }
        let window = (try? String(contentsOf: clone.appendingPathComponent("window.csv"), encoding: .utf8)) ?? ""
        for (deltaT, change) in [("10", "22.3"), ("-10", "-24.1")] {
            let row = window.split(separator: "\n").first { $0.hasPrefix(deltaT + ",") }
            let value = row.flatMap { Double($0.split(separator: ",")[1]) }
            #expect(value.map { String(format: "%.1f", $0) } == change, "window at \(deltaT) ms: \(row ?? "missing")")
            #expect(readme.contains("\(change.replacingOccurrences(of: "-", with: "")) %"))
        }
        let best = (try? String(contentsOf: clone.appendingPathComponent("fit-results/best_parameters.toml"), encoding: .utf8)) ?? ""
        for (name, value) in [("kon", 3.0), ("koff", 0.8)] {
            let line = best.split(separator: "\n").first { $0.hasPrefix(name + " = ") }
            let fitted = line.flatMap { Double($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) }
            // Noise-free data made at these values; the fit's tolerances leave the 5th digit.
            #expect(fitted.map { abs($0 - value) <= 1e-4 * value } == true, "\(name): \(line ?? "missing")")
        }

        // Nothing committed changed: the figures are what the commands draw.
        let status = try Self.run(git, ["status", "--porcelain", "--untracked-files=no"], in: clone)
        #expect(status.status == 0)
        #expect(status.stdout.isEmpty, "the tutorial changed committed files (regenerate and commit them):\n\(status.stdout)")
    }
}
