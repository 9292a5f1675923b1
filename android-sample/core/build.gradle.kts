// Plain Kotlin: no Android dependency, so the view models and the repository are unit-tested on the JVM
// (`./gradlew :core:test`) against the host build of libmobile_core.
plugins {
    kotlin("jvm")
}

kotlin {
    jvmToolchain(17)
}

val jnaVersion = "5.15.0"

dependencies {
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    // The generated bindings call the library through JNA. The app brings the Android flavour (an AAR with the
    // per-ABI native parts); the JVM tests use the plain jar.
    compileOnly("net.java.dev.jna:jna:$jnaVersion")
    testImplementation("net.java.dev.jna:jna:$jnaVersion")
    testImplementation(kotlin("test"))
}

// The tests load the host library built by `cargo build -p mobile-core` (see README.md) and sync with a server whose
// address and tokens come from the environment (the workspace's server/tests/android_sample.rs sets them up).
tasks.test {
    useJUnit()
    // The live test needs a running server and device tokens (FIELDLEDGER_URL, FIELDLEDGER_TOKEN_A, …; README.md).
    if (System.getenv("FIELDLEDGER_URL") == null) exclude("**/SyncViewModelLiveTest*")
    val workspace = rootDir.parentFile
    val library = workspace.resolve(
        "target/debug/" + if (System.getProperty("os.name").startsWith("Mac")) "libmobile_core.dylib" else "libmobile_core.so",
    )
    systemProperty("uniffi.component.mobile_core.libraryOverride", library.absolutePath)
    environment("FIELDLEDGER_SCRATCH_DIR", layout.buildDirectory.dir("test-scratch").get().asFile.absolutePath)
}
