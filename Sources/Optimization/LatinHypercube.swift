import KinapseUtilities

/// Latin hypercube sampling of a box: each coordinate's range is cut into `count` equal
/// strata and every stratum holds exactly one point (McKay, Beckman & Conover 1979), so
/// few starts still cover every parameter's whole range.
public enum LatinHypercube {
    /// `count` points in `[lower, upper]`, reproducible bit for bit from `seed`.
    /// Draw order (part of the reproducibility contract): for each dimension in turn, a
    /// Fisher–Yates shuffle of the strata, then one uniform offset per point.
    public static func sample(count: Int, lower: [Double], upper: [Double], seed: UInt64) -> [[Double]] {
        precondition(lower.count == upper.count, "bounds of unequal length")
        precondition(zip(lower, upper).allSatisfy { $0.isFinite && $1.isFinite && $0 <= $1 },
                     "Latin hypercube sampling needs a finite box")
        guard count > 0 else { return [] }
        var rng = SeededGenerator(seed: seed)
        var points = Array(repeating: Array(repeating: 0.0, count: lower.count), count: count)
        for d in lower.indices {
            var strata = Array(0..<count)
            // Fisher–Yates written out (not `shuffle(using:)`, whose algorithm the standard
            // library does not promise to keep).
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                strata.swapAt(i, j)
            }
            let width = upper[d] - lower[d]
            for k in 0..<count {
                let u = (Double(strata[k]) + rng.nextUniform()) / Double(count)
                points[k][d] = lower[d] + u * width
            }
        }
        return points
    }
}
