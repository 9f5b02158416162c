/// Bounds in the trust-region step, after Coleman & Li ("An interior trust region approach
/// for nonlinear minimization subject to bounds", SIAM J. Optim. 6:418–445, 1996) and
/// Branch, Coleman & Li (SIAM J. Sci. Comput. 21:1–23, 1999), the method of MATLAB's
/// `lsqnonlin` (Data2Dynamics) and of fides (Fröhlich & Sorger, PLoS Comput. Biol.
/// 18:e1010322, 2022).
///
/// Iterates stay strictly inside the box. Each variable is scaled by the square root of its
/// distance to the bound that −g points to, so a variable heading for a bound takes ever
/// smaller steps in θ while the trust region still measures it in full, and the optimum on
/// a bound is approached at Newton speed instead of one truncated step per bound.
struct BoundScaling {
    /// vᵢ: distance to the bound −gᵢ points to, 1 when that bound is infinite or gᵢ = 0.
    let distance: [Double]
    /// sign(gᵢ) where vᵢ is a distance, else 0: ∂vᵢ/∂θᵢ.
    let distanceSlope: [Double]
    /// dᵢ = √vᵢ: θ = θₖ + d ⊙ ŝ maps the scaled step ŝ to θ.
    let d: [Double]
    /// maxᵢ min(vᵢ, 1)·|gᵢ|, the first-order optimality measure: |gᵢ| at least one scaled unit
    /// from the bound −gᵢ points to, vanishing on it (a KKT point has it zero).
    let optimality: Double

    init(theta: [Double], gradient g: [Double], lower: [Double], upper: [Double]) {
        var v = Array(repeating: 1.0, count: theta.count)
        var slope = Array(repeating: 0.0, count: theta.count)
        for i in theta.indices {
            if g[i] < 0 && upper[i].isFinite {
                v[i] = max(0, upper[i] - theta[i])
                slope[i] = -1
            } else if g[i] > 0 && lower[i].isFinite {
                v[i] = max(0, theta[i] - lower[i])
                slope[i] = 1
            }
        }
        distance = v
        distanceSlope = slope
        d = v.map { $0.squareRoot() }
        optimality = theta.indices.reduce(0) { max($0, min(v[$1], 1) * abs(g[$1])) }
    }
}

/// The quadratic model of ½‖r‖² in the scaled step ŝ (θ = θₖ + d ⊙ ŝ):
/// q(ŝ) = ĝᵀŝ + ½ ŝᵀ(D (JᵀJ + S) D + C) ŝ, ĝ = D g, D = diag(d), C = diag(g ⊙ ∂v/∂θ) ≥ 0
/// (Coleman & Li 1996, eq. 2.4: the curvature the scaling adds), S the secant term when
/// the secant hybrid uses it.
struct ScaledQuadraticModel {
    let jacobian: Matrix
    let scaling: BoundScaling
    let secant: Matrix?
    /// ĝ = D g.
    let gradient: [Double]
    /// diag(C).
    let boundCurvature: [Double]

    init(jacobian: Matrix, gradient g: [Double], scaling: BoundScaling, secant: Matrix?) {
        self.jacobian = jacobian
        self.scaling = scaling
        self.secant = secant
        gradient = zip(scaling.d, g).map { $0 * $1 }
        boundCurvature = zip(g, scaling.distanceSlope).map { $0 * $1 }
    }

    /// [J D; C^½], whose Gauss–Newton model with residuals [r; 0] is q (no secant term).
    var augmentedJacobian: Matrix {
        let m = jacobian.rows, n = jacobian.columns
        var a = Matrix(rows: m + n, columns: n)
        for j in 0..<n {
            for i in 0..<m { a[i, j] = jacobian[i, j] * scaling.d[j] }
            a[m + j, j] = boundCurvature[j].squareRoot()
        }
        return a
    }

    /// D (JᵀJ + S) D + C.
    var hessian: Matrix {
        let n = jacobian.columns
        var h = Matrix(rows: n, columns: n)
        let gram = jacobian.gram
        for j in 0..<n {
            for i in 0..<n {
                h[i, j] = scaling.d[i] * (gram[i, j] + (secant?[i, j] ?? 0)) * scaling.d[j]
            }
            h[j, j] += boundCurvature[j]
        }
        return h
    }

    /// θ-space step d ⊙ ŝ.
    func unscaled(_ s: [Double]) -> [Double] { zip(scaling.d, s).map { $0 * $1 } }

    /// uᵀ H w for the model's Hessian H.
    func curvature(_ u: [Double], _ w: [Double]) -> Double {
        let du = unscaled(u), dw = unscaled(w)
        var total = dot(jacobian.multiplied(by: du), jacobian.multiplied(by: dw))
        for i in u.indices { total += boundCurvature[i] * u[i] * w[i] }
        if let secant { total += dot(du, secant.multiplied(by: dw)) }
        return total
    }

