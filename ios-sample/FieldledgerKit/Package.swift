// swift-tools-version:5.9
//
// FieldledgerKit: the iOS sample's plain-Swift logic, apart from its SwiftUI screens.
//
//   MobileCoreFFI  the Rust core (mobile-core) as static libraries plus its C header, packed into an XCFramework
//                  by ../build-xcframework.sh (not checked in: run the script before `swift build` / `swift test`)
//   MobileCore     the generated UniFFI Swift bindings (scripts/gen-bindings.sh writes them; do not edit)
//   ForemanCore    repository and view models: Foundation, Combine and MobileCore only, no UIKit or SwiftUI,
//                  so `swift test` runs them on a Mac against the real core
import PackageDescription

let package = Package(
    name: "FieldledgerKit",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "ForemanCore", targets: ["ForemanCore"]),
    ],
    targets: [
        .binaryTarget(name: "MobileCoreFFI", path: "MobileCoreFFI.xcframework"),
        .target(
            name: "MobileCore",
            dependencies: ["MobileCoreFFI"],
            path: "Sources/MobileCore",
            linkerSettings: [
                // The Rust static library calls no Apple framework today; these cover TLS crates that use the
                // system's certificate verifier if a feature ever turns it on. Linking them unused costs nothing.
                .linkedFramework("Security"),
                .linkedFramework("CoreFoundation"),
            ]
        ),
        .target(
            name: "ForemanCore",
            dependencies: ["MobileCore"],
            path: "Sources/ForemanCore"
        ),
        .testTarget(
            name: "ForemanCoreTests",
            dependencies: ["ForemanCore"],
            path: "Tests/ForemanCoreTests"
        ),
    ]
)
