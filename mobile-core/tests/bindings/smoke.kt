// Smoke test: the Kotlin bindings load the core library through JNA and call into it.

import uniffi.mobile_core.coreVersion

fun main() {
    val expected = checkNotNull(System.getenv("FIELDLEDGER_CORE_VERSION")) {
        "FIELDLEDGER_CORE_VERSION is not set: run this through `cargo test -p mobile-core --test foreign_bindings`"
    }
    val actual = coreVersion()
    check(actual == expected) { "coreVersion() returned \"$actual\", expected \"$expected\"" }
}
