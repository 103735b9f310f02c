import Hummingbird

/// `GET /openapi.yaml`: every route the server has, with its parameters,
/// bodies and answers. A test fails when a route is missing here or a path
/// here has no route.
enum OpenAPIDocument {
    static func addRoutes(to router: Router<AssayRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: yaml)))
        }
    }

    static let yaml = """
        openapi: 3.1.0
        info:
          title: Assay API
          version: "1"
          description: Experiments, artifacts, trials and results of assay-server; runner routes for Runners. See docs/api.md.
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, description: "API token (asy_…) on user routes; runner token (asr_…) on runner routes"}
            session: {type: apiKey, in: cookie, name: assay_session}
          parameters:
            id: {name: id, in: path, required: true, schema: {type: string}}
            index: {name: index, in: path, required: true, schema: {type: integer, minimum: 0}}
          responses:
            Error: {description: "An error", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
            NoContent: {description: "Done"}
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code: {type: string}
                    message: {type: string}
                    fields: {type: array, items: {type: object, additionalProperties: {type: string}}}
            User:
              type: object
              required: [id, username, admin, createdAt]
              properties: {id: {type: string}, username: {type: string}, admin: {type: boolean}, createdAt: {type: string, format: date-time}}
            Token:
              type: object
              required: [id, name, createdAt]
              properties: {id: {type: string}, name: {type: string}, token: {type: string}, createdAt: {type: string, format: date-time}}
            Artifact:
              type: object
              required: [id, sha256, size, deduplicated]
              properties: {id: {type: string}, sha256: {type: string}, size: {type: integer}, deduplicated: {type: boolean}}
            ExperimentStatus: {type: string, enum: [queued, running, completed, failed, canceled]}
            TrialStatus: {type: string, enum: [pending, running, succeeded, failed, timed_out, canceled, stopped_early]}
            TrialAttempt:
              type: object
              additionalProperties: false
              required: [trial, attempt]
              properties: {trial: {type: integer}, attempt: {type: integer}}
            CreatedExperiment:
              type: object
              required: [id, status, trials]
              properties: {id: {type: string}, status: {$ref: "#/components/schemas/ExperimentStatus"}, trials: {type: integer}}
            Experiment:
              type: object
              required: [id, name, tags, status, trials, counts, maxAttempts, archived, createdAt, notification, public]
              properties:
                id: {type: string}
                name: {type: string}
                description: {type: string}
                tags: {type: array, items: {type: string}}
                status: {$ref: "#/components/schemas/ExperimentStatus"}
                reason: {type: string}
                trials: {type: integer}
                counts: {type: object, additionalProperties: {type: integer}}
                artifact: {type: string}
                maxAttempts: {type: integer}
                archived: {type: boolean}
                public: {type: boolean, description: "readable by every signed-in user with the link"}
                owner: {type: string, description: "the owner's username"}
                createdAt: {type: string, format: date-time}
                startedAt: {type: string, format: date-time}
                finishedAt: {type: string, format: date-time}
                notification:
                  type: object
                  description: "the completion mail"
                  required: [state, attempts]
                  properties:
                    state: {type: string, enum: [pending, claimed, sent, failed]}
                    claimedBy: {type: string}
                    attempts: {type: integer}
                    lastError: {type: string}
                    sentAt: {type: string, format: date-time}
                declaration: {type: string, description: "only on GET /experiments/{id}"}
            Trial:
              type: object
              required: [index, status, attempt, attempts, metrics]
              properties:
                index: {type: integer}
                status: {$ref: "#/components/schemas/TrialStatus"}
                attempt: {type: integer}
                attempts: {type: array, items: {type: object}}
                metrics: {type: object}
                parameters: {type: object, additionalProperties: {type: string}}
        security: [{bearer: []}, {session: []}]
        paths:
          /healthz:
            get:
              security: []
              responses: {"200": {description: "The process serves"}}
          /readyz:
            get:
              security: []
              responses: {"200": {description: "The store answers"}, "503": {$ref: "#/components/responses/Error"}}
          /metrics:
            get:
              security: []
              responses: {"200": {description: "Prometheus text format", content: {text/plain: {}}}}
          /openapi.yaml:
            get:
              security: []
              responses: {"200": {description: "This document", content: {application/yaml: {}}}}
          /api/v1/auth/login:
            post:
              security: []
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [username, password], properties: {username: {type: string}, password: {type: string}}}}}}
              responses: {"200": {description: "The user; sets the session cookie", content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "429": {$ref: "#/components/responses/Error"}}
          /api/v1/auth/logout:
            post:
              security: []
              responses: {"204": {$ref: "#/components/responses/NoContent"}}
          /api/v1/me:
            get:
              responses: {"200": {description: "The caller", content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}}
          /api/v1/tokens:
            get:
              responses: {"200": {description: "The caller's API tokens", content: {application/json: {schema: {type: object, properties: {tokens: {type: array, items: {$ref: "#/components/schemas/Token"}}}}}}}, "401": {$ref: "#/components/responses/Error"}}
            post:
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [name], properties: {name: {type: string, minLength: 1, maxLength: 100, pattern: '\\S'}}}}}}
              responses: {"201": {description: "The token, shown once", content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/tokens/{id}:
            delete:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"204": {$ref: "#/components/responses/NoContent"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/users:
            post:
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [username, password], properties: {username: {type: string}, password: {type: string}, admin: {type: boolean}}}}}}
              responses: {"201": {description: "The user", content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}, "409": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/artifacts:
            get:
              parameters: [{name: sha256, in: query, required: true, description: "the SHA-256 of the bytes (hex)", schema: {type: string, pattern: "^[0-9a-fA-F]{64}$"}}]
              responses: {"200": {description: "The caller's artifact with these bytes (deduplicated is true)", content: {application/json: {schema: {$ref: "#/components/schemas/Artifact"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
            post:
              requestBody: {required: true, content: {application/zip: {schema: {type: string, format: binary}}}}
              responses: {"201": {description: "Stored", content: {application/json: {schema: {$ref: "#/components/schemas/Artifact"}}}}, "200": {description: "The caller's artifact with these bytes", content: {application/json: {schema: {$ref: "#/components/schemas/Artifact"}}}}, "401": {$ref: "#/components/responses/Error"}, "413": {$ref: "#/components/responses/Error"}}
          /api/v1/artifacts/{id}:
            get:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The bytes", content: {application/zip: {schema: {type: string, format: binary}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments:
            get:
              parameters:
                - {name: status, in: query, schema: {$ref: "#/components/schemas/ExperimentStatus"}}
                - {name: tag, in: query, schema: {type: string}}
                - {name: q, in: query, schema: {type: string}}
                - {name: include_archived, in: query, schema: {type: boolean}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200}}
                - {name: after, in: query, schema: {type: string}}
              responses: {"200": {description: "A page, newest first", content: {application/json: {schema: {type: object, required: [items, next], properties: {items: {type: array, items: {$ref: "#/components/schemas/Experiment"}}, next: {type: [string, "null"]}}}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}}
            post:
              requestBody:
                required: true
                content:
                  application/json: {schema: {type: object, additionalProperties: false, required: [declaration], properties: {declaration: {type: object}, artifact: {type: string}}}}
                  application/yaml: {schema: {type: string}}
              responses: {"201": {description: "Queued", content: {application/json: {schema: {$ref: "#/components/schemas/CreatedExperiment"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "413": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}:
            get:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The experiment and its declaration", content: {application/json: {schema: {$ref: "#/components/schemas/Experiment"}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
            delete:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"204": {$ref: "#/components/responses/NoContent"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/cancel:
            post:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The experiment", content: {application/json: {schema: {$ref: "#/components/schemas/Experiment"}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/archive:
            post:
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: false, content: {application/json: {schema: {type: object, additionalProperties: false, required: [archived], properties: {archived: {type: boolean}}}}}}
              responses: {"200": {description: "The experiment", content: {application/json: {schema: {$ref: "#/components/schemas/Experiment"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/visibility:
            post:
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [public], properties: {public: {type: boolean}}}}}}
              responses: {"200": {description: "The experiment", content: {application/json: {schema: {$ref: "#/components/schemas/Experiment"}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/rerun:
            post:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"201": {description: "The queued copy", content: {application/json: {schema: {$ref: "#/components/schemas/CreatedExperiment"}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/trials:
            get:
              parameters:
                - {$ref: "#/components/parameters/id"}
                - {name: metric, in: query, schema: {type: string}}
                - {name: order, in: query, schema: {type: string, enum: [asc, desc]}}
                - {name: status, in: query, schema: {$ref: "#/components/schemas/TrialStatus"}}
                - {name: offset, in: query, schema: {type: integer, minimum: 0}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
              responses: {"200": {description: "Leased trials", content: {application/json: {schema: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/components/schemas/Trial"}}}}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/trials/{index}/logs:
            get:
              parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/index"}, {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000}}]
              responses: {"200": {description: "The last lines", content: {application/json: {schema: {type: object, required: [lines], properties: {lines: {type: array, items: {type: object, properties: {attempt: {type: integer}, stream: {type: string, enum: [stdout, stderr]}, text: {type: string}}}}}}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/trials/{index}/metrics:
            get:
              parameters: [{$ref: "#/components/parameters/id"}, {$ref: "#/components/parameters/index"}]
              responses: {"200": {description: "One series per metric and attempt, steps and values aligned", content: {application/json: {schema: {type: object, required: [trial, series], properties: {trial: {type: integer}, series: {type: array, items: {type: object, required: [name, attempt, steps, values], properties: {name: {type: string}, attempt: {type: integer}, steps: {type: array, items: {type: [integer, "null"]}}, values: {type: array, items: {type: [number, "null"]}}}}}}}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/results.csv:
            get:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The results table", content: {text/csv: {}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/results.json:
            get:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The results table", content: {application/json: {schema: {type: object}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/bundle.zip:
            get:
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "Results, declaration and logs", content: {application/zip: {schema: {type: string, format: binary}}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/experiments/{id}/events:
            get:
              parameters: [{$ref: "#/components/parameters/id"}, {name: Last-Event-ID, in: header, schema: {type: string}}]
              responses: {"200": {description: "Server-Sent Events (experiment, metrics, log, trial) until the experiment is final", content: {text/event-stream: {}}}, "401": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/spec:
            get:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "What a Runner needs", content: {application/json: {schema: {type: object, required: [experiment, status, declaration, trials, maxAttempts, leaseSeconds]}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/artifact:
            get:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: {"200": {description: "The artifact's bytes", content: {application/zip: {schema: {type: string, format: binary}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}, "404": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/lease:
            post:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [runner, max], properties: {runner: {type: string}, max: {type: integer, minimum: 1, maximum: 1000}}}}}}
              responses: {"200": {description: "Leased trials", content: {application/json: {schema: {type: object, required: [leases, status], properties: {leases: {type: array, items: {type: object, properties: {index: {type: integer}, attempt: {type: integer}, deadline: {type: string, format: date-time}}}}, status: {$ref: "#/components/schemas/ExperimentStatus"}}}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/events:
            post:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [runner, seq, events], properties: {runner: {type: string}, seq: {type: integer}, events: {type: array, items: {type: object, required: [type, trial, attempt], properties: {type: {type: string, enum: [metrics, log, finished]}}}}, active: {type: array, maxItems: 10000, description: "The attempts the Runner still runs; each one it does not hold comes back revoked", items: {$ref: "#/components/schemas/TrialAttempt"}}}}}}}
              responses: {"200": {description: "Applied (or a duplicate)", content: {application/json: {schema: {type: object, required: [duplicate, status, revoked, revokedAttempts], properties: {duplicate: {type: boolean}, status: {$ref: "#/components/schemas/ExperimentStatus"}, revoked: {type: array, description: "The trials of revokedAttempts", items: {type: integer}}, revokedAttempts: {type: array, description: "Attempts to stop: named by an event or listed active, but not held by this Runner", items: {$ref: "#/components/schemas/TrialAttempt"}}}}}}}, "400": {$ref: "#/components/responses/Error"}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}, "413": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/setup-failed:
            post:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [runner, reason], properties: {runner: {type: string}, reason: {type: string}}}}}}
              responses: {"200": {description: "The experiment's state", content: {application/json: {schema: {type: object, required: [status], properties: {status: {$ref: "#/components/schemas/ExperimentStatus"}}}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}, "422": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/claim-notification:
            post:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [runner], properties: {runner: {type: string}}}}}}
              responses: {"200": {description: "Whether this Runner sends the mail; if so the SMTP settings and what the mail reports", content: {application/json: {schema: {type: object, required: [granted], properties: {granted: {type: boolean}, reason: {type: string, description: "why nothing was granted: no recipients, or no SMTP configured"}, smtp: {type: [object, "null"], properties: {url: {type: string}, user: {type: [string, "null"]}, password: {type: [string, "null"]}, from: {type: [string, "null"]}, starttls: {type: string, enum: [required, "off"]}}}, mail: {type: object, required: [to, experiment, best], properties: {to: {type: array, items: {type: string}}, experiment: {type: object, required: [id, name, status, counts, trials, createdAt, seconds]}, url: {type: [string, "null"]}, objective: {type: [object, "null"], properties: {metric: {type: string}, goal: {type: string, enum: [maximize, minimize]}}}, best: {type: array, items: {type: object, required: [trial, status, parameters, metrics]}}, resultsCsv: {type: [string, "null"], description: "the results.csv attachment; null when over 5 MiB"}}}}}}}}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}}
          /api/v1/runner/experiments/{id}/notification-result:
            post:
              security: [{bearer: []}]
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody: {required: true, content: {application/json: {schema: {type: object, additionalProperties: false, required: [runner, sent], properties: {runner: {type: string}, sent: {type: boolean}, error: {type: string}}}}}}
              responses: {"204": {$ref: "#/components/responses/NoContent"}, "401": {$ref: "#/components/responses/Error"}, "403": {$ref: "#/components/responses/Error"}}

        """
}
