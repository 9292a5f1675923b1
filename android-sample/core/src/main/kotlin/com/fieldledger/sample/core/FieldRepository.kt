package com.fieldledger.sample.core

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import uniffi.mobile_core.AnyRecord
import uniffi.mobile_core.ApprovalStatus
import uniffi.mobile_core.CancelToken
import uniffi.mobile_core.CrewLine
import uniffi.mobile_core.CrewLineInput
import uniffi.mobile_core.CrewPreset
import uniffi.mobile_core.Expense
import uniffi.mobile_core.ExpenseInput
import uniffi.mobile_core.FieldConflict
import uniffi.mobile_core.FieldStore
import uniffi.mobile_core.HttpTransport
import uniffi.mobile_core.LabourSheet
import uniffi.mobile_core.NewLabourSheet
import uniffi.mobile_core.Photo
import uniffi.mobile_core.PhotoContext
import uniffi.mobile_core.PhotoSize
import uniffi.mobile_core.ProgressInput
import uniffi.mobile_core.ProgressListener
import uniffi.mobile_core.ProgressReport
import uniffi.mobile_core.RecordFilter
import uniffi.mobile_core.RecordSummary
import uniffi.mobile_core.ReferenceData
import uniffi.mobile_core.SyncReport
import uniffi.mobile_core.Unsynced

/**
 * The one place the app calls the phone core. The core's plain calls block (on SQLite and an fsync), so each runs
 * on [io], never on the UI thread; photo and sync calls are already suspending. Calls throw
 * [uniffi.mobile_core.CoreException]; view models turn it into a [UiError].
 */
class FieldRepository(
    private val store: FieldStore,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {
    companion object {
        /**
         * Opens (or creates) the store file at [path] for [author], the foreman signed in on this phone. Its requests
         * go through [http], the platform's HTTP (the phone library has none of its own).
         */
        fun open(
            path: String,
            author: String,
            io: CoroutineDispatcher = Dispatchers.IO,
            http: HttpTransport = UrlConnectionTransport(),
        ): FieldRepository = FieldRepository(FieldStore.openWithHttp(path, author, http), io)
    }

    private suspend fun <T> call(block: FieldStore.() -> T): T = withContext(io) { store.block() }

    // ---------- labour sheets ----------

    /** The site's (not voided) labour sheet for [date], if one was started. */
    suspend fun sheetOn(site: SiteContext, date: String): LabourSheet? = call {
        findLabourSheet(site.projectId, site.siteId, date)
    }

    /** A sheet for [date] with the crews of the site's latest earlier sheet, or an empty one if there is none. */
    suspend fun startSheet(site: SiteContext, date: String, copyLatest: Boolean): LabourSheet = call {
        val copied = if (copyLatest) startSheetFromLatest(site.projectId, site.siteId, date) else null
        copied ?: createLabourSheet(
            NewLabourSheet(
                projectId = site.projectId, siteId = site.siteId, timeZone = site.timeZone,
                workDate = date, currency = null, note = null,
            ),
        )
    }

    suspend fun sheet(id: String): LabourSheet = call { getLabourSheet(id) }

    suspend fun presets(site: SiteContext): List<CrewPreset> = call { crewPresets(site.projectId, site.siteId) }

    suspend fun addLine(sheetId: String, line: CrewLineInput): CrewLine = call { addCrewLine(sheetId, line) }

    suspend fun updateLine(sheetId: String, lineId: String, line: CrewLineInput): CrewLine =
        call { updateCrewLine(sheetId, lineId, line) }

    suspend fun removeLine(sheetId: String, lineId: String) = call { removeCrewLine(sheetId, lineId) }

    // ---------- expenses and progress ----------

    suspend fun createExpense(site: SiteContext, input: ExpenseInput): Expense = call { createExpense(site.place, input) }

    suspend fun updateExpense(id: String, input: ExpenseInput): Expense = call { updateExpense(id, input) }

    suspend fun expense(id: String): Expense = call { getExpense(id) }

    suspend fun createProgress(site: SiteContext, input: ProgressInput): ProgressReport =
        call { createProgressReport(site.place, input) }

    suspend fun updateProgress(id: String, input: ProgressInput): ProgressReport = call { updateProgressReport(id, input) }

    suspend fun progress(id: String): ProgressReport = call { getProgressReport(id) }

    suspend fun attachPhoto(recordId: String, path: String, context: PhotoContext): Photo =
        store.attachPhoto(recordId, path, context)

    /** Stops at the first bad file, or when [cancel] is cancelled; the photos before stay attached. */
    suspend fun attachPhotos(
        recordId: String,
        paths: List<String>,
        listener: ProgressListener,
        cancel: CancelToken? = null,
    ): List<Photo> = store.attachPhotos(recordId, paths, listener, cancel)

    /**
     * The file to show for [photo] at [size]: its path when the file is on the phone, else fetched from the server
     * first (a colleague's photo, whose files never come with sync, or a preview the core let go once its record was
     * settled and older than the window). Throws `CoreException.Offline` without signal: show the thumbnail, or a
     * placeholder, instead.
     */
    suspend fun photoFile(account: ServerAccount, photo: Photo, size: PhotoSize): String {
        val onPhone = if (size == PhotoSize.PREVIEW) photo.previewOnPhone else photo.thumbnailOnPhone
        if (onPhone) return if (size == PhotoSize.PREVIEW) photo.previewPath else photo.thumbnailPath
        return store.fetchPhotoWith(account.baseUrl, account.token, photo.sha256, size)
    }

    /** The codes of the project's expense categories (its reference data's, or the default list). */
    suspend fun categories(projectId: String): List<String> = call { expenseCategories(projectId).map { it.code } }

    // ---------- lists, approvals, conflicts ----------

    suspend fun records(site: SiteContext, from: String?, to: String?): List<RecordSummary> = call {
        listRecords(RecordFilter(null, site.projectId, site.siteId, from, to, false))
    }

    suspend fun record(id: String): AnyRecord = call { getRecord(id) }

    suspend fun approval(id: String): ApprovalStatus = call { approvalStatus(id) }

    suspend fun conflicts(id: String): List<FieldConflict> = call { conflicts(id) }

    suspend fun keep(id: String, path: String, choice: Int) = call { resolveConflict(id, path, choice.toUInt()) }

    suspend fun reference(projectId: String): ReferenceData? = call { referenceData(projectId) }

    // ---------- sync and sign-out ----------

    /** [cancel] stops the sync promptly from any thread (`CoreException.Cancelled`); what was done stays done. */
    suspend fun sync(account: ServerAccount, listener: ProgressListener?, cancel: CancelToken? = null): SyncReport =
        store.sync(account.baseUrl, account.token, listener, cancel)

    suspend fun unsynced(): Unsynced = call { unsynced() }

    /** Deletes the phone's data. Refused while work is unsynced unless [force]. */
    suspend fun wipe(force: Boolean) = call { wipe(force) }

    override fun close() {
        store.closeStore()
        store.close()
    }
}
