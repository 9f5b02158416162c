internal import CSundials
internal import CSolverKernels
public import KineticsCore

/// How CVODES corrects the sensitivities: together with the states in one nonlinear
/// system (`simultaneous`), or after the states have converged (`staggered`).
public enum SensitivityMethod: Sendable, Hashable {
    case simultaneous, staggered

    var cvodesValue: Int32 { self == .simultaneous ? CV_SIMULTANEOUS : CV_STAGGERED }
}

/// The sensitivity vectors an `Integrator` hands to CVODES, and scratch pointers for the
/// callback (so it does not allocate).
final class SensitivityStorage {
    let system: any SensitivitySystem
    let count: Int
    let length: Int
    let method: SensitivityMethod
    let vectors: UnsafeMutablePointer<N_Vector?>
    let inputs: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    let outputs: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    let scales: UnsafeMutablePointer<Double>

    init?(system: any SensitivitySystem, template: N_Vector, length: Int, method: SensitivityMethod) {
        guard let vectors = N_VCloneVectorArray(Int32(system.parameterCount), template) else { return nil }
        self.system = system
        self.count = system.parameterCount
        self.length = length
        self.method = method
        self.vectors = vectors
        inputs = .allocate(capacity: max(1, count))
        outputs = .allocate(capacity: max(1, count))
        scales = .allocate(capacity: max(1, count))
        for k in 0..<count {
            let v = system.parameterScales[k]
            scales[k] = v.isFinite && v > 0 ? v : 1
        }
    }

    deinit {
        N_VDestroyVectorArray(vectors, Int32(count))
        inputs.deallocate()
        outputs.deallocate()
        scales.deallocate()
    }

    /// Copies parameter-major sensitivities (`[k * n + i]`) into the vectors.
    func load(_ s: UnsafeBufferPointer<Double>, stateCount n: Int) {
        for k in 0..<count {
            let data = kinapse_nvector_data(vectors[k])!
            for i in 0..<length { data[i] = i < n ? s[k * n + i] : 0 }
        }
    }
}

extension Integrator {
    /// Integrates the forward sensitivities of `system` along with the states, from
    /// `initial` (parameter-major: `initial[k * n + i] = ∂y_i/∂p_k` at the start).
    ///
    /// Error control includes the sensitivities (`CVodeSetSensErrCon`), with tolerances
    /// estimated from the state tolerances and the parameter scales (`CVodeSensEEtolerances`,
    /// `pbar` = `system.parameterScales`).
    public func enableSensitivities(_ system: any SensitivitySystem, initial: [Double],
                                    method: SensitivityMethod = .staggered) throws(CVODEError) {
        let n = self.system.stateCount
        precondition(system.stateCount == n && initial.count == n * system.parameterCount)
        guard system.parameterCount > 0, sensitivities == nil else { return }
        guard let storage = SensitivityStorage(system: system, template: y!, length: max(n, 1), method: method) else {
            throw CVODEError.setupFailure("N_VCloneVectorArray", flag: -1)
        }
        sensitivities = storage
        initial.withUnsafeBufferPointer { storage.load($0, stateCount: n) }
        try check(CVodeSensInit(memory, Int32(storage.count), method.cvodesValue, sensitivityRHSCallback, storage.vectors), "CVodeSensInit")
        try check(CVodeSensEEtolerances(memory), "CVodeSensEEtolerances")
        try check(CVodeSetSensParams(memory, nil, storage.scales, nil), "CVodeSetSensParams")
        try check(CVodeSetSensErrCon(memory, 1), "CVodeSetSensErrCon")
    }

    /// Restarts after a discontinuity with new states and sensitivities (parameter-major).
    public func reinitialize(time: Double, state: UnsafeBufferPointer<Double>,
                             sensitivities s: UnsafeBufferPointer<Double>) throws(CVODEError) {
        try reinitialize(time: time, state: state)
        guard let storage = sensitivities else { return }
        storage.load(s, stateCount: self.system.stateCount)
        try check(CVodeSensReInit(memory, storage.method.cvodesValue, storage.vectors), "CVodeSensReInit")
    }

    /// The sensitivities at the time the last `advance` returned, parameter-major.
    public func copySensitivities(into s: inout [Double]) throws(CVODEError) {
        guard let storage = sensitivities else { return }
        var t = time
        try check(CVodeGetSens(memory, &t, storage.vectors), "CVodeGetSens")
        let n = self.system.stateCount
        for k in 0..<storage.count {
            let data = kinapse_nvector_data(storage.vectors[k])!
            for i in 0..<n { s[k * n + i] = data[i] }
        }
    }

    /// Evaluations of the sensitivity right-hand side since the last re-initialisation.
    public var sensitivityRHSEvaluations: Int {
        guard sensitivities != nil else { return 0 }
        var v = 0
        CVodeGetSensNumRhsEvals(memory, &v)
        return v
    }
}

private let sensitivityRHSCallback: CVSensRhsFn = { count, t, y, _, yS, ySdot, userData, _, _ in
    withIntegrator(userData) { integrator in
        guard let storage = integrator.sensitivities, let yS, let ySdot else { return -1 }
        let n = storage.system.stateCount
        for k in 0..<Int(count) {
            storage.inputs[k] = kinapse_nvector_data(yS[k])!
            storage.outputs[k] = kinapse_nvector_data(ySdot[k])!
        }
        guard n > 0 else {
            for k in 0..<Int(count) { storage.outputs[k][0] = 0 }
            return 0
        }
        storage.system.evaluateSensitivityRHS(time: t, state: kinapse_nvector_data(y)!, sensitivities: storage.inputs,
                                              derivatives: storage.outputs)
        for k in 0..<Int(count) where kinapse_first_non_finite(storage.outputs[k], n) >= 0 {
            return 1  // recoverable: CVODE retries
        }
        return 0
    }
}
