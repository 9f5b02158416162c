internal import CSundials
internal import CSolverKernels
public import KineticsCore

/// Settings for CVODES: BDF with Newton iteration and a direct linear solver (dense, or
/// KLU on the sparse Jacobian) using the system's analytic Jacobian.
public struct IntegratorOptions: Sendable, Hashable {
    public var relativeTolerance: Double = 1e-6
    public var absoluteTolerance: Double = 1e-12
    /// One absolute tolerance per state, in the system's state order (CVODES'
    /// `CVodeSVtolerances`), in place of `absoluteTolerance`; nil: that one for every state.
    public var absoluteTolerances: [Double]?
    /// CVODE's `mxstep`: steps allowed between two output times before giving up.
    public var maximumSteps: Int = 100_000
    /// Upper bound on the step size (0: none).
    public var maximumStepSize: Double = 0
    /// The most steps the Newton iteration keeps one Jacobian and one factorisation of its
    /// iteration matrix (CVODE's `msbj` and `msbp`); nil: CVODE's defaults, 51 and 20 steps.
    /// A stiff state whose rates change many-fold within those steps (a Ca²⁺-channel gate
    /// through a spike) makes the corrector inaccurate with an old Jacobian, and CVODE then
    /// shrinks the step instead; renewing it more often can take fewer steps overall.
    public var stepsPerJacobian: Int?
    /// Dense or sparse (KLU) linear algebra; `automatic` chooses by size and sparsity.
    public var linearSolver: LinearSolverChoice = .automatic
    /// Runs CVODES with Kinapse's optimised vector, matrix and dense-LU kernels in place of
    /// the system library's (see `CompiledKernels`); the steps and results are identical,
    /// so `false` is only for checking that.
    public var compiledKernels = true
    public init() {}
    public init(relativeTolerance: Double, absoluteTolerance: Double, maximumSteps: Int = 100_000) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.maximumSteps = maximumSteps
    }
}

/// A failure reported by CVODES, with the flag's name and where it happened.
public struct CVODEError: Error, Sendable, CustomStringConvertible {
    public enum Stage: Sendable { case setup, integration }
    public let stage: Stage
    public let flag: Int32
    /// SUNDIALS' name for the flag, e.g. `CV_TOO_MUCH_WORK`.
    public let flagName: String
    /// The C function that failed (setup) or the time reached (integration).
    public let function: String
    public let reachedTime: Double?
    /// SUNDIALS' own explanation, captured from its error handler.
    public let message: String?
    /// The state component whose derivative was not finite, if that is what went wrong.
    public let nonFiniteComponent: Int?

    /// The failures a run explains differently, from the flag (`kind`).
    public enum Kind: Sendable, Equatable {
        /// `CV_TOO_MUCH_WORK`: `maximumSteps` steps without reaching the output time.
        case tooMuchWork
        /// `CV_ERR_FAILURE`: the error test failed repeatedly or at the smallest step.
        case errorTestFailure
        /// `CV_CONV_FAILURE`: the corrector failed to converge repeatedly or at the smallest step.
        case convergenceFailure
        /// `CV_RHSFUNC_FAIL`, `CV_FIRST_RHSFUNC_ERR`, `CV_REPTD_RHSFUNC_ERR`,
        /// `CV_UNREC_RHSFUNC_ERR`: the right-hand side failed (a non-finite derivative).
        case rightHandSideFailure
        /// `CV_LSETUP_FAIL`: the linear solver's setup failed (usually a non-finite Jacobian).
        case linearSolverSetupFailure
        /// Any other flag.
        case other
    }

    /// What kind of failure the flag is.
    public var kind: Kind {
        switch flag {
        case CV_TOO_MUCH_WORK: .tooMuchWork
        case CV_ERR_FAILURE: .errorTestFailure
        case CV_CONV_FAILURE: .convergenceFailure
        case CV_RHSFUNC_FAIL, CV_FIRST_RHSFUNC_ERR, CV_REPTD_RHSFUNC_ERR, CV_UNREC_RHSFUNC_ERR: .rightHandSideFailure
        case CV_LSETUP_FAIL: .linearSolverSetupFailure
        default: .other
        }
    }

