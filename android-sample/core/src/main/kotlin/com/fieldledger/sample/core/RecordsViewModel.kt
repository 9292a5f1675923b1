package com.fieldledger.sample.core

import java.time.Clock
import java.time.LocalDate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.AnyRecord
import uniffi.mobile_core.ApprovalState
import uniffi.mobile_core.ApprovalStatus
import uniffi.mobile_core.FieldConflict
import uniffi.mobile_core.RecordSummary

/** A record in the list with where it stands with the supervisors. */
data class RecordRow(val summary: RecordSummary, val approval: ApprovalStatus) {
    val needsAttention: Boolean
        get() = summary.conflictCount > 0 || approval.state == ApprovalState.REJECTED
}

/** The approval state in words, as the list and the record screen show it. */
fun ApprovalStatus.label(): String = when (state) {
    ApprovalState.PENDING -> if (decisions == 0u) "Waiting for approval" else "Edited, waiting for approval again"
    ApprovalState.APPROVED -> "Approved" + (decidedBy?.let { " by $it" } ?: "")
    ApprovalState.REJECTED -> "Rejected" + (comment?.let { ": $it" } ?: "")
    ApprovalState.CHANGED_SINCE_APPROVAL -> "Changed since approval: needs approval again"
}

data class RecordsState(
    val rows: List<RecordRow> = emptyList(),
    val error: UiError? = null,
    val busy: Boolean = false,
)

/** The recent records of the site (a week by default), with approval state and conflict counts. */
class RecordsViewModel(
    private val repo: FieldRepository,
    private val site: SiteContext,
    private val clock: Clock,
    private val days: Long = 7,
) {
    private val _state = MutableStateFlow(RecordsState())
    val state: StateFlow<RecordsState> = _state.asStateFlow()

    suspend fun refresh() = _state.runWork({ busy, error, _ -> copy(busy = busy, error = error) }) {
        val from = LocalDate.parse(site.today(clock)).minusDays(days - 1).toString()
        val rows = repo.records(site, from, null).map { RecordRow(it, repo.approval(it.id)) }
        _state.update { it.copy(rows = rows) }
    }
}

data class ConflictsState(
    val recordId: String,
    val record: AnyRecord? = null,
    val approval: ApprovalStatus? = null,
    /** Fields two phones changed at once: every value entered, the first one is what the record reads now. */
    val conflicts: List<FieldConflict> = emptyList(),
    val error: UiError? = null,
    val busy: Boolean = false,
)

/** One record: its approval state and the conflicts to settle by keeping one of the values. */
class RecordViewModel(
    private val repo: FieldRepository,
    recordId: String,
) {
    private val _state = MutableStateFlow(ConflictsState(recordId))
    val state: StateFlow<ConflictsState> = _state.asStateFlow()

    suspend fun load() = work { reread() }

    /** Keeps `values[choice]` of the conflicting field at [path]; the others are dropped on every phone after sync. */
    suspend fun keep(path: String, choice: Int) = work {
        repo.keep(_state.value.recordId, path, choice)
        reread()
    }

    private suspend fun reread() {
        val id = _state.value.recordId
        _state.update { it.copy(record = repo.record(id), approval = repo.approval(id), conflicts = repo.conflicts(id)) }
    }

    private suspend fun work(block: suspend () -> Unit) =
        _state.runWork({ busy, error, _ -> copy(busy = busy, error = error) }, block)
}
