import Testing
@testable import AssayKube