    public var description: String {
        var s: String
        switch stage {
        case .setup: s = "\(function) failed with \(flagName)"
        case .integration: s = "integration failed with \(flagName) at t = \(reachedTime.map { "\($0)" } ?? "?")"
        }
        if let message, !message.isEmpty { s += ": \(message)" }
        return s
    }
}

/// Outcome of one call to `advance(to:)`.
public enum IntegrationStep: Sendable, Equatable {
    /// Reached the requested output time (interpolated if CVODE stepped past it).
    case reached(time: Double)
    /// Stopped exactly at the stop time set with `setStopTime`.
    case stopTime(time: Double)
    /// A root function changed sign; `directions[k]` is +1 (rising), −1 (falling) or 0.
    case root(time: Double, directions: [Int32])
}

/// Owns one CVODES solver and everything it allocates; frees it all on deinit.
///
/// A class because CVODES calls back into it through an unretained pointer
/// (`user_data`): its address must stay fixed while CVODES holds it.
public final class Integrator {
    /// The system in a box, for the C callbacks: a call through the box borrows the
    /// reference, where a call through a stored existential retained and released it
    /// (two atomic operations per right-hand side). The box owns the system.
    let callbackSystem: UnsafeMutablePointer<any ODESystem>
    var system: any ODESystem { callbackSystem.pointee }
    /// The number of states, read by the callbacks without a dynamic call.
    let n: Int
    /// What CVODES passes to every callback (`user_data`): this integrator, unretained, and
    /// the system's direct right-hand side if it has one. Also where the callbacks record a
    /// non-finite derivative.
    let callbacks: UnsafeMutablePointer<kinapse_solver_callbacks>
    // Internal (not private) for the extensions in Integrator+Sensitivities.swift and LinearSolver.swift.
    var context: SUNContext?
    var memory: UnsafeMutableRawPointer?
    var y: N_Vector?
    /// Forward sensitivities, when enabled (`enableSensitivities`).
    var sensitivities: SensitivityStorage?
    var matrix: SUNMatrix?
    var linearSolver: SUNLinearSolver?
    /// The sparse Jacobian's structure, in SUNDIALS' index type (KLU only).
    var sparseColumnStarts: [sunindextype] = []
    var sparseRowIndices: [sunindextype] = []
    /// The linear solver in use (`automatic` resolved).
    public internal(set) var linearSolverKind: LinearSolverChoice = .dense
    let options: IntegratorOptions
    private var rootDirections: [Int32]
    /// Counters of the solver runs before the last re-initialisation (CVODE resets its own).
    private var finishedRuns = SolverStatistics()
    /// Set by the right-hand-side and Jacobian callbacks when they saw a non-finite value.
    var nonFiniteComponent: Int? {
        get { callbacks.pointee.non_finite_component < 0 ? nil : callbacks.pointee.non_finite_component }
        set { callbacks.pointee.non_finite_component = newValue ?? -1 }
    }
    fileprivate var lastErrorMessage: String?
    public private(set) var time: Double

