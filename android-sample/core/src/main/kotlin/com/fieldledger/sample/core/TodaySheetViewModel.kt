package com.fieldledger.sample.core

import java.time.Clock
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.CrewLine
import uniffi.mobile_core.CrewLineInput
import uniffi.mobile_core.CrewPreset
import uniffi.mobile_core.EffortUnit
import uniffi.mobile_core.LabourSheet

/** The crew-line form as typed: text, so a half-typed number is kept, not lost. */
data class CrewDraft(
    /** The line being edited; `null` adds a new line. */
    val lineId: String? = null,
    val trade: String = "",
    val crew: String = "",
    val headcount: String = "",
    val effortUnit: EffortUnit = EffortUnit.DAYS,
    val effort: String = "1",
    val rate: String = "",
    val costCode: String = "",
    val activity: String = "",
    val note: String = "",
)

data class TodaySheetState(
    val date: String,
    val sheet: LabourSheet? = null,
    /** Trades pre-filled from their last use (newest first), then the project's reference rates. */
    val presets: List<CrewPreset> = emptyList(),
    val draft: CrewDraft = CrewDraft(),
    /** Problems with the draft, by form field (`headcount`, `effort`, `rate`, `cost_code`, `trade`, …). */
    val fieldErrors: Map<String, String> = emptyMap(),
    val error: UiError? = null,
    val busy: Boolean = false,
)

/**
 * Today's labour sheet (点工单): start it from yesterday's crews, add lines from trade presets in two taps, nudge
 * headcounts, edit and remove lines. Every change is saved on the phone at once; totals are the core's exact
 * decimal figures, never computed here.
 */
class TodaySheetViewModel(
    private val repo: FieldRepository,
    private val site: SiteContext,
    private val clock: Clock,
) {
    private val _state = MutableStateFlow(TodaySheetState(date = site.today(clock)))
    val state: StateFlow<TodaySheetState> = _state.asStateFlow()

    /** Reads today's sheet (if started) and the presets. */
    suspend fun load() = work {
        val date = site.today(clock)
        val sheet = repo.sheetOn(site, date)
        _state.update { it.copy(date = date, sheet = sheet, presets = repo.presets(site)) }
    }

    /** Starts today's sheet with the crews of the site's latest sheet ([copyLatest]) or empty. */
    suspend fun startToday(copyLatest: Boolean = true) = work {
        if (_state.value.sheet == null) {
            val sheet = repo.startSheet(site, _state.value.date, copyLatest)
            _state.update { it.copy(sheet = sheet) }
        }
    }

    /** Fills the form from a preset: the trade with its last crew, headcount, effort, rate, cost code and activity. */
    fun pick(preset: CrewPreset) {
        _state.update {
            it.copy(
                draft = CrewDraft(
                    trade = preset.trade,
                    crew = preset.crew.orEmpty(),
                    headcount = preset.headcount?.toString().orEmpty(),
                    effortUnit = preset.effortUnit,
                    effort = preset.effort,
                    rate = preset.rate.orEmpty(),
                    costCode = preset.costCode.orEmpty(),
                    activity = preset.activity.orEmpty(),
                ),
                fieldErrors = emptyMap(),
            )
        }
    }

    /** Opens an existing line in the form. */
    fun edit(line: CrewLine) {
        _state.update {
            it.copy(
                draft = CrewDraft(
                    lineId = line.id, trade = line.trade, crew = line.crew.orEmpty(), headcount = line.headcount.toString(),
                    effortUnit = line.effortUnit, effort = line.effort, rate = line.rate, costCode = line.costCode,
                    activity = line.activity.orEmpty(), note = line.note.orEmpty(),
                ),
                fieldErrors = emptyMap(),
            )
        }
    }

    fun change(transform: (CrewDraft) -> CrewDraft) {
        _state.update { it.copy(draft = transform(it.draft)) }
    }

    fun clearDraft() {
        _state.update { it.copy(draft = CrewDraft(), fieldErrors = emptyMap()) }
    }

    /**
     * Saves the form as a new line (starting today's sheet if needed) or over the line it edits. Bad input leaves the
     * form as typed with the offending field named; nothing is saved.
     */
    suspend fun save(): Boolean {
        val draft = _state.value.draft
        val headcount = draft.headcount.trim().toLongOrNull()
        if (headcount == null) {
            _state.update { it.copy(fieldErrors = mapOf("headcount" to "enter the number of workers")) }
            return false
        }
        val input = CrewLineInput(
            trade = draft.trade, crew = draft.crew.ifBlank { null }, headcount = headcount,
            effortUnit = draft.effortUnit, effort = draft.effort.trim(), rate = draft.rate.trim(),
            costCode = draft.costCode, activity = draft.activity.ifBlank { null }, note = draft.note.ifBlank { null },
            workers = emptyList(),
        )
        return work {
            // Kept at once: if the line is then refused, the next save adds to this sheet instead of starting another.
            val sheet = _state.value.sheet
                ?: repo.startSheet(site, _state.value.date, copyLatest = false).also { s -> _state.update { it.copy(sheet = s) } }
            val lineId = draft.lineId
            if (lineId == null) repo.addLine(sheet.info.id, input) else repo.updateLine(sheet.info.id, lineId, input)
            _state.update {
                it.copy(sheet = repo.sheet(sheet.info.id), presets = repo.presets(site), draft = CrewDraft(), fieldErrors = emptyMap())
            }
        }
    }

    /** One tap to change a line's headcount by [delta] (someone left at noon, two more arrived). */
    suspend fun nudgeHeadcount(lineId: String, delta: Long): Boolean {
        val sheet = _state.value.sheet ?: return false
        val line = sheet.lines.firstOrNull { it.id == lineId } ?: return false
        return work {
            repo.updateLine(sheet.info.id, lineId, line.toInput().copy(headcount = line.headcount + delta))
            _state.update { it.copy(sheet = repo.sheet(sheet.info.id)) }
        }
    }

    suspend fun remove(lineId: String): Boolean {
        val sheet = _state.value.sheet ?: return false
        return work {
            repo.removeLine(sheet.info.id, lineId)
            _state.update { it.copy(sheet = repo.sheet(sheet.info.id)) }
        }
    }

    private suspend fun work(block: suspend () -> Unit): Boolean = _state.runWork(
        { busy, error, fields -> copy(busy = busy, error = error, fieldErrors = fields ?: fieldErrors) },
        block,
    )
}

fun CrewLine.toInput() = CrewLineInput(
    trade = trade, crew = crew, headcount = headcount, effortUnit = effortUnit, effort = effort, rate = rate,
    costCode = costCode, activity = activity, note = note, workers = workers,
)
