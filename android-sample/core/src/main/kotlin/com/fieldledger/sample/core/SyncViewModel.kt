package com.fieldledger.sample.core

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.CancelToken
import uniffi.mobile_core.ProgressListener
import uniffi.mobile_core.SyncReport
import uniffi.mobile_core.Unsynced

sealed class SyncPhase {
    data object Idle : SyncPhase()

    /** [step] of [steps] (0 while the number of rounds is unknown), [item] says what just happened. */
    data class Running(val step: Int, val steps: Int, val item: String) : SyncPhase()

    data class Finished(val report: SyncReport) : SyncPhase()

    data class Failed(val error: UiError) : SyncPhase()
}

data class SyncState(
    val phase: SyncPhase = SyncPhase.Idle,
    /** Records and photos not on the server yet; `null` until read. */
    val unsynced: Unsynced? = null,
    /** Set when sign-out was refused because of unsynced work (sync first, or confirm to discard it). */
    val signOutBlocked: UiError.Unsynced? = null,
    val signedOut: Boolean = false,
) {
    val running: Boolean get() = phase is SyncPhase.Running
}

/**
 * Sync with progress, what is still waiting, and a sign-out that will not silently throw away a day's work: other
 * field apps lose records exactly there, so sign-out is refused while anything is unsynced unless confirmed.
 */
class SyncViewModel(
    private val repo: FieldRepository,
    private val account: ServerAccount,
) {
    private val _state = MutableStateFlow(SyncState())
    val state: StateFlow<SyncState> = _state.asStateFlow()

    /** The core calls this on its own worker thread; a StateFlow update is safe from any thread. */
    private val listener = object : ProgressListener {
        override fun onProgress(done: UInt, total: UInt, item: String) {
            _state.update { it.copy(phase = SyncPhase.Running(done.toInt(), total.toInt(), item)) }
        }
    }

    suspend fun refresh() {
        catching { _state.update { it.copy(unsynced = repo.unsynced()) } }
    }

    /** Syncs records, then uploads photos (resumable: an interrupted upload continues next time). */
    suspend fun sync(): Boolean {
        if (_state.value.running) return false
        val token = CancelToken()
        runningToken = token
        _state.update { it.copy(phase = SyncPhase.Running(0, 0, "connecting")) }
        return try {
            catching {
                val report = repo.sync(account, listener, token)
                _state.update { it.copy(phase = SyncPhase.Finished(report), unsynced = repo.unsynced()) }
            }
        } finally {
            // Not closed here: a Cancel pressed as the sync ends may still hold it (the cleaner frees it).
            runningToken = null
        }
    }

    /** The Cancel button: the running sync stops promptly (even mid-request) and the phase goes back to idle. */
    fun cancel() {
        runningToken?.cancel()
    }

    @Volatile
    private var runningToken: CancelToken? = null

    /** Wipes the phone's data. Without [discardUnsynced], refused while work is unsynced ([SyncState.signOutBlocked]). */
    suspend fun signOut(discardUnsynced: Boolean): Boolean = catching {
        repo.wipe(discardUnsynced)
        _state.update { it.copy(signedOut = true, signOutBlocked = null, unsynced = null) }
    }

    private suspend fun catching(block: suspend () -> Unit): Boolean = _state.runWork(
        { _, error, _ ->
            when (error) {
                null -> this
                is UiError.Unsynced -> copy(signOutBlocked = error, phase = if (running) SyncPhase.Idle else phase)
                is UiError.Cancelled -> copy(phase = SyncPhase.Idle)
                else -> copy(phase = SyncPhase.Failed(error))
            }
        },
        block,
    )
}
