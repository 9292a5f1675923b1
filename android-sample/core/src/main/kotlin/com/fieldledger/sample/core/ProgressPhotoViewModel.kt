package com.fieldledger.sample.core

import java.time.Clock
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import uniffi.mobile_core.Activity
import uniffi.mobile_core.ProgressInput
import uniffi.mobile_core.ProgressMeasure
import uniffi.mobile_core.ProgressReport

enum class MeasureKind { PERCENT, QUANTITY }

data class ProgressDraft(
    val date: String,
    val activity: String = "",
    val measure: MeasureKind = MeasureKind.PERCENT,
    /** Cumulative percent (`0`–`100`) or the quantity installed today, as typed. */
    val value: String = "",
    /** Unit of a quantity; filled from the activity when the reference data has one. */
    val unit: String = "",
    val caption: String = "",
)

data class ProgressPhotoState(
    val draft: ProgressDraft,
    val activities: List<Activity> = emptyList(),
    val photos: List<PickedPhoto> = emptyList(),
    /** Photos attached so far in the running save, of how many. */
    val attached: Int = 0,
    val toAttach: Int = 0,
    val saved: ProgressReport? = null,
    val fieldErrors: Map<String, String> = emptyMap(),
    val error: UiError? = null,
    val busy: Boolean = false,
)

/**
 * A progress report: an activity of the schedule, percent complete or quantity installed, and photos with their
 * capture time and place. Photos are ingested on the phone (hash, thumbnail, preview) and wait there for upload.
 */
class ProgressPhotoViewModel(
    private val repo: FieldRepository,
    private val site: SiteContext,
    clock: Clock,
) {
    private val _state = MutableStateFlow(ProgressPhotoState(draft = ProgressDraft(date = site.today(clock))))
    val state: StateFlow<ProgressPhotoState> = _state.asStateFlow()

    suspend fun load() = work {
        val activities = repo.reference(site.projectId)?.activities.orEmpty()
        _state.update { it.copy(activities = activities) }
    }

    /** Chooses the activity; a quantity's unit comes from it. */
    fun choose(activity: Activity) {
        _state.update {
            it.copy(draft = it.draft.copy(activity = activity.id, unit = activity.unit ?: it.draft.unit))
        }
    }

    fun change(transform: (ProgressDraft) -> ProgressDraft) {
        _state.update { it.copy(draft = transform(it.draft)) }
    }

    fun addPhoto(photo: PickedPhoto) {
        _state.update { it.copy(photos = it.photos + photo) }
    }

    fun removePhoto(path: String) {
        _state.update { it.copy(photos = it.photos.filterNot { p -> p.path == path }, error = null) }
    }

    /** Saves the report (or updates it on a second save), then attaches the photos one by one. */
    suspend fun save(): Boolean {
        val d = _state.value.draft
        val measure = when (d.measure) {
            MeasureKind.PERCENT -> ProgressMeasure.Percent(percent = d.value.trim())
            MeasureKind.QUANTITY -> ProgressMeasure.Quantity(installed = d.value.trim(), unit = d.unit.trim())
        }
        val input = ProgressInput(date = d.date, activity = d.activity, measure = measure, caption = d.caption.ifBlank { null })
        return work {
            val saved = _state.value.saved
            val report = if (saved == null) repo.createProgress(site, input) else repo.updateProgress(saved.info.id, input)
            val photos = _state.value.photos
            _state.update { it.copy(saved = report, fieldErrors = emptyMap(), attached = 0, toAttach = photos.size) }
            for (photo in photos) {
                repo.attachPhoto(report.info.id, photo.path, photo.context)
                _state.update {
                    it.copy(photos = it.photos - photo, attached = it.attached + 1, saved = repo.progress(report.info.id))
                }
            }
        }
    }

    private suspend fun work(block: suspend () -> Unit): Boolean = _state.runWork(
        { busy, error, fields -> copy(busy = busy, error = error, fieldErrors = fields ?: fieldErrors) },
        block,
    )
}