    public init(system: any ODESystem, initialTime: Double, initialState: [Double], options: IntegratorOptions) throws(CVODEError) {
        precondition(initialState.count == system.stateCount)
        self.callbackSystem = .allocate(capacity: 1)
        self.callbackSystem.initialize(to: system)
        self.n = system.stateCount
        self.options = options
        self.time = initialTime
        self.rootDirections = [Int32](repeating: 0, count: system.rootCount)
        self.callbacks = .allocate(capacity: 1)
        let direct = Self.directRightHandSide(of: system)
        callbacks.initialize(to: kinapse_solver_callbacks(owner: nil, rhs: direct?.function, rhs_context: direct?.context,
                                                          state_count: n, non_finite_component: -1))
        callbacks.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        // Every stored property is set before the first throw, so deinit frees what exists.
        try check(kinapse_context_create(&context), "SUNContext_Create")
        // CVODE needs at least one equation; a model with no states gets a dummy one
        // whose derivative is zero (its events and rules still run).
        let length = max(n, 1)
        y = N_VNew_Serial(sunindextype(length), context)
        guard let y else { throw CVODEError.setupFailure("N_VNew_Serial", flag: -1) }
        let data = kinapse_nvector_data(y)!
        for i in 0..<length { data[i] = i < n ? initialState[i] : 0 }
        if options.compiledKernels { CompiledKernels.install(onVector: y) }
        memory = CVodeCreate(CV_BDF, context)
        guard let memory else { throw CVODEError.setupFailure("CVodeCreate", flag: -1) }
        try check(CVodeInit(memory, direct == nil ? rhsCallback : kinapse_direct_rhs, initialTime, y), "CVodeInit")
        try check(CVodeSetUserData(memory, callbacks), "CVodeSetUserData")
        try check(CVodeSetErrHandlerFn(memory, errorCallback, Unmanaged.passUnretained(self).toOpaque()), "CVodeSetErrHandlerFn")
        if let tolerances = options.absoluteTolerances, n > 0 {
            precondition(tolerances.count == n, "one absolute tolerance per state")
            guard let vector = N_VNew_Serial(sunindextype(n), context) else { throw CVODEError.setupFailure("N_VNew_Serial", flag: -1) }
            defer { N_VDestroy(vector) }
            let values = kinapse_nvector_data(vector)!
            for i in 0..<n { values[i] = tolerances[i] }
            // CVODES keeps its own copy of the vector.
            try check(CVodeSVtolerances(memory, options.relativeTolerance, vector), "CVodeSVtolerances")
        } else {
            try check(CVodeSStolerances(memory, options.relativeTolerance, options.absoluteTolerance), "CVodeSStolerances")
        }
        try check(CVodeSetMaxNumSteps(memory, options.maximumSteps), "CVodeSetMaxNumSteps")
        if options.maximumStepSize > 0 { try check(CVodeSetMaxStep(memory, options.maximumStepSize), "CVodeSetMaxStep") }
        try attachLinearSolver(options.linearSolver.resolved(for: system), length: length)
        // After the linear solver: attaching it sets the Jacobian's age limit to its default.
        if let steps = options.stepsPerJacobian {
            try check(CVodeSetLSetupFrequency(memory, steps), "CVodeSetLSetupFrequency")
            try check(CVodeSetJacEvalFrequency(memory, steps), "CVodeSetJacEvalFrequency")
        }
        #if DEBUG || KINAPSE_TEST_HOOKS
        SolverTuning.current?.apply(to: memory)
        #endif
        if system.rootCount > 0 {
            try check(CVodeRootInit(memory, Int32(system.rootCount), rootCallback), "CVodeRootInit")
        }
    }

    deinit {
        if memory != nil { CVodeFree(&memory) }
        if let linearSolver { SUNLinSolFree(linearSolver) }
        if let matrix { SUNMatDestroy(matrix) }
        if let y { N_VDestroy(y) }
        if context != nil { SUNContext_Free(&context) }
        callbackSystem.deinitialize(count: 1)
        callbackSystem.deallocate()
        callbacks.deallocate()
    }

    /// The system's right-hand side as C, when CVODES can call it directly. Not for a
    /// system without states (CVODE integrates a dummy one, which only the Swift callback
    /// knows), nor in a debug build asked to poison the right-hand side.
    private static func directRightHandSide(of system: any ODESystem) -> DirectRightHandSide? {
        guard system.stateCount > 0 else { return nil }
        #if DEBUG || KINAPSE_TEST_HOOKS
        if InjectedFault.current?.kind == .nan { return nil }
        #endif
        return system.directRightHandSide
    }

