import Foundation
import SyntheticRecordings

// kinapse-synth-recording PRESET FORMAT OUT: writes one of the project's synthetic recordings
// (Fixtures/recordings/README.md says which file comes from which command).
let usage = "usage: kinapse-synth-recording example|short|benchmark|accuracy abf2|abf1|nwb|nwb-without-icephys OUT"
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let spec: SyntheticRecording.Spec
switch arguments[0] {
case "example": spec = .example
case "short": spec = .short
case "benchmark": spec = .benchmark
case "accuracy": spec = .accuracy
default:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
let recording = SyntheticRecording(spec)
let out = arguments[2]
do {
    switch arguments[1] {
    case "abf2": try ABFWriter.abf2(recording).write(to: URL(fileURLWithPath: out))
    case "abf1": try ABFWriter.abf1(recording).write(to: URL(fileURLWithPath: out))
    case "nwb": try NWBWriter.write(recording, to: out)
    case "nwb-without-icephys": try NWBWriter.write(recording, to: out, includeIcephys: false)
    default:
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("kinapse-synth-recording: \(error)\n".utf8))
    exit(1)
}
