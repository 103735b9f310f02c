import AssayStore
import Hummingbird
import Prometheus

/// What `/metrics` reports, in Prometheus' text format: requests and their
/// latency, experiments by state, event batches and values ingested, leases.
/// One registry per application (not the process-wide MetricsSystem), so
/// every test server counts for itself.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let latency: DurationHistogram
    private let batches: Counter
    private let events: Counter
    private let values: Counter
    private let leases: Counter

    init() {
        latency = registry.makeDurationHistogram(
            descriptor: .init(namespace: "assay", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer a request"),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)])
        batches = registry.makeCounter(descriptor: .init(
            namespace: "assay", metricName: "event_batches", unitName: "total", helpText: "Runner event batches applied (duplicates not counted)"))
        events = registry.makeCounter(descriptor: .init(
            namespace: "assay", metricName: "events_ingested", unitName: "total", helpText: "Runner events applied"))
        values = registry.makeCounter(descriptor: .init(
            namespace: "assay", metricName: "metric_values_ingested", unitName: "total", helpText: "Metric values applied"))
        leases = registry.makeCounter(descriptor: .init(
            namespace: "assay", metricName: "trial_leases", unitName: "total", helpText: "Trials handed out to Runners"))
    }

    func recordRequest(method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "assay", metricName: "http_requests", unitName: "total", helpText: "Requests answered"),
            labels: [("method", method), ("status", String(status))]
        ).increment()
        latency.record(duration)
    }

    func recordBatch(_ applied: [RunnerEvent]) {
        batches.increment()
        events.increment(by: Int64(applied.count))
        let count = applied.reduce(0) { total, event in
            if case .metrics(_, _, let steps, let metrics) = event { return total + steps.count * metrics.count }
            return total
        }
        values.increment(by: Int64(count))
    }

    func recordLeases(_ count: Int) {
        leases.increment(by: Int64(count))
    }

    /// Sets the experiments-by-state gauges from the store (queued and running:
    /// the states an operator watches) and renders everything.
    func exposition(store: any ExperimentStore) async throws -> String {
        let active = try await store.experiments(inStatus: [.queued, .running])
        for status in [ExperimentStatus.queued, .running] {
            registry.makeGauge(
                descriptor: .init(namespace: "assay", metricName: "experiments", unitName: "", helpText: "Experiments by state"),
                labels: [("status", status.rawValue)]
            ).set(Double(active.filter { $0.status == status }.count))
        }
        return registry.emitToString()
    }
}

/// Counts every answered request and its latency (errors included: it runs
/// outside the error mapping, which has turned them into ``APIError``s).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.recordRequest(method: request.method.rawValue, status: response.status.code, duration: .now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(method: request.method.rawValue, status: status, duration: .now - start)
            throw error
        }
    }
}
