import SynapseSimulation

extension SynapseRunRequest {
    /// This request with the test stimuli's sweeps recording only what the readouts read: the
    /// readouts and summary are bit-identical and the run is cheaper, but the trajectory is the
    /// time course alone. For the rig suites' helpers whose callers assert on readouts and
    /// summaries only; a test that reads the trajectory's columns keeps the full recording.
    var readoutsOnly: SynapseRunRequest {
        var request = self
        request.recordsTestTraces = false
        return request
    }
}
