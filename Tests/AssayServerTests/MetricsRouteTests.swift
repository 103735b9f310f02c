@testable import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct MetricsRouteTests {
    @Test(arguments: StoreKind.allCases)
    func metricsCountRequestsExperimentsLeasesAndIngestedValues(kind: StoreKind) async throws {
        let store = try await kind.open()
        let executor = RecordingExecutor()
        try await withServer(store, executor: executor) { client in
            let token = try await client.userToken("alice")
            let id = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            _ = try await client.createExperiment(token: token, artifact: try await client.artifactID(token: token))
            let runnerToken = try #require(executor.runnerToken(of: id))
            let base = "/api/v1/runner/experiments/\(id)"
            _ = try await client.send(.post, "\(base)/lease", json: ["runner": "r1", "max": 2], token: runnerToken)
            _ = try await client.send(.post, "\(base)/events", json: ["runner": "r1", "seq": 1, "events": [
                ["type": "metrics", "trial": 0, "attempt": 1, "steps": [1, 2], "metrics": ["loss": [0.5, 0.4], "acc": [0.1, 0.2]]],
            ]], token: runnerToken)
            _ = try await client.send(.get, "/api/v1/experiments/\(id)")

            let response = try await client.send(.get, "/metrics")
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains(#"assay_experiments{status="running"} 1"#))
            #expect(text.contains(#"assay_experiments{status="queued"} 1"#))
            #expect(text.contains("assay_trial_leases_total 2"))
            #expect(text.contains("assay_events_ingested_total 1"))
            #expect(text.contains("assay_metric_values_ingested_total 4"))
            #expect(text.contains(#"assay_http_requests_total{method="POST",status="201"}"#))
            #expect(text.contains(#"assay_http_requests_total{method="GET",status="401"} 1"#))
            #expect(text.contains("assay_http_request_duration_seconds_bucket"))
        }
    }
}
