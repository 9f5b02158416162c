import Testing
import Foundation
import AntimonyFrontEnd
import ModelCompiler
import PathwayTestSupport

/// Properties every shipped pathway file must have.
@Suite struct ShippedPathwayTests {
    @Test func everyShippedPathwayCompiles() throws {
        let files = TestModels.shippedPathways
        #expect(!files.isEmpty)
        for url in files {
            let model = try ModelCompiler.compile(AntimonyLoader.load(path: url.path))
            #expect(model.stateCount > 0, "\(url.lastPathComponent)")
        }
    }
}
