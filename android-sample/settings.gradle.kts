// The Android sample: `core` is plain Kotlin (view models, the repository, the generated UniFFI bindings) and is
// unit-tested on the JVM; `app` is the thin Jetpack Compose layer.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "fieldledger-android-sample"
include(":core", ":app")
