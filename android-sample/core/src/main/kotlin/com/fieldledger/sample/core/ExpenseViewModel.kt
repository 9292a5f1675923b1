package com.fieldledger.sample.core

import java.time.Clock
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.CostCode
import uniffi.mobile_core.Expense
import uniffi.mobile_core.ExpenseInput
import uniffi.mobile_core.PhotoContext

/** A photo the camera or picker handed over, with what the camera knew (time, GPS); attached on save. */
data class PickedPhoto(val path: String, val context: PhotoContext = PhotoContext(capturedAtMs = null, location = null))

data class ExpenseDraft(
    val date: String,
    /** Decimal text as typed, e.g. `1280.50`; the core refuses `12,34`, `1e5` or too many decimals. */
    val amount: String = "",
    val category: String = "",
    val vendor: String = "",
    val costCode: String = "",
    val note: String = "",
)

data class ExpenseState(
    val draft: ExpenseDraft,
    val categories: List<String> = emptyList(),
    /** The project's cost codes once synced (empty before the first sync: the foreman types the code). */
    val costCodes: List<CostCode> = emptyList(),
    /** Receipts picked but not attached yet. */
    val receipts: List<PickedPhoto> = emptyList(),
    /** The expense as saved on the phone, with its attached receipts. */
    val saved: Expense? = null,
    val fieldErrors: Map<String, String> = emptyMap(),
    val error: UiError? = null,
    val busy: Boolean = false,
)

/**
 * An expense with its receipts. Saving twice updates the same expense (never a duplicate); a receipt that is not a
 * usable image is reported and stays in the list to remove, while the expense and the good receipts are kept.
 */
class ExpenseViewModel(
    private val repo: FieldRepository,
    private val site: SiteContext,
    clock: Clock,
) {
    private val _state = MutableStateFlow(ExpenseState(draft = ExpenseDraft(date = site.today(clock))))
    val state: StateFlow<ExpenseState> = _state.asStateFlow()

    suspend fun load() = work {
        val categories = repo.categories(site.projectId)
        val codes = repo.reference(site.projectId)?.costCodes.orEmpty()
        _state.update {
            it.copy(
                categories = categories,
                costCodes = codes,
                draft = it.draft.copy(category = it.draft.category.ifEmpty { categories.firstOrNull().orEmpty() }),
            )
        }
    }

    fun change(transform: (ExpenseDraft) -> ExpenseDraft) {
        _state.update { it.copy(draft = transform(it.draft)) }
    }

    fun addReceipt(photo: PickedPhoto) {
        _state.update { it.copy(receipts = it.receipts + photo) }
    }

    fun removeReceipt(path: String) {
        _state.update { it.copy(receipts = it.receipts.filterNot { r -> r.path == path }, error = null) }
    }

    /** Saves the expense, then attaches the waiting receipts one by one. */
    suspend fun save(): Boolean {
        val d = _state.value.draft
        val input = ExpenseInput(
            date = d.date, amount = d.amount.trim(), currency = null, category = d.category,
            vendor = d.vendor.ifBlank { null }, costCode = d.costCode, note = d.note.ifBlank { null },
        )
        return work {
            val saved = _state.value.saved
            val expense = if (saved == null) repo.createExpense(site, input) else repo.updateExpense(saved.info.id, input)
            _state.update { it.copy(saved = expense, fieldErrors = emptyMap()) }
            for (receipt in _state.value.receipts) {
                repo.attachPhoto(expense.info.id, receipt.path, receipt.context)
                _state.update { it.copy(receipts = it.receipts - receipt, saved = repo.expense(expense.info.id)) }
            }
        }
    }

    /** Ready for the next expense (same date). */
    fun startNext() {
        _state.update {
            ExpenseState(draft = ExpenseDraft(date = it.draft.date, category = it.draft.category), categories = it.categories, costCodes = it.costCodes)
        }
    }

    private suspend fun work(block: suspend () -> Unit): Boolean = _state.runWork(
        { busy, error, fields -> copy(busy = busy, error = error, fieldErrors = fields ?: fieldErrors) },
        block,
    )
}