    /// The current state (after `advance`, the state at the time it returned).
    public var state: [Double] {
        let data = kinapse_nvector_data(y)!
        return (0..<n).map { data[$0] }
    }

    /// Calls `body` with the current state without copying it.
    public func withState<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: kinapse_nvector_data(y)!, count: n))
    }

    /// Never integrate past `t` until the next re-initialisation or until it is reached.
    public func setStopTime(_ t: Double) throws(CVODEError) {
        try check(CVodeSetStopTime(memory, t), "CVodeSetStopTime")
    }

    /// Restarts the solver at `time` from `state` after a discontinuity: the BDF history
    /// is discarded, which is what makes the step after an event accurate.
    public func reinitialize(time: Double, state: UnsafeBufferPointer<Double>) throws(CVODEError) {
        finishedRuns = statistics
        finishedRuns.reinitialisations += 1
        let data = kinapse_nvector_data(y)!
        for i in 0..<n { data[i] = state[i] }
        #if DEBUG || KINAPSE_TEST_HOOKS
        var lastStep = 0.0
        CVodeGetLastStep(memory, &lastStep)
        #endif
        try check(CVodeReInit(memory, time, y), "CVodeReInit")
        #if DEBUG || KINAPSE_TEST_HOOKS
        if let f = SolverTuning.current?.restartStepFraction, lastStep > 0 { _ = CVodeSetInitStep(memory, f * lastStep) }
        if let h = SolverTuning.current?.restartStep { _ = CVodeSetInitStep(memory, h) }
        #endif
        self.time = time
    }

    /// Integrates to `tout` (or to the stop time or a root, whichever comes first).
    public func advance(to tout: Double) throws(CVODEError) -> IntegrationStep {
        nonFiniteComponent = nil
        lastErrorMessage = nil
        var reached = time
        var target = tout
        #if DEBUG || KINAPSE_TEST_HOOKS
        // A forced failure (tests only) stops at its time, then reports its flag.
        let fault = InjectedFault.current.flatMap { $0.flag != nil && time < $0.time && $0.time <= tout ? $0 : nil }
        if let fault { target = fault.time }
        #endif
        let flag = CVode(memory, target, y, &reached, CV_NORMAL)
        time = reached
        #if DEBUG || KINAPSE_TEST_HOOKS
        if SolverTuning.current?.stepLog != nil {
            var steps = 0
            CVodeGetNumSteps(memory, &steps)
            SolverTuning.logStep(time: reached, steps: finishedRuns.steps + steps, memory: memory, state: y)
        }
        #endif
        #if DEBUG || KINAPSE_TEST_HOOKS
        if let fault, let faultFlag = fault.flag, flag == CV_SUCCESS, reached >= fault.time {
            throw CVODEError(stage: .integration, flag: faultFlag, flagName: Self.flagName(faultFlag), function: "CVode", reachedTime: reached,
                             message: "forced by \(InjectedFault.environmentVariable) (debug and test builds only)", nonFiniteComponent: nil)
        }
        #endif
        switch flag {
        case CV_SUCCESS: return .reached(time: reached)
        case CV_TSTOP_RETURN: return .stopTime(time: reached)
        case CV_ROOT_RETURN:
            var found = [Int32](repeating: 0, count: rootDirections.count)
            _ = CVodeGetRootInfo(memory, &found)
            return .root(time: reached, directions: found)
        default:
            var current = reached
            _ = CVodeGetCurrentTime(memory, &current)
            time = current
            throw CVODEError(stage: .integration, flag: flag, flagName: Self.flagName(flag), function: "CVode",
                             reachedTime: current, message: lastErrorMessage, nonFiniteComponent: nonFiniteComponent)
        }
    }

    /// Work counters summed over every run since creation.
    public var statistics: SolverStatistics {
        var s = finishedRuns
        var v: Int = 0
        CVodeGetNumSteps(memory, &v); s.steps += v
        CVodeGetNumRhsEvals(memory, &v); s.rhsEvaluations += v
        CVodeGetNumJacEvals(memory, &v); s.jacobianEvaluations += v
        CVodeGetNumErrTestFails(memory, &v); s.errorTestFailures += v
        CVodeGetNumNonlinSolvConvFails(memory, &v); s.nonlinearConvergenceFailures += v
        if !rootDirections.isEmpty { CVodeGetNumGEvals(memory, &v); s.rootEvaluations += v }
        return s
    }

    static func flagName(_ flag: Int32) -> String {
        guard let p = CVodeGetReturnFlagName(Int(flag)) else { return "flag \(flag)" }
        defer { free(p) }
        return String(cString: p)
    }

    func check(_ flag: Int32, _ function: String) throws(CVODEError) {
        // CV_MEM_NULL would mean we called CVODES without a solver: a bug, not bad input.
        precondition(flag != CV_MEM_NULL, "\(function) called without CVODE memory")
        if flag < 0 {
            throw CVODEError(stage: .setup, flag: flag, flagName: Self.flagName(flag), function: function,
                             reachedTime: nil, message: lastErrorMessage, nonFiniteComponent: nil)
        }
    }

    fileprivate func recordError(_ message: String) { lastErrorMessage = message }
}

