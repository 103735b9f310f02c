import AssayStore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v1/experiments/{id}/events`: Server-Sent Events of one
/// experiment (`experiment`, `metrics`, `log`, `trial`), resumable with
/// `Last-Event-ID`. The stream ends once the experiment is final.
struct LiveEventController: Sendable {
    let store: any ExperimentStore
    let live: LiveEvents
    let experiments: ExperimentController

    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.get("experiments/{id}/events", use: events)
    }

    @Sendable func events(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let (record, scope) = try await experiments.readable(context)
        let (replay, stream) = await live.subscribe(
            record.id, after: request.headers[.lastEventID], live: !record.status.isFinal)
        // A finished experiment: what is kept, then its final state (no id: nothing to resume after).
        let closing: [(type: String, data: String)] = if stream == nil {
            [LiveEventPayloads.experiment(try await store.experiment(id: record.id, owner: scope) ?? record)]
        } else {
            []
        }
        let body = ResponseBody { writer in
            for event in replay { try await writer.write(ByteBuffer(string: event.text)) }
            for (type, data) in closing { try await writer.write(ByteBuffer(string: LiveEvent(id: "", type: type, data: data).text)) }
            if let stream {
                for await event in stream { try await writer.write(ByteBuffer(string: event.text)) }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
