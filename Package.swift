// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Assay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "assay", targets: ["assay"]),
        .library(name: "AssayCore", targets: ["AssayCore"]),
        .library(name: "AssayEngine", targets: ["AssayEngine"]),
        .library(name: "AssayStore", targets: ["AssayStore"]),
        .library(name: "AssayServer", targets: ["AssayServer"]),
        .executable(name: "assay-server", targets: ["assay-server"]),
        .executable(name: "assay-runner", targets: ["assay-runner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(
            url: "https://github.com/apple/swift-configuration.git", from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]
        ),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // Declaration, validation, sweep plans, result rendering. Pure: no I/O.
        .target(
            name: "AssayCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Runs one trial as a process group: timeouts, metric lines, result file, capped logs.
        .target(
            name: "AssayEngine",
            dependencies: [
                "AssayCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // libmongoc 1.x from Debian's libmongoc-dev (the Makefile installs it).
        .systemLibrary(
            name: "CMongoc",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),
        // libcurl from Debian's libcurl4-openssl-dev, with typed setters for its variadic calls.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // HTTP(S) requests and SMTP mail through libcurl: the Runner's link to the server,
        // the completion mail, and (later) the Kubernetes API.
        .target(
            name: "AssayCurl",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // prctl(2) and friends, which Swift cannot call (variadic).
        .target(name: "CAssaySystem"),
        // The Runner: fetches an experiment's spec and artifact, leases trials, runs them with
        // the engine, reports batched events, sends the completion mail.
        .target(
            name: "AssayRunner",
            dependencies: [
                "AssayCore",
                "AssayEngine",
                "AssayCurl",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "assay-runner",
            dependencies: [
                "AssayRunner", "AssayCurl", "CAssaySystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The store protocol and its SQLite (embedded) and MongoDB (cluster) implementations.
        .target(
            name: "AssayStore",
            dependencies: [
                "AssayCore",
                "CMongoc",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The Kubernetes side: Job builder and reconcile decisions (pure), cluster access
        // (service account or kubeconfig) and the API client over libcurl.
        .target(
            name: "AssayKube",
            dependencies: [
                "AssayCore",
                "AssayCurl",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The `assay` command line.
        .target(
            name: "AssayCLI",
            dependencies: [
                "AssayCore",
                "AssayEngine",
                "AssayCurl",
                "AssayServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "assay", dependencies: ["AssayCLI"], swiftSettings: strict),
        // The HTTP API: configuration, authentication, routes, errors at the boundary.
        .target(
            name: "AssayServer",
            dependencies: [
                "AssayCore",
                "AssayStore",
                "AssayKube",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            // The web UI's static files (plain HTML/CSS/JS modules, no build step).
            resources: [.copy("UI/web")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "assay-server",
            dependencies: ["AssayServer", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "assay-bench",
            dependencies: [
                "AssayCore", "AssayEngine", "AssayStore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "benchmarks/Sources/assay-bench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "AssayCoreTests",
            dependencies: [
                "AssayCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "AssayEngineTests", dependencies: ["AssayEngine"], swiftSettings: strict),
        .testTarget(
            name: "AssayKubeTests",
            dependencies: ["AssayKube", "AssayCore", "AssayCurl", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AssayCurlTests",
            dependencies: [
                "AssayCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["smtp_capture.py", "https_server.py", "eml_to_json.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AssayRunnerTests",
            dependencies: [
                "AssayRunner",
                "AssayServer",
                "AssayStore",
                "AssayTestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // Test helpers shared by the store and server tests: the store kinds and the nx-27017 server.
        .target(name: "AssayTestSupport", dependencies: ["AssayStore"], path: "Tests/AssayTestSupport", swiftSettings: strict),
        .testTarget(
            name: "AssayStoreTests",
            dependencies: ["AssayCore", "AssayStore", "AssayTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AssayServerTests",
            dependencies: [
                "AssayServer",
                "AssayKube",
                "AssayStore",
                "AssayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
    ]
)