    func value(_ s: [Double]) -> Double { dot(gradient, s) + 0.5 * curvature(s, s) }

    /// The minimum of q(s₀ + t u) over t in [lo, hi]: (t, q).
    func minimumAlong(_ u: [Double], from s0: [Double]?, lo: Double, hi: Double) -> (t: Double, value: Double) {
        let base = s0.map(value) ?? 0
        let slope = dot(gradient, u) + (s0.map { curvature($0, u) } ?? 0)
        let bend = curvature(u, u)
        func q(_ t: Double) -> Double { base + t * (slope + 0.5 * t * bend) }
        var best = (t: lo, value: q(lo))
        if q(hi) < best.value { best = (hi, q(hi)) }
        if bend > 0 {
            let vertex = -slope / bend
            if vertex > lo && vertex < hi && q(vertex) < best.value { best = (vertex, q(vertex)) }
        }
        return best
    }

    /// The step a trust-region solution p̂ becomes in the box (Branch, Coleman & Li 1999,
    /// §2): p̂ itself when θ + d ⊙ p̂ stays inside; otherwise the best by the model of
    /// (a) p̂ cut at the first bound it meets, times `stepBack`;
    /// (b) from that bound point, p̂ reflected in the bound it hit, as far as the model
    ///     wants before the next bound (times `stepBack`) or the trust region;
    /// (c) the Cauchy step along −ĝ, within the trust region and `stepBack` of the bounds.
    /// Returns the θ step, the scaled step, −q of the scaled step and which candidate it is.
    func reflectiveStep(_ p: [Double], theta: [Double], lower: [Double], upper: [Double], radius: Double, stepBack: Double)
        -> (step: [Double], scaledStep: [Double], predictedReduction: Double, kind: StepKind) {
        func fractionToBound(from x: [Double], along s: [Double]) -> (fraction: Double, hits: [Int]) {
            var fraction = Double.infinity
            var hits: [Int] = []
            for i in s.indices where s[i] != 0 {
                let room = (s[i] > 0 ? upper[i] : lower[i]) - x[i]
                let t = max(0, room / s[i])
                if t < fraction { fraction = t; hits = [i] } else if t == fraction { hits.append(i) }
            }
            return (fraction, hits)
        }
        let pTheta = unscaled(p)
        let (fraction, hits) = fractionToBound(from: theta, along: pTheta)
        if fraction >= 1 { return (pTheta, p, -value(p), .trustRegion) }

        var candidates: [(scaled: [Double], value: Double, kind: StepKind)] = []
        // (a) Cut at the bound and stepped back.
        let cut = p.map { $0 * fraction * stepBack }
        candidates.append((cut, value(cut), .cut))
        // (b) Reflected at the bound.
        let onBound = p.map { $0 * fraction }
        var reflected = p
        for i in hits { reflected[i] = -reflected[i] }
        let thetaOnBound = zip(theta, unscaled(onBound)).map { $0 + $1 }
        let toBound = fractionToBound(from: thetaOnBound, along: unscaled(reflected)).fraction
        let toRegion = Self.fractionToSphere(from: onBound, along: reflected, radius: radius)
        let reach = min(toBound, toRegion)
        if reach > 0 && reach.isFinite {
            let hi = toBound <= toRegion ? stepBack * toBound : toRegion
            let lo = (1 - stepBack) * reach
            if lo <= hi {
                let best = minimumAlong(reflected, from: onBound, lo: lo, hi: hi)
                candidates.append((zip(onBound, reflected).map { $0 + best.t * $1 }, best.value, .reflected))
            }
        }
        // (c) Cauchy step.
        let descent = gradient.map { -$0 }
        let descentNorm = norm2(descent)
        if descentNorm > 0 {
            let toRegionAlongDescent = radius / descentNorm
            let toBoundAlongDescent = fractionToBound(from: theta, along: unscaled(descent)).fraction
            let hi = toBoundAlongDescent < toRegionAlongDescent ? stepBack * toBoundAlongDescent : toRegionAlongDescent
            let best = minimumAlong(descent, from: nil, lo: 0, hi: hi)
            candidates.append((descent.map { $0 * best.t }, best.value, .cauchy))
        }
        let chosen = candidates.min { $0.value < $1.value }!
        return (unscaled(chosen.scaled), chosen.scaled, -chosen.value, chosen.kind)
    }

    /// The largest t ≥ 0 with ‖s + t u‖ ≤ radius (s inside the sphere).
    static func fractionToSphere(from s: [Double], along u: [Double], radius: Double) -> Double {
        let a = dot(u, u), b = dot(s, u), c = dot(s, s) - radius * radius
        guard a > 0 else { return .infinity }
        let discriminant = max(0, b * b - a * c)
        return max(0, (-b + discriminant.squareRoot()) / a)
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}
