package com.fieldledger.sample.core

import uniffi.mobile_core.CoreException

/**
 * What a screen shows when a call fails: the core's typed errors turned into words and, for bad input, the form
 * field to highlight. The generated exceptions carry fields, not sentences, so the sentences are written here.
 */
sealed class UiError {
    abstract val message: String

    /** Bad input: [field] is the form's key (see [formField]), [message] the core's reason. */
    data class Field(val field: String, override val message: String) : UiError()

    /** No connection: nothing is lost, the records wait on the phone. */
    data class Offline(val reason: String) : UiError() {
        override val message get() = "No connection to the server. Nothing is lost: sync again when you have signal."
    }

    /** The token was refused: sign in again. */
    data class SignInAgain(val reason: String) : UiError() {
        override val message get() = "The server refused this phone's sign-in ($reason). Sign in again."
    }

    /** Sign-out or wipe refused because work has not reached the server. */
    data class Unsynced(val records: Int, val photos: Int) : UiError() {
        override val message get() = "$records records and $photos photos are not on the server yet. Sync first."
    }

    data class Photo(override val message: String) : UiError()

    /** The app stopped the work (the Cancel button): nothing is lost, the rest follows at the next sync. */
    data object Cancelled : UiError() {
        override val message get() = "Stopped. Nothing is lost: what was done stays done, the rest follows next time."
    }

    data class Other(override val message: String) : UiError()
}

/**
 * The form key for a field the core names: `line.hours` and `line.days` are the crew form's `effort`,
 * `lines[3].rate` is `rate`, `amount` stays `amount`.
 */
fun formField(coreField: String): String {
    val last = coreField.substringAfterLast('.').substringBefore('[')
    return when (last) {
        "hours", "days" -> "effort"
        else -> last
    }
}

fun CoreException.toUiError(): UiError = when (this) {
    is CoreException.InvalidInput -> UiError.Field(formField(field), reason)
    is CoreException.Offline -> UiError.Offline(reason)
    is CoreException.Unauthorized -> UiError.SignInAgain(reason)
    is CoreException.UnsyncedData -> UiError.Unsynced(records.toInt(), photos.toInt())
    is CoreException.PhotoUnreadable -> UiError.Photo("The photo file cannot be read: $reason")
    is CoreException.PhotoTooLarge ->
        UiError.Photo("This photo is $width×$height pixels, more than ${maxPixels / 1_000_000u} megapixels. Take a smaller one.")
    is CoreException.PhotoDamaged -> UiError.Photo("This photo file is damaged: $reason")
    is CoreException.PhotoUnsupported -> UiError.Photo("This is not a photo the app can use: $reason")
    is CoreException.Cancelled -> UiError.Cancelled
    is CoreException.ListenerFailed -> UiError.Other("Stopped: $reason")
    is CoreException.PhotoNotFound -> UiError.Photo("The photo file is gone: $path")
    is CoreException.NotFound -> UiError.Other("$what $id was not found")
    is CoreException.RecordVoided -> UiError.Other("This record was voided and can no longer be edited")
    is CoreException.SyncFailed -> UiError.Other("Sync failed: $reason")
    is CoreException.PairingCodeUnknown -> UiError.Other("This pairing code is not known: check it, or ask for a new one")
    is CoreException.PairingCodeUsed -> UiError.Other("This pairing code was used already: ask for a new one")
    is CoreException.PairingCodeExpired -> UiError.Other("This pairing code has expired: ask for a new one")
    is CoreException.PairingRefused -> UiError.Other("Pairing refused: $reason")
    is CoreException.NewerSchemaVersion -> UiError.Other("Record $id needs a newer version of the app")
    is CoreException.StoreTooNew -> UiError.Other("This phone's data was written by a newer version of the app")
    is CoreException.StoreCorrupt -> UiError.Other("The phone's data file is damaged: $reason")
    is CoreException.Storage -> UiError.Other("Could not save on the phone: $reason")
    is CoreException.BadDocument -> UiError.Other("Record $id is damaged: $reason")
    is CoreException.WrongKind -> UiError.Other("Record $id is a $found, not a $expected")
    is CoreException.Closed -> UiError.Other("The phone's store is closed")
    is CoreException.Internal -> UiError.Other("Internal error: $reason")
    is CoreException.NoHttpTransport -> UiError.Other("Internal error: the store was opened without the app's HTTP")
    is CoreException.NoDailyReport ->
        UiError.Other("No daily report for site $siteId on $date: nothing was recorded that day")
    is CoreException.DayNotOnPhone ->
        UiError.Offline("site $siteId on $date is no longer on this phone; it is fetched from the server when online")
    is CoreException.RecordNotOnPhone ->
        UiError.Offline("record $id is no longer on this phone; fetch it from the server when online")
    is CoreException.DownloadTooLarge -> UiError.Other("The download is larger than ${limitBytes / 1_048_576u} MB")
    is CoreException.ServerException -> UiError.Other("The server answered $status: $reason")
}
