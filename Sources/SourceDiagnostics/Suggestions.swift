import Foundation

/// "Did you mean …?" hints: the closest name in scope by edit distance.
public enum Suggestions {
    /// The candidate nearest to `name`, if it is close enough to be a plausible typo
    /// (distance at most a third of the name's length, and at least 1).
    public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
        let limit = max(1, name.count / 3)
        var best: (String, Int)?
        for c in candidates where c != name {
            let d = editDistance(name.lowercased(), c.lowercased())
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String? {
        closest(to: name, among: candidates).map { "did you mean '\($0)'?" }
    }

    /// Edit distance over Unicode scalars counting insertions, deletions, substitutions
    /// and swaps of neighbours (optimal string alignment), since "kact" for "kcat" is one
    /// slip of the fingers, not two. Three rows of memory.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var beforePrevious = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[y.count]
    }
}

extension Suggestions {
    /// For a path that does not exist: the name of the file beside it that is the closest typo.
    public static func closestFile(to path: String) -> String? {
        let directory = PathName.directory(of: path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return closest(to: (path as NSString).lastPathComponent, among: names.filter { !$0.hasPrefix(".") })
    }

    /// "did you mean 'Pathways/no_cgmp_pkg.ant'?": the closest file, spelled the way `path` is.
    public static func didYouMean(file path: String) -> String? {
        closestFile(to: path).map { "did you mean '\(sibling($0, of: path))'?" }
    }

    /// `name` in the directory of `path`, keeping that directory as written.
    public static func sibling(_ name: String, of path: String) -> String {
        let directory = PathName.directory(of: path)
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }
}
