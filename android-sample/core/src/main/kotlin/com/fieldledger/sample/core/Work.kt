package com.fieldledger.sample.core

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.CoreException

/**
 * How a screen's state records a call: `busy` while it runs, then the general error or the errors by form field
 * (`null` leaves the field errors as they are).
 */
typealias StatusSetter<S> = S.(busy: Boolean, error: UiError?, fieldErrors: Map<String, String>?) -> S

/**
 * Runs [block] with the state marked busy; a core error becomes the screen's error, or a field error when it names a
 * field. True when [block] succeeded. Shared by every view model so they all report failures the same way.
 */
suspend fun <S> MutableStateFlow<S>.runWork(setStatus: StatusSetter<S>, block: suspend () -> Unit): Boolean {
    update { it.setStatus(true, null, null) }
    var error: UiError? = null
    var fields: Map<String, String>? = null
    try {
        block()
    } catch (e: CoreException) {
        when (val ui = e.toUiError()) {
            is UiError.Field -> fields = mapOf(ui.field to ui.message)
            else -> error = ui
        }
    } finally {
        update { it.setStatus(false, error, fields) }
    }
    return error == null && fields == null
}
