// swift-tools-version: 6.0
import PackageDescription

// Imports flow one way: diagnostics → model → front ends → compiler → integrator →
// simulation → reporting → command line. Only CVODEIntegration talks to SUNDIALS.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Kinapse",
    products: [
        .executable(name: "kinapse", targets: ["kinapse"]),
        .library(name: "KinapseEngine", targets: ["AntimonyFrontEnd", "SBMLImport", "ModelCompiler", "Simulation", "Reporting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Debian's libsundials-dev ships no pkg-config file, so the module map links explicitly.
        .systemLibrary(name: "CSundials", providers: [.apt(["libsundials-dev"])]),
        // LAPACK (Debian's liblapack3; OpenBLAS when installed), loaded on first use rather than
        // linked, so that OpenBLAS starts no threads in processes that never fit (kinapse_lapack.h).
        .target(name: "CLapack"),
        .target(name: "SourceDiagnostics", swiftSettings: strictSettings),
        .target(name: "PathwayModel", dependencies: ["SourceDiagnostics"], swiftSettings: strictSettings),
        .target(name: "AntimonyFrontEnd", dependencies: ["SourceDiagnostics", "PathwayModel"], swiftSettings: strictSettings),
        .target(name: "SBMLImport", dependencies: ["SourceDiagnostics", "PathwayModel"], swiftSettings: strictSettings),
        .target(name: "KineticsCore", swiftSettings: strictSettings),
        // Model-free utilities (work queue, seeded generator, cancellation); not a product.
        .target(name: "KinapseUtilities", swiftSettings: strictSettings),
        .target(name: "ConfigFiles", dependencies: ["SourceDiagnostics"], swiftSettings: strictSettings),
        .target(name: "InductionProtocols", dependencies: ["SourceDiagnostics", "ConfigFiles"], swiftSettings: strictSettings),
        .target(name: "SynapseModel", dependencies: ["SourceDiagnostics", "ConfigFiles", "KinapseUtilities"], swiftSettings: strictSettings),
        .target(name: "SynapseSimulation", dependencies: ["SourceDiagnostics", "PathwayModel", "AntimonyFrontEnd", "ModelCompiler", "NativeCode", "Simulation", "KineticsCore", "KinapseUtilities", "CVODEIntegration", "InductionProtocols", "SynapseModel"], swiftSettings: strictSettings),
        .target(name: "ModelCompiler", dependencies: ["SourceDiagnostics", "PathwayModel", "KineticsCore"], swiftSettings: strictSettings),
        // SUNDIALS' KLU solver; KLU's header sits in /usr/include/suitesparse on Debian
        // (libsuitesparse-dev), which the module's shim includes by that path.
        .systemLibrary(name: "CSundialsKLU", providers: [.apt(["libsundials-dev", "libsuitesparse-dev"])]),
        // SUNDIALS' per-step kernels, optimised; C, so the C baselines compile the same file.
        .target(name: "CSolverKernels", dependencies: ["CSundials", "CSundialsKLU"]),
        .target(name: "CVODEIntegration", dependencies: ["CSundials", "CSundialsKLU", "CSolverKernels", "KineticsCore"],
                swiftSettings: strictSettings),
        // Compiles a model's programs to machine code with the system C compiler (`--native-code`).
        .target(name: "NativeCode", dependencies: ["SourceDiagnostics", "ModelCompiler"], swiftSettings: strictSettings),
        .target(name: "Simulation", dependencies: ["SourceDiagnostics", "ModelCompiler", "CVODEIntegration", "KineticsCore", "KinapseUtilities"], swiftSettings: strictSettings),
        .target(name: "Reporting", dependencies: ["SourceDiagnostics", "KineticsCore", "KinapseUtilities"], swiftSettings: strictSettings),
        // OpenMPI, loaded only when mpirun launched the process (kinapse_mpi.h says why not linked).
        .target(name: "CMPI"),
        // MPI jobs: the ranks share the batches of ParallelTasks, rank 0 writes (`mpirun -n N kinapse …`).
        .target(name: "ClusterRuns", dependencies: ["CMPI", "KinapseUtilities"], swiftSettings: strictSettings),
        // Exact (direct method) and tau-leaping stochastic simulation of a compiled pathway.
        .target(name: "StochasticSimulation", dependencies: ["SourceDiagnostics", "PathwayModel", "ModelCompiler", "Simulation", "CVODEIntegration", "KineticsCore", "KinapseUtilities"],
                swiftSettings: strictSettings),
        // Parameter estimation: fit problems, data, observables, objective (`kinapse fit`).
        .target(name: "Fitting", dependencies: ["SourceDiagnostics", "ConfigFiles", "PathwayModel", "AntimonyFrontEnd", "SBMLImport", "ModelCompiler", "NativeCode", "Simulation", "KineticsCore", "CVODEIntegration", "InductionProtocols", "SynapseModel", "SynapseSimulation", "Optimization", "KinapseUtilities"], swiftSettings: strictSettings),
        // PEtab v1 problems: YAML, tables and SBML → simulations, likelihood and gradient (`kinapse petab`).
        .target(name: "PEtab", dependencies: ["SourceDiagnostics", "PathwayModel", "AntimonyFrontEnd", "SBMLImport", "ModelCompiler", "NativeCode", "Simulation", "KineticsCore", "CVODEIntegration", "Fitting", "Optimization", "KinapseUtilities"], swiftSettings: strictSettings),
        .target(name: "Plotting", dependencies: ["SourceDiagnostics", "KineticsCore"], swiftSettings: strictSettings),
        // Bounded Levenberg–Marquardt, seeded multi-start and profile likelihoods (model-agnostic).
        .target(name: "Optimization", dependencies: ["SourceDiagnostics", "CLapack", "KinapseUtilities"], swiftSettings: strictSettings),
        // Steady states by Newton's method on the system reduced by its conservation laws,
        // with integration as the fallback (`kinapse steady-state`).
        .target(name: "SteadyState", dependencies: ["SourceDiagnostics", "ModelCompiler", "CVODEIntegration", "KineticsCore", "Simulation", "Optimization", "KinapseUtilities"], swiftSettings: strictSettings),
        // Parameter scans (steady state or end of run per value) and Hill fits of dose–response curves (`kinapse scan`).
        .target(name: "ParameterScans", dependencies: ["SourceDiagnostics", "ModelCompiler", "CVODEIntegration", "KineticsCore", "Simulation", "SteadyState", "Optimization", "KinapseUtilities"], swiftSettings: strictSettings),
        // GLPK, the GNU Linear Programming Kit (Debian's libglpk-dev), read only through FluxBalance.
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),
        // Flux-balance analysis of SBML fbc models: linear programs solved by GLPK (`kinapse fba`).
        .target(name: "FluxBalance", dependencies: ["CGLPK", "SourceDiagnostics", "PathwayModel", "SBMLImport", "ModelCompiler"], swiftSettings: strictSettings),
        // Runs and judges SBML Test Suite cases (the `sbml-suite` command and the regression test).
        .target(name: "SBMLTestSuite", dependencies: ["SourceDiagnostics", "PathwayModel", "SBMLImport", "ModelCompiler", "CVODEIntegration", "Simulation", "KineticsCore", "FluxBalance"], swiftSettings: strictSettings),
        // HDF5's C library (Debian's libhdf5-dev, serial build), read only through Recordings.
        .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),
        // Recorded electrophysiology: ABF1/ABF2 and NWB icephys readers.
        .target(name: "Recordings", dependencies: ["SourceDiagnostics", "CHDF5"], swiftSettings: strictSettings),
        // Per-stimulus readouts of a recording (amplitude, PPR, CV, failures, Rs), in the fit data format.
        .target(name: "RecordingAnalysis", dependencies: ["Recordings", "Optimization"], swiftSettings: strictSettings),
        // Synthetic recordings with known readouts, written as ABF1, ABF2 and NWB (tests, fixtures, benchmark).
        .target(name: "SyntheticRecordings", dependencies: ["Recordings", "KinapseUtilities"], swiftSettings: strictSettings),
        .executableTarget(name: "kinapse-synth-recording", dependencies: ["SyntheticRecordings"], path: "Sources/RecordingSynth",
                          swiftSettings: strictSettings),
        .executableTarget(
            name: "kinapse",
            dependencies: [
                "SourceDiagnostics", "PathwayModel", "AntimonyFrontEnd", "SBMLImport", "ModelCompiler",
                "CVODEIntegration", "Simulation", "Reporting", "KineticsCore", "SBMLTestSuite",
                "InductionProtocols", "SynapseModel", "SynapseSimulation", "Plotting", "Fitting", "Optimization", "NativeCode", "ConfigFiles", "KinapseUtilities",
                "Recordings", "FluxBalance", "RecordingAnalysis", "SteadyState", "ParameterScans", "StochasticSimulation", "PEtab", "ClusterRuns",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Fuzz targets for every reader (`make fuzz`); an ordinary build gives a replay tool.
        .executableTarget(
            name: "kinapse-fuzz",
            dependencies: ["SourceDiagnostics", "AntimonyFrontEnd", "SBMLImport", "ModelCompiler", "ConfigFiles", "InductionProtocols", "SynapseModel", "Plotting", "Fitting",
                           "Recordings"],
            path: "Sources/KinapseFuzz",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PathwayTestSupport",
            dependencies: ["SourceDiagnostics", "PathwayModel", "AntimonyFrontEnd", "ModelCompiler", "Simulation"],
            path: "Tests/PathwayTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SourceDiagnosticsTests", dependencies: ["SourceDiagnostics"]),
        .testTarget(name: "ConfigFilesTests", dependencies: ["ConfigFiles"]),
        .testTarget(name: "SynapseTests", dependencies: ["InductionProtocols", "SynapseModel", "KineticsCore", "KinapseUtilities", "SynapseSimulation", "PathwayTestSupport"]),
        .testTarget(name: "AntimonyFrontEndTests", dependencies: ["AntimonyFrontEnd", "PathwayTestSupport"]),
        .testTarget(name: "ModelCompilerTests", dependencies: ["ModelCompiler", "AntimonyFrontEnd", "PathwayTestSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "AntimonyFrontEnd", "PathwayTestSupport", "CSundials", "CSundialsKLU", "CSolverKernels"]),
        .testTarget(name: "KinapseCLITests", dependencies: ["PathwayTestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "FluxBalanceTests", dependencies: ["FluxBalance", "SBMLImport", "SourceDiagnostics"]),
        .testTarget(name: "SBMLImportTests", dependencies: ["SBMLImport", "SBMLTestSuite", "ModelCompiler", "Simulation", "PathwayTestSupport", "AntimonyFrontEnd"]),
        .testTarget(name: "NativeCodeTests", dependencies: ["NativeCode", "ModelCompiler", "AntimonyFrontEnd", "Simulation", "KineticsCore", "CVODEIntegration", "PathwayTestSupport", "SourceDiagnostics"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "KinapseUtilities"]),
        .testTarget(name: "FittingTests", dependencies: ["Fitting", "Optimization", "KinapseUtilities", "ModelCompiler", "SourceDiagnostics", "PathwayTestSupport", "AntimonyFrontEnd", "SBMLImport"]),
        .testTarget(name: "PEtabTests", dependencies: ["PEtab", "NativeCode", "SourceDiagnostics"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "KineticsCore", "PathwayTestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "RecordingsTests", dependencies: ["Recordings", "RecordingAnalysis", "SyntheticRecordings", "KinapseUtilities", "Fitting", "Optimization", "SourceDiagnostics", "PathwayTestSupport"]),
        .testTarget(name: "SteadyStateTests", dependencies: ["SteadyState", "SBMLImport", "SBMLTestSuite", "ModelCompiler", "Simulation", "CVODEIntegration", "KineticsCore", "AntimonyFrontEnd", "PathwayTestSupport"]),
        .testTarget(name: "ParameterScansTests", dependencies: ["ParameterScans", "SteadyState", "ModelCompiler", "CVODEIntegration", "PathwayTestSupport"]),
        .testTarget(name: "StochasticSimulationTests", dependencies: ["StochasticSimulation", "KinapseUtilities", "PathwayTestSupport", "AntimonyFrontEnd", "ModelCompiler", "Simulation"]),
        .testTarget(name: "PathwayLibraryTests", dependencies: ["PathwayTestSupport", "AntimonyFrontEnd", "ModelCompiler", "Simulation", "SteadyState", "KinapseUtilities"]),
    ],
    swiftLanguageModes: [.v6]
)
