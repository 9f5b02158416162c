extension StochasticTrial {
    /// What a stretch of exact steps ended with.
    enum Outcome {
        /// The next firing would fall at or after the barrier.
        case reachedBarrier
        /// An event fired, which may move the barrier.
        case eventFired
        /// The step limit was used up first.
        case stepsTaken
    }

    /// Adaptive explicit tau-leaping (Cao, Gillespie & Petzold 2006, J Chem Phys 124:044109),
    /// until `barrier` (true) or until a state-triggered event fired (false).
    ///
    /// Per leap (the paper's §V): reactions within `criticalThreshold` firings of exhausting a
    /// reactant are critical; τ′ bounds the expected change of every non-critical reactant
    /// species by max(ε·xᵢ/gᵢ, 1) in mean and in standard deviation (eq. 33); when τ′ is under
    /// `exactFallbackFactor`/a₀, exact steps are cheaper. Otherwise τ = min(τ′, τ″), τ″ the
    /// waiting time of the critical reactions: non-critical reactions fire Poisson(aⱼτ) times
    /// and, when τ″ won, one critical reaction fires once. A leap that would make a count
    /// negative is retried with τ′ halved. Leaps stop at output times and events, so output
    /// is sampled exactly there.
    ///
    /// Bias: explicit tau-leaping is first-order accurate in τ (weak order 1; Rathinam,
    /// Petzold, Cao & Gillespie 2005, Multiscale Model Simul 4:867): for a linear birth–death
    /// process with leap τ the stationary mean is exact and the variance is inflated by the
    /// factor 1/(1 − γτ/2) (docs/stochastic.md derives it).
    func leap(to barrier: Double, settings: TauLeapSettings, recorder: inout Recorder) throws(StochasticRunError) -> Bool {
        let order = reactantOrders()
        var scratch = [Double](repeating: 0, count: speciesCount)
        var critical = [Bool](repeating: false, count: channelCount)
        var mean = [Double](repeating: 0, count: speciesCount)
        var variance = [Double](repeating: 0, count: speciesCount)
        var isReactant = [Bool](repeating: false, count: speciesCount)
        while time < barrier {
            refreshPropensities()
            if total <= 0 { return true }
            // Critical reactions and the moments of the non-critical ones (eq. 32).
            var criticalTotal = 0.0
            for i in 0..<speciesCount { mean[i] = 0; variance[i] = 0; isReactant[i] = false }
            for j in 0..<channelCount where magnitude[j] > 0 {
                let direction = propensity[j] < 0 ? -1.0 : 1.0
                var firingsLeft = Double.infinity
                for k in changeStart[j]..<changeStart[j + 1] where direction * changeDelta[k] < 0 {
                    firingsLeft = Swift.min(firingsLeft, (counts[changeSpecies[k]] / Swift.abs(changeDelta[k])).rounded(.down))
                }
                critical[j] = firingsLeft < settings.criticalThreshold
                if critical[j] {
                    criticalTotal += magnitude[j]
                    continue
                }
                for k in changeStart[j]..<changeStart[j + 1] {
                    let s = changeSpecies[k]
                    let v = direction * changeDelta[k]
                    mean[s] += v * magnitude[j]
                    variance[s] += v * v * magnitude[j]
                    if v < 0 { isReactant[s] = true }
                }
            }
            var tauPrime = Double.infinity
            for i in 0..<speciesCount where isReactant[i] {
                let bound = Swift.max(settings.epsilon * counts[i] / order.g(species: i, count: counts[i]), 1)
                if mean[i] != 0 { tauPrime = Swift.min(tauPrime, bound / Swift.abs(mean[i])) }
                if variance[i] > 0 { tauPrime = Swift.min(tauPrime, bound * bound / variance[i]) }
            }
            if tauPrime < settings.exactFallbackFactor / total {
                switch try advanceExactly(to: barrier, steps: settings.exactFallbackSteps, recorder: &recorder) {
                case .reachedBarrier: return true
                case .eventFired: return false
                case .stepsTaken: continue
                }
            }
            let nextOutput = recorder.next < recorder.times.count && recorder.times[recorder.next] > time ? recorder.times[recorder.next] : barrier
            let cap = Swift.min(barrier, nextOutput)
            var tau = 0.0
            var fired = 0.0
            while true {
                let tauCritical = criticalTotal > 0 ? generator.nextExponential(rate: criticalTotal) : .infinity
                tau = Swift.min(tauPrime, tauCritical)
                var fireCritical = tauCritical <= tauPrime
                if time + tau >= cap {
                    tau = cap - time
                    fireCritical = false
                }
                for i in 0..<speciesCount { scratch[i] = counts[i] }
                fired = 0
                for j in 0..<channelCount where magnitude[j] > 0 && !critical[j] {
                    let n = generator.nextPoisson(mean: magnitude[j] * tau)
                    if n > 0 { apply(j, times: n, to: &scratch) }
                    fired += n
                }
                if fireCritical {
                    var r = generator.nextUniform() * criticalTotal
                    var chosen = -1
                    for j in 0..<channelCount where critical[j] && magnitude[j] > 0 {
                        chosen = j
                        r -= magnitude[j]
                        if r < 0 { break }
                    }
                    apply(chosen, times: 1, to: &scratch)
                    fired += 1
                }
                if !scratch.contains(where: { $0 < 0 }) { break }
                tauPrime /= 2
            }
            recorder.record(before: time + tau, from: self)
            time += tau
            firings += Int(fired)
            for i in 0..<speciesCount {
                counts[i] = scratch[i]
                if mirrorSlot[i] >= 0 { instance.setValue(counts[i] / divisor[i], slot: mirrorSlot[i]) }
            }
            if time >= barrier { return true }
            if hasStateTriggers, try checkEvents() {
                recomputeAll()
                return false
            }
        }
        return true
    }

    func apply(_ j: Int, times n: Double, to x: inout [Double]) {
        let direction = propensity[j] < 0 ? -n : n
        for k in changeStart[j]..<changeStart[j + 1] { x[changeSpecies[k]] += direction * changeDelta[k] }
    }

    /// Every propensity at the current counts, with coefficients as they are.
    func refreshPropensities() {
        for j in 0..<channelCount {
            propensity[j] = evaluatePropensity(j)
            magnitude[j] = Swift.abs(propensity[j])
        }
        recomputeSums()
    }

    /// The highest order of reaction each species is a reactant in, with how many of its
    /// molecules that reaction takes, for gᵢ of eq. 27.
    func reactantOrders() -> ReactantOrders {
        var highest = [(order: Int, multiplicity: Int)](repeating: (0, 0), count: speciesCount)
        for c in model.channels {
            let order = c.reactants.reduce(0) { $0 + $1.count }
            for r in c.reactants where (order, r.count) > (highest[r.species].order, highest[r.species].multiplicity) {
                highest[r.species] = (order, r.count)
            }
        }
        return ReactantOrders(highest: highest)
    }

    struct ReactantOrders {
        let highest: [(order: Int, multiplicity: Int)]

        /// gᵢ (Cao, Gillespie & Petzold 2006, eq. 27): the factor by which a relative change
        /// of xᵢ changes the propensity of the highest-order reaction consuming it.
        func g(species i: Int, count x: Double) -> Double {
            let (order, multiplicity) = highest[i]
            switch (order, multiplicity) {
            case (2, 2): return 2 + 1 / (x - 1)
            case (3, 2): return 1.5 * (2 + 1 / (x - 1))
            case (3, 3): return 3 + 1 / (x - 1) + 2 / (x - 2)
            default: return Double(Swift.max(order, 1))
            }
        }
    }
}