extension CVODEError {
    static func setupFailure(_ function: String, flag: Int32) -> CVODEError {
        CVODEError(stage: .setup, flag: flag, flagName: "allocation failure", function: function,
                   reachedTime: nil, message: nil, nonFiniteComponent: nil)
    }
}

// MARK: - C callbacks
// Non-capturing closures, so they convert to C function pointers. Each recovers the
// Integrator from user_data without retaining it (the Integrator owns the solver).

/// Runs `body` with the Integrator behind `userData` (a `kinapse_solver_callbacks`),
/// borrowed: no retain and release around the call (the Integrator outlives every call
/// CVODES makes into it).
@inline(__always)
func withIntegrator(_ userData: UnsafeMutableRawPointer?, _ body: (Integrator) -> Int32) -> Int32 {
    let owner = userData!.assumingMemoryBound(to: kinapse_solver_callbacks.self).pointee.owner!
    return Unmanaged<Integrator>.fromOpaque(owner)._withUnsafeGuaranteedRef(body)
}

private let rhsCallback: CVRhsFn = { t, y, ydot, userData in
    withIntegrator(userData) { integrator in
        let n = integrator.n
        let out = kinapse_nvector_data(ydot)!
        guard n > 0 else {
            out[0] = 0
            return 0
        }
        integrator.callbackSystem.pointee.evaluateRHS(time: t, state: kinapse_nvector_data(y)!, derivative: out)
        #if DEBUG || KINAPSE_TEST_HOOKS
        if let fault = InjectedFault.current, fault.kind == .nan, t >= fault.time { out[0] = .nan }
        #endif
        // A non-finite derivative is reported as recoverable, so CVODE retries with a
        // smaller step; if it persists, CVODE fails and we name the component.
        let bad = kinapse_first_non_finite(out, n)
        guard bad < 0 else {
            integrator.nonFiniteComponent = bad
            return 1
        }
        return 0
    }
}

private let rootCallback: CVRootFn = { t, y, gout, userData in
    withIntegrator(userData) { integrator in
        integrator.callbackSystem.pointee.evaluateRoots(time: t, state: kinapse_nvector_data(y)!, roots: gout!)
        return 0
    }
}

private let errorCallback: CVErrHandlerFn = { _, _, _, message, userData in
    guard let userData, let message else { return }
    Unmanaged<Integrator>.fromOpaque(userData).takeUnretainedValue().recordError(String(cString: message))
}
