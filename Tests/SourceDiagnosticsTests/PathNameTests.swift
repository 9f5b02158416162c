import Testing
import SourceDiagnostics

/// `PathName.directory(of:)` against what NSString's deletingLastPathComponent returns where it does not trap.
@Suite struct PathNameTests {
    @Test(arguments: [("a/b/c", "a/b"), ("/a", "/"), ("/", "/"), ("a", ""), ("x", ""), ("", ""), ("a/b/", "a"),
                      ("./x", "."), ("../x", ".."), ("a//b", "a"), ("/a/b", "/a")])
    func theDirectoryOfAPath(path: String, directory: String) {
        #expect(PathName.directory(of: path) == directory)
    }
}
